/**
 * `npm run bench`: each figure beside a baseline measured in the same run, as a ratio, with the
 * machine's cores and Node version. Not a test: it takes the CPU for a few minutes; run it once.
 *
 *   npm run bench                       all four, CI-sized fleet (200 plugs for 20 s)
 *   npm run bench -- --full             the fleet at full size (1,000 plugs for 60 s)
 *   npm run bench -- --only a,d         some of them: a ingest, b voice, c fleet, d start
 *   npm run bench -- --profile          also profile (node --cpu-prof) whatever misses its goal
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { benchEnergyIngest } from './energy-ingest.js';
import { benchFleetLoad } from './fleet-load.js';
import { formatProfile, summarizeProfile } from './lib/cpu-profile.js';
import { buildHub, projectRoot } from './lib/processes.js';
import { MB, type Row, table } from './lib/report.js';
import { benchStartup } from './startup.js';
import { benchVoiceLatency } from './voice-latency.js';

const program = new Command('bench')
  .option(
    '--only <sections>',
    'a (energy ingest), b (voice latency), c (fleet load), d (start to ready)',
    'a,b,c,d',
  )
  .option('--full', 'fleet load at full size: 1,000 plugs for 60 s', false)
  .option('--devices <n>', 'fleet load: plugs (default 200, or 1000 with --full)')
  .option('--seconds <n>', 'fleet load: seconds measured (default 20, or 60 with --full)')
  .option('--messages <n>', 'energy ingest: readings per device (3 devices)', '8000')
  .option('--profile', 'profile (node --cpu-prof) each benchmark that misses its goal', false)
  .option('--no-build', 'use dist/ as it is')
  .option('--hub-only', '(internal) energy ingest through the hub only, for profiling', false)
  .parse();

const opts = program.opts<{
  only: string;
  full: boolean;
  devices?: string;
  seconds?: string;
  messages: string;
  profile: boolean;
  build: boolean;
  hubOnly: boolean;
}>();
const sections = new Set(opts.only.split(',').map((s) => s.trim()));
const log = (text: string) => process.stdout.write(`${text}\n`);
const profileRoot = opts.profile ? mkdtempSync(path.join(tmpdir(), 'homepay-profiles-')) : undefined;
const profiles: string[] = [];

async function main(): Promise<void> {
  if (opts.hubOnly) {
    const result = await benchEnergyIngest(Number(opts.messages), { hubOnly: true });
    log(`hub ${result.hubPerSecond.toFixed(0)} msg/s`);
    return;
  }
  const cpu = cpus();
  log(`homepay bench — ${new Date().toISOString()}`);
  log(
    `${cpu.length} cores (${cpu[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 1024 ** 3).toFixed(1)} GB, Node ${process.version}, ${process.platform} ${process.arch}`,
  );
  // Other work on the machine slows the hub and the baseline alike; the ratio is the figure to read.
  log(
    `load average before: ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
  if (opts.build && [...sections].some((s) => s !== 'a')) {
    log('building dist/ (tsc -p tsconfig.build.json) ...');
    buildHub();
  }
  const rows: Row[] = [];

  if (sections.has('a')) {
    log('\n(a) energy ingest: 3 devices (native meter, Tasmota, Shelly Gen2), QoS 1 ...');
    const perDevice = Number(opts.messages);
    const result = await benchEnergyIngest(perDevice);
    const row: Row = {
      section: '(a) energy ingest',
      metric: `${result.messages.toLocaleString('en-US')} readings`,
      hub: result.hubPerSecond,
      baseline: result.baselinePerSecond,
      unit: 'msg/s',
      goal: '≥ 0.5x bare aedes',
      met: result.hubPerSecond >= 0.5 * result.baselinePerSecond,
      digits: 0,
    };
    rows.push(row);
    log(table([row]));
    if (opts.profile && !row.met) profileIngest(perDevice);
  }

  if (sections.has('b')) {
    log('\n(b) voice order latency: utterance -> phone notified (SSE), approval -> succeeded ...');
    const plan = [
      { concurrency: 10, rounds: 30 },
      { concurrency: 100, rounds: 5 },
    ];
    const result = await benchVoiceLatency(plan);
    const voiceRows: Row[] = [];
    result.hub.forEach((hub, i) => {
      const base = result.baseline[i];
      if (!base) return;
      for (const [metric, hubValue, baseValue] of [
        [`notified p50 @${hub.concurrency}`, hub.notifiedP50, base.notifiedP50],
        [`notified p99 @${hub.concurrency}`, hub.notifiedP99, base.notifiedP99],
        [`succeeded p50 @${hub.concurrency}`, hub.succeededP50, base.succeededP50],
        [`succeeded p99 @${hub.concurrency}`, hub.succeededP99, base.succeededP99],
      ] as const) {
        const p99 = metric.includes('p99');
        voiceRows.push({
          section: '(b) voice latency',
          metric: `${metric} (${hub.samples} orders)`,
          hub: hubValue,
          baseline: baseValue,
          unit: 'ms',
          goal: p99 ? 'p99 < 20 ms' : '-',
          met: !p99 || hubValue < 20,
        });
      }
    });
    rows.push(...voiceRows);
    log(table(voiceRows));
    if (opts.profile && voiceRows.some((row) => !row.met)) {
      const dir = profileDir('voice');
      // More rounds than measured, so the profile is mostly orders and not the setup before them.
      await benchVoiceLatency([{ concurrency: 100, rounds: 20 }], { profileDir: dir, hubOnly: true });
      report('(b) hub during 100 concurrent voice orders', dir);
    }
  }

  if (sections.has('c')) {
    const devices = Number(opts.devices ?? (opts.full ? 1000 : 200));
    const seconds = Number(opts.seconds ?? (opts.full ? 60 : 20));
    log(`\n(c) fleet load: ${devices} plugs at 1 msg/s each, ${seconds} s measured ...`);
    let lastStatus = 0;
    const onStatus = (text: string) => {
      // Registration reports every device; a line every few seconds is enough.
      if (!text.startsWith('registering') || Date.now() - lastStatus > 5000 || /(\d+)\/\1$/.test(text)) {
        lastStatus = Date.now();
        log(`    ${text}`);
      }
    };
    const result = await benchFleetLoad(devices, seconds, { onStatus });
    const fleetRows: Row[] = [
      {
        section: '(c) fleet load',
        metric: `RSS idle, before ${result.clients} clients`,
        hub: result.hub.idleRss / MB,
        baseline: result.baseline.idleRss / MB,
        unit: 'MB',
        goal: '-',
        met: true,
      },
      {
        section: '(c) fleet load',
        metric: `RSS peak, ${devices} plugs`,
        hub: result.hub.rssPeak / MB,
        baseline: result.baseline.rssPeak / MB,
        unit: 'MB',
        goal: '< 80 MB',
        met: result.hub.rssPeak < 80 * MB,
      },
      {
        section: '(c) fleet load',
        metric: `CPU, ${Math.round(result.hub.perSecond)} msg/s in`,
        hub: result.hub.cpuShare * 100,
        baseline: result.baseline.cpuShare * 100,
        unit: '% of a core',
        // The goal is for 1,000 plugs; a smaller fleet is judged by its CPU scaled up linearly.
        goal: devices >= 1000 ? '< 10% of a core' : `< 10% at 1,000 (×${(1000 / devices).toFixed(1)})`,
        met: result.hub.cpuShare * Math.max(1, 1000 / devices) < 0.1,
      },
    ];
    rows.push(...fleetRows);
    log(table(fleetRows));
    if (opts.profile && fleetRows.some((row) => !row.met)) {
      const dir = profileDir('fleet');
      await benchFleetLoad(devices, seconds, { profileDir: dir });
      report(`(c) hub with ${devices} plugs`, dir);
    }
  }

  if (sections.has('d')) {
    log('\n(d) start to ready (new process, to the first GET /api/health) ...');
    const result = await benchStartup(3);
    const startRows: Row[] = [
      {
        section: '(d) start to ready',
        metric: `cold, empty data dir (median of ${result.runs})`,
        hub: result.coldMs,
        baseline: result.baselineMs,
        unit: 'ms',
        goal: '< 1000 ms',
        met: result.coldMs < 1000,
        digits: 0,
      },
      {
        section: '(d) start to ready',
        metric: `restart, existing data dir (median of ${result.runs})`,
        hub: result.restartMs,
        baseline: result.baselineMs,
        unit: 'ms',
        goal: '< 1000 ms',
        met: result.restartMs < 1000,
        digits: 0,
      },
    ];
    rows.push(...startRows);
    log(table(startRows));
    if (opts.profile && startRows.some((row) => !row.met)) {
      const dir = profileDir('startup');
      await benchStartup(0, { profileDir: dir });
      report('(d) a cold start', dir);
    }
  }

  log(
    `\nAll figures (${cpus().length} cores, Node ${process.version}, load average after: ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}):\n`,
  );
  log(table(rows));
  if (profiles.length > 0) log(`\nProfiles (open in Chrome DevTools > Performance):\n${profiles.join('\n')}`);
}

function profileDir(name: string): string {
  return path.join(profileRoot as string, name);
}

function report(title: string, dir: string): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  for (const file of files) {
    const full = path.join(dir, file);
    profiles.push(full);
    const summary = summarizeProfile(full, 20);
    // tsx's loader runs on a thread of its own, which --cpu-prof profiles too: idle, not shown.
    const idle = summary.places.find((place) => place.where === '(idle)')?.share ?? 0;
    if (idle < 0.9) log(`\n${formatProfile(title, summary)}`);
  }
}

/** The ingest runs in this process, so it is profiled in a child running only the hub half. */
function profileIngest(perDevice: number): void {
  const dir = profileDir('ingest');
  execFileSync(
    process.execPath,
    [
      '--cpu-prof',
      '--cpu-prof-dir',
      dir,
      '--import',
      'tsx',
      'bench/run.ts',
      '--hub-only',
      '--messages',
      String(perDevice),
    ],
    { cwd: projectRoot, stdio: 'inherit' },
  );
  report('(a) energy ingest through the hub (this includes the bench client)', dir);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
