import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { loadSettings } from '../config/load.js';
import { checkOptions, DEFAULTS, OptionError, parseDuration, type SimulationOptions } from './options.js';
import { formatDuration, formatMoney, streamReporter } from './progress.js';
import { runSimulation } from './simulation.js';
import { STATE_FILE_NAME } from './state-file.js';

/** The fastest speed at which the simulated appliances stay within the hub's default energy.maxPowerW. */
const MAX_PLAUSIBLE_SPEED = 100;

interface RawOptions {
  devices: number;
  speed: number;
  duration: number;
  hub?: string;
  mqtt?: string;
  reportEvery: number;
  timezone: string;
  voice: boolean;
  orderEvery: number;
  fund?: number;
  approve: boolean;
  dataDir?: string;
  state?: string;
}

const number = (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new InvalidArgumentError('not a number');
  return parsed;
};
const duration = (value: string) => {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

/**
 * `homepay simulate` and `npm run simulate`: the options, and an action that reads the hub's
 * address and admin token the way the rest of the CLI does (settings, HOMEPAY_URL,
 * HOMEPAY_ADMIN_TOKEN), runs the simulation with a progress line, and stops on Ctrl-C.
 */
export function configureSimulateCommand(command: Command): Command {
  return command
    .description('simulate plugs and voice assistants against a running hub on this machine')
    .option(
      '--devices <n>',
      'metering plugs (Tasmota, Shelly Gen1, Shelly Gen2, Zigbee2MQTT in turn)',
      number,
      DEFAULTS.devices,
    )
    .option('--speed <x>', 'simulated seconds per real second (60: an hour a minute)', number, DEFAULTS.speed)
    .option('--duration <time>', 'stop after this long, e.g. 90s, 10m, 1h', duration, DEFAULTS.durationMs)
    .option('--hub <url>', "the hub's HTTP API (default: from the settings, http://127.0.0.1:8080)")
    .option(
      '--mqtt <url>',
      "the hub's MQTT broker (default: what GET /api/health says, mqtt://127.0.0.1:1883)",
    )
    .option(
      '--report-every <seconds>',
      'simulated seconds between two reports of a plug',
      number,
      DEFAULTS.reportEverySec,
    )
    .option(
      '--timezone <zone>',
      "the household's time zone for the load curves",
      Intl.DateTimeFormat().resolvedOptions().timeZone,
    )
    .option('--no-voice', 'no speaker and no satellite')
    .option(
      '--order-every <minutes>',
      'simulated minutes between two orders of a voice, on average',
      number,
      DEFAULTS.orderEveryMin,
    )
    .option(
      '--fund <yuan>',
      'pair a simulated phone and top the wallet up to this much from a sandbox card',
      number,
    )
    .option('--approve', "the simulated phone approves the simulated voices' orders (implies a phone)", false)
    .option(
      '--data-dir <dir>',
      "the hub's data dir: admin token and the simulator's state file (default: from the settings)",
    )
    .option('--state <file>', `the state file (default: <data dir>/${STATE_FILE_NAME})`)
    .action(async (raw: RawOptions) => {
      try {
        await simulate(raw);
      } catch (err) {
        if (!(err instanceof OptionError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exitCode = 2;
      }
    });
}

async function simulate(raw: RawOptions): Promise<void> {
  const { settings } = loadSettings();
  const dataDir = path.resolve(raw.dataDir ?? settings.dataDir);
  const host =
    settings.http.host === '0.0.0.0' || settings.http.host === '::' ? '127.0.0.1' : settings.http.host;
  const hubUrl = raw.hub ?? process.env.HOMEPAY_URL ?? `http://${host}:${settings.http.port}`;
  const options: SimulationOptions = {
    hubUrl,
    ...(raw.mqtt ? { mqttUrl: raw.mqtt } : {}),
    token: adminToken(dataDir),
    stateFile: raw.state ? path.resolve(raw.state) : path.join(dataDir, STATE_FILE_NAME),
    devices: raw.devices,
    speed: raw.speed,
    durationMs: raw.duration,
    reportEverySec: raw.reportEvery,
    timeZone: raw.timezone,
    voice: raw.voice,
    orderEveryMin: raw.orderEvery,
    firstOrderAfterMs: DEFAULTS.firstOrderAfterMs,
    ...(raw.fund === undefined ? {} : { fundTo: Math.round(raw.fund * 100) }),
    approve: raw.approve,
    pollHub: true,
  };
  checkOptions(options);
  const reporter = streamReporter(process.stdout);
  const stop = new AbortController();
  // The first Ctrl-C stops cleanly (devices say goodbye, counters are saved); a second one kills.
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  reporter.line(
    `Simulating ${options.devices} plugs${options.voice ? ', a speaker and a satellite' : ''} against ${hubUrl} at ×${options.speed} for ${formatDuration(options.durationMs)} (Ctrl-C stops)`,
  );
  if (options.speed > MAX_PLAUSIBLE_SPEED)
    reporter.line(
      `At ×${options.speed} a 2.2 kW washer looks like ${Math.round(2.2 * options.speed)} kW to the hub, above its default energy.maxPowerW (250 kW): raise that in the hub's config or those readings are refused.`,
    );
  const startedAt = Date.now();
  const summary = await runSimulation(options, reporter, stop.signal);
  const { stats } = summary;
  const byProfile = Object.entries(stats.byProfile)
    .map(([profile, count]) => `${profile} ${count.toLocaleString('en-US')}`)
    .join(', ');
  reporter.line(
    `Published ${stats.published.toLocaleString('en-US')} messages in ${formatDuration(Date.now() - startedAt)} (${byProfile}); orders ${stats.said}, answers ${stats.heard}${options.approve ? `, approved ${summary.approved}` : ''}.`,
  );
  if (summary.hub) {
    reporter.line(
      `The hub counts ${(summary.hub.todayWh / 1000).toFixed(1)} kWh today (${formatMoney(summary.hub.todayCost, summary.hub.currency)}); ${summary.hub.waiting} intents wait for a phone.`,
    );
  }
  reporter.line(`Devices and counters are kept in ${options.stateFile}; run again to continue.`);
}

function adminToken(dataDir: string): string {
  const fromEnv = process.env.HOMEPAY_ADMIN_TOKEN;
  if (fromEnv) return fromEnv;
  try {
    return readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  } catch {
    throw new OptionError(
      `No admin token in ${dataDir}: start the hub once (npm start), pass --data-dir, or set HOMEPAY_ADMIN_TOKEN`,
    );
  }
}
