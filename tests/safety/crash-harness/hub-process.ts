import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../../src/paths.js';

export interface LogLine {
  msg: string;
  level?: number;
  [key: string]: unknown;
}

export interface Ready {
  httpUrl: string;
  mqttPort: number;
  /** Milliseconds from `go` to the ready line. */
  startMs: number;
}

export interface HubProcessOptions {
  /** The environment of the hub: HOMEPAY_DATA_DIR, HOMEPAY_CONFIG, ports. */
  env: Record<string, string>;
  /** Every log line is appended here, each prefixed with `tag`, so a failure can be explained. */
  logFile: string;
  tag: string;
  /**
   * `standby`: the warm child (crash-harness/child.ts, bundled by `bundleStandby`) that starts the
   * hub on `go()`; `cold`: `src/main.ts` itself, as `npm start` runs it (through tsx instead of a
   * build).
   */
  mode: { standby: string } | 'cold';
}

/**
 * Bundles crash-harness/child.ts, src/ and its dependencies into one file with esbuild (what tsx
 * uses to compile each file anyway). Node then loads one file instead of resolving several hundred
 * modules through tsx's loader thread: 0.4 s of CPU per process instead of 1.3 s, which decides
 * whether hundreds of processes fit in a CI run. The file lives under the project, so the hub finds
 * `devices/`, `config/` and `src/web/` from it as it does from `src/`. Packages that find their own
 * files at run time (better-sqlite3's native addon, swagger-ui's assets) stay outside.
 */
export async function bundleStandby(): Promise<string> {
  // One file per test run: two runs at once (two engineers, one machine) must not rewrite a bundle
  // the other is starting processes from.
  const outfile = path.join(projectRoot, `node_modules/.cache/homepay-safety/child-${process.pid}.mjs`);
  // esbuild comes with tsx and vitest; it is what compiles src/ for both.
  const { build } = await import('esbuild');
  await build({
    entryPoints: [path.join(projectRoot, 'tests/safety/crash-harness/child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    external: ['better-sqlite3', '@fastify/swagger-ui'],
    banner: {
      js: "import { createRequire as __homepayRequire } from 'node:module'; const require = __homepayRequire(import.meta.url);",
    },
    logLevel: 'error',
  });
  return outfile;
}

const live = new Set<HubProcess>();

/**
 * One hub process. It is spawned as the leader of its own process group and killed with
 * `kill(-pid, SIGKILL)`: the `tsx` command line is a wrapper that runs the hub in a second node
 * process, and killing only the wrapper's pid leaves the real hub running (and writing to the
 * database) as an orphan. The whole group dies at once, like a power cut.
 */
export class HubProcess {
  readonly lines: LogLine[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private goAt = 0;
  private buffer = '';
  private readyLine: Promise<Ready>;

  private constructor(private readonly options: HubProcessOptions) {
    // `node --import tsx` is the tsx loader in this one process (the `tsx` binary would add a
    // wrapper process around it).
    const args =
      options.mode === 'cold'
        ? ['--import', 'tsx', path.join(projectRoot, 'src/main.ts')]
        : [options.mode.standby];
    this.child = spawn(process.execPath, args, {
      cwd: projectRoot,
      env: { ...process.env, NODE_OPTIONS: '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    live.add(this);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        live.delete(this);
        resolve(signal ? null : code);
      }),
    );
    this.child.stdout?.on('data', (chunk: Buffer) => this.onOutput(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (!text.includes('FSTDEP') && !text.includes('--trace-warnings'))
        appendFileSync(this.options.logFile, `${this.options.tag} stderr ${text}`);
    });
    if (options.mode === 'cold') this.goAt = Date.now();
    this.readyLine = this.waitForReady();
    // A process killed before it was ready never will be; nobody need be told.
    this.readyLine.catch(() => {});
  }

  static spawn(options: HubProcessOptions): HubProcess {
    return new HubProcess(options);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves when a standby child has loaded its modules and waits for `go`. */
  standby(timeoutMs = 60_000): Promise<void> {
    return this.waitFor((line) => line.msg === 'crash-harness standby', timeoutMs).then(() => {});
  }

  /** Starts the hub of a standby child. */
  go(): void {
    this.goAt = Date.now();
    this.child.stdin?.write('go\n');
  }

  ready(): Promise<Ready> {
    return this.readyLine;
  }

  /** The whole process group, at once, with no chance to clean up. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid) {
      try {
        process.kill(-this.child.pid, signal);
      } catch {
        // Already gone.
      }
    }
    await this.exited;
  }

  /** Asks for a graceful stop (SIGTERM to the hub) and waits for the exit code. */
  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exited;
  }

  get exitCode(): Promise<number | null> {
    return this.exited;
  }

  /** Kills every hub process this module started (afterAll's safety net). */
  static async killAll(): Promise<void> {
    await Promise.all([...live].map((hub) => hub.kill()));
  }

  private onOutput(chunk: Buffer): void {
    this.buffer += chunk.toString('utf8');
    const parts = this.buffer.split('\n');
    this.buffer = parts.pop() ?? '';
    let text = '';
    for (const part of parts) {
      if (!part.startsWith('{')) continue;
      try {
        this.lines.push(JSON.parse(part) as LogLine);
      } catch {
        // A line cut by the kill.
      }
      text += `${this.options.tag} ${part}\n`;
    }
    if (text) appendFileSync(this.options.logFile, text);
  }

  private waitFor(match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const poll = () => {
        const found = this.lines.find(match);
        if (found) return resolve(found);
        if (this.child.exitCode !== null || this.child.signalCode !== null)
          return reject(new Error(`${this.options.tag}: the hub exited (see ${this.options.logFile})`));
        if (Date.now() > deadline)
          return reject(new Error(`${this.options.tag}: no ready line (see ${this.options.logFile})`));
        setTimeout(poll, 5);
      };
      poll();
    });
  }

  private async waitForReady(): Promise<Ready> {
    const line = await this.waitFor((l) => l.msg.startsWith('homepay is ready'), 120_000);
    const mqtt = line.mqtt as { port: number };
    return { httpUrl: String(line.http), mqttPort: mqtt.port, startMs: Date.now() - this.goAt };
  }
}
