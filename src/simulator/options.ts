import { isIP } from 'node:net';
import { MAX_CLIENT_RATE } from './fleet-runtime.js';

export interface SimulationOptions {
  /** The hub's HTTP API, e.g. http://127.0.0.1:8080. */
  hubUrl: string;
  /** The hub's MQTT broker; asked from `GET /api/health` when absent. */
  mqttUrl?: string;
  /** The admin token (HOMEPAY_ADMIN_TOKEN or the data dir's `admin-token`). */
  token: string;
  /** Where the state file lives: the hub's data dir, or `--state`. */
  stateFile: string;
  devices: number;
  speed: number;
  durationMs: number;
  reportEverySec: number;
  timeZone: string;
  voice: boolean;
  orderEveryMin: number;
  firstOrderAfterMs: number;
  /** Top the wallet up to this many minor units with the simulator's phone. */
  fundTo?: number;
  /** The simulator's phone approves its speakers' orders. */
  approve: boolean;
  /** Poll the hub's energy and intents for the progress line (off for benchmarks). */
  pollHub: boolean;
}

export const DEFAULTS = {
  devices: 20,
  speed: 60,
  durationMs: 10 * 60_000,
  reportEverySec: 60,
  orderEveryMin: 90,
  firstOrderAfterMs: 5_000,
} as const;

export class OptionError extends Error {
  override name = 'OptionError';
}

/** `90`, `90s`, `10m`, `1h30m`, `500ms` -> milliseconds. A bare number is seconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = trimmed;
  while (rest.length > 0) {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!match) throw new OptionError(`"${text}" is not a duration (try 90s, 10m or 1h30m)`);
    total += Number(match[1]) * (units[match[2] as string] as number);
    rest = rest.slice(match[0].length);
  }
  if (total <= 0) throw new OptionError(`"${text}" is not a duration (try 90s, 10m or 1h30m)`);
  return Math.round(total);
}

/**
 * The simulator talks only to a hub on this machine: it registers devices and (with `--fund`)
 * pairs a phone and moves sandbox money, which has no business on someone else's hub.
 */
export function assertLoopback(url: string, what: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OptionError(`${what} "${url}" is not a URL`);
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const loopback =
    host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.split('.')[0] === '127');
  if (!loopback) {
    throw new OptionError(
      `${what} ${url} is not on this machine: the simulator only talks to a hub on loopback (127.0.0.1, ::1, localhost)`,
    );
  }
  return parsed;
}

/** Checks what commander cannot: ranges, and that no client would outrun the hub's rate limit. */
export function checkOptions(options: SimulationOptions): void {
  const positive = (value: number, name: string) => {
    if (!Number.isFinite(value) || value <= 0) throw new OptionError(`${name} must be a positive number`);
  };
  if (!Number.isInteger(options.devices) || options.devices < 0 || options.devices > 10_000) {
    throw new OptionError('--devices must be a whole number from 0 to 10000');
  }
  positive(options.speed, '--speed');
  positive(options.reportEverySec, '--report-every');
  positive(options.orderEveryMin, '--order-every');
  positive(options.durationMs, '--duration');
  if (options.durationMs > 24 * 3_600_000) throw new OptionError('--duration is at most 24h');
  const perPlug = options.speed / options.reportEverySec;
  if (perPlug > MAX_CLIENT_RATE) {
    throw new OptionError(
      `each plug would report ${perPlug.toFixed(0)} times a second (speed ${options.speed} / report every ${options.reportEverySec} s); ` +
        `the hub disconnects a client above 50 msg/s: raise --report-every or lower --speed`,
    );
  }
  assertLoopback(options.hubUrl, '--hub');
  if (options.mqttUrl) {
    const mqtt = assertLoopback(options.mqttUrl, '--mqtt');
    if (mqtt.protocol !== 'mqtt:')
      throw new OptionError('--mqtt must be an mqtt:// URL (plain MQTT on loopback)');
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: options.timeZone });
  } catch {
    throw new OptionError(`--timezone "${options.timeZone}" is not a time zone (e.g. Asia/Shanghai)`);
  }
}
