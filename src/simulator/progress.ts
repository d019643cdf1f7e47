import type { RuntimeStats } from './fleet-runtime.js';
import type { LocalClock } from './local-clock.js';

/** What the hub itself says, polled over the API now and then. */
export interface HubView {
  todayWh: number;
  todayCost: number;
  currency: string;
  /** Intents waiting for a phone. */
  waiting: number;
}

/** Where the simulator writes: whole lines, and one status line that is rewritten in place. */
export interface Reporter {
  line(text: string): void;
  status(text: string): void;
  /** Ends the status line (before the summary). */
  done(): void;
}

/** A terminal rewrites the status line; a log (CI, a pipe) gets it every `everyMs` as a line. */
export function streamReporter(stream: NodeJS.WriteStream, everyMs = 10_000): Reporter {
  if (stream.isTTY) {
    let current = '';
    const columns = () => Math.max(40, (stream.columns ?? 120) - 1);
    return {
      line(text) {
        stream.write(`\r\x1b[2K${text}\n${current}`);
      },
      status(text) {
        current = text.length > columns() ? `${text.slice(0, columns() - 1)}…` : text;
        stream.write(`\r\x1b[2K${current}`);
      },
      done() {
        if (current) stream.write('\n');
        current = '';
      },
    };
  }
  let last = 0;
  return {
    line: (text) => stream.write(`${text}\n`),
    status(text) {
      if (Date.now() - last < everyMs) return;
      last = Date.now();
      stream.write(`${text}\n`);
    },
    done() {},
  };
}

export const silentReporter: Reporter = { line() {}, status() {}, done() {} };

const grouped = (n: number) => Math.round(n).toLocaleString('en-US');

export function formatPower(watts: number): string {
  return watts >= 10_000 ? `${(watts / 1000).toFixed(1)} kW` : `${Math.round(watts)} W`;
}

export function formatMoney(minor: number, currency: string): string {
  return `${currency === 'CNY' ? '¥' : `${currency} `}${(minor / 100).toFixed(2)}`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}:${String(s).padStart(2, '0')}`;
}

/**
 * `sim Fri 07:14 ×60 │ 40/40 online │ 12,480 msgs 40/s │ 3.2 kW │ orders 4, answers 4 │ hub today 8.4 kWh ¥4.12, 2 waiting │ 1:12 left`
 */
export function progressLine(
  stats: RuntimeStats,
  context: { clock: LocalClock; speed: number; perSecond: number; remainingMs: number; hub?: HubView },
): string {
  const when = new Intl.DateTimeFormat('en-GB', {
    timeZone: context.clock.timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(stats.simMs));
  const parts = [
    `sim ${when} ×${context.speed}`,
    `${stats.connected}/${stats.clients} online`,
    `${grouped(stats.published)} msgs ${grouped(context.perSecond)}/s`,
    formatPower(stats.powerW),
    `orders ${stats.said}, answers ${stats.heard}`,
  ];
  const hub = context.hub;
  if (hub) {
    parts.push(
      `hub today ${(hub.todayWh / 1000).toFixed(1)} kWh ${formatMoney(hub.todayCost, hub.currency)}, ${hub.waiting} waiting`,
    );
  }
  parts.push(`${formatDuration(context.remainingMs)} left`);
  return parts.join(' │ ');
}
