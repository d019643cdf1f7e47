/**
 * Child processes for the benchmarks: the compiled hub (`dist/src/main.js`, what `npm start` runs)
 * and the bare baseline (`bench/bare-broker.mjs`), each on free loopback ports, plus what Linux
 * says about their CPU time and resident memory.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Compiles src/ to dist/ (incremental), so the hub benchmarked is the code in the tree. tsc still
 * writes JavaScript when the tree has type errors (someone's work in progress); that is said, and
 * the benchmark goes on with what was emitted.
 */
export function buildHub(): void {
  const tsc = path.join(projectRoot, 'node_modules/typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: projectRoot, stdio: 'pipe' });
  } catch (err) {
    const output = String((err as { stdout?: Buffer }).stdout ?? '');
    if (!existsSync(path.join(projectRoot, 'dist/src/main.js')))
      throw new Error(`the build failed:\n${output}`);
    process.stdout.write(
      `warning: type errors in the tree, benchmarking what tsc emitted:\n${output.slice(0, 2000)}\n`,
    );
  }
}

export interface RunningProcess {
  pid: number;
  child: ChildProcess;
  /** ms from spawn to answering its first HTTP request (or to its ready line, for a bare broker). */
  readyMs: number;
  stop(): Promise<void>;
}

export interface HubProcess extends RunningProcess {
  httpUrl: string;
  mqttPort: number;
  mqttUrl: string;
  dataDir: string;
  adminToken: string;
}

export interface HubProcessOptions {
  /** Settings (YAML is a superset of JSON) in a config file the hub is pointed at. */
  config?: Record<string, unknown>;
  /** Reuse a data dir (a warm restart); a fresh temp dir otherwise. */
  dataDir?: string;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Starts the compiled hub on free ports and waits until `GET /api/health` answers. */
export async function startHubProcess(options: HubProcessOptions = {}): Promise<HubProcess> {
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'homepay-bench-'));
  const configFile = path.join(dataDir, 'bench-config.yaml');
  writeFileSync(configFile, JSON.stringify(options.config ?? {}));
  const startedAt = performance.now();
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), path.join(projectRoot, 'dist/src/main.js')],
    {
      cwd: projectRoot,
      env: {
        ...process.env,
        HOMEPAY_CONFIG: configFile,
        HOMEPAY_DATA_DIR: dataDir,
        HOMEPAY_MQTT_PORT: '0',
        HOMEPAY_HTTP_PORT: '0',
        HOMEPAY_HTTPS_PORT: '0',
        HOMEPAY_MQTTS_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const ready = await new Promise<{ http: string; mqtt: { port: number } }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const timer = setTimeout(() => reject(new Error(`the hub did not start in 30 s: ${stderr}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`the hub exited with ${code}: ${stderr}`)));
    lines.on('line', (line) => {
      if (!line.includes('homepay is ready')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as { http: string; mqtt: { port: number } });
    });
  });
  await fetch(`${ready.http}/api/health`).then((response) => response.json());
  const readyMs = performance.now() - startedAt;
  return {
    pid: child.pid as number,
    child,
    readyMs,
    httpUrl: ready.http,
    mqttPort: ready.mqtt.port,
    mqttUrl: `mqtt://127.0.0.1:${ready.mqtt.port}`,
    dataDir,
    adminToken: readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim(),
    async stop() {
      child.kill('SIGTERM');
      await waitForExit(child, 10_000);
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface BareProcess extends RunningProcess {
  mqttPort: number;
  mqttUrl: string;
  httpUrl?: string;
}

/**
 * The baseline: `bench/bare-broker.mjs` in `mode` (`broker`: aedes only; `echo`: aedes and fastify
 * answering as fast as possible; `startup`: aedes and fastify listening, nothing else).
 */
export async function startBareProcess(mode: 'broker' | 'echo' | 'startup'): Promise<BareProcess> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [path.join(projectRoot, 'bench/bare-broker.mjs'), mode], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await new Promise<{ mqttPort: number; httpPort?: number }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    child.once('exit', (code) => reject(new Error(`bare-broker exited with ${code}`)));
    lines.once('line', (line) => resolve(JSON.parse(line) as { mqttPort: number; httpPort?: number }));
  });
  if (ready.httpPort) await fetch(`http://127.0.0.1:${ready.httpPort}/health`).then((r) => r.text());
  const readyMs = performance.now() - startedAt;
  return {
    pid: child.pid as number,
    child,
    readyMs,
    mqttPort: ready.mqttPort,
    mqttUrl: `mqtt://127.0.0.1:${ready.mqttPort}`,
    ...(ready.httpPort ? { httpUrl: `http://127.0.0.1:${ready.httpPort}` } : {}),
    async stop() {
      child.kill('SIGTERM');
      await waitForExit(child, 5000);
    },
  };
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Resident memory, bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

/** Samples a process's RSS every second and its CPU over the whole window. */
export async function sampleProcess(
  pid: number,
  seconds: number,
): Promise<{ cpuShare: number; rssEnd: number; rssPeak: number; rssMean: number }> {
  const cpuStart = cpuSeconds(pid);
  const wallStart = performance.now();
  const rss: number[] = [];
  for (let i = 0; i < seconds; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    rss.push(rssBytes(pid));
  }
  const cpuShare = (cpuSeconds(pid) - cpuStart) / ((performance.now() - wallStart) / 1000);
  return {
    cpuShare,
    rssEnd: rss.at(-1) ?? 0,
    rssPeak: Math.max(...rss),
    rssMean: rss.reduce((sum, value) => sum + value, 0) / Math.max(1, rss.length),
  };
}
