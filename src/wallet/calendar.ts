/**
 * The household's calendar: budgets, insights and "at night" are about local months and hours,
 * while the ledger stores UTC instants. `Intl` does the zone arithmetic, so a zone with daylight
 * saving time still lands on the right month boundary.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Throws a RangeError for a zone this runtime does not know, so a bad config fails at start. */
export function assertTimeZone(timeZone: string): void {
  formatter(timeZone);
}

export function localParts(ms: number, timeZone: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** `YYYY-MM` of an instant in the household's zone. */
export function monthKey(ms: number, timeZone: string): string {
  const { year, month } = localParts(ms, timeZone);
  return `${year}-${String(month).padStart(2, '0')}`;
}

export const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function parseMonth(key: string): { year: number; month: number } | null {
  const match = MONTH.exec(key);
  return match ? { year: Number(match[1]), month: Number(match[2]) } : null;
}

export function addMonths(key: string, delta: number): string {
  const parsed = parseMonth(key);
  if (!parsed) throw new RangeError(`not a month: ${key}`);
  const index = parsed.year * 12 + (parsed.month - 1) + delta;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

export function daysInMonth(key: string): number {
  const parsed = parseMonth(key);
  if (!parsed) throw new RangeError(`not a month: ${key}`);
  return new Date(Date.UTC(parsed.year, parsed.month, 0)).getUTCDate();
}

/** The instant a local wall-clock time happens (the earlier one if a DST change repeats it). */
export function zonedToInstant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  timeZone: string,
): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // The offset at a first guess, then again at the corrected instant, settles across a DST change.
  let instant = wall - offsetAt(wall, timeZone);
  instant = wall - offsetAt(instant, timeZone);
  return instant;
}

function offsetAt(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** A local month as UTC ISO bounds `[start, end)`, comparable with the ledger's `created_at`. */
export function monthRange(key: string, timeZone: string): { start: string; end: string } {
  const parsed = parseMonth(key);
  if (!parsed) throw new RangeError(`not a month: ${key}`);
  const next = parseMonth(addMonths(key, 1)) as { year: number; month: number };
  return {
    start: new Date(zonedToInstant(parsed.year, parsed.month, 1, 0, 0, timeZone)).toISOString(),
    end: new Date(zonedToInstant(next.year, next.month, 1, 0, 0, timeZone)).toISOString(),
  };
}

/** `2026-11-27 16:05:09` in the household's zone: what a spreadsheet reads as a date and time. */
export function localDateTime(ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
}

/** Money as people read it, from integer minor units: `89.00`, `-0.05`. Never a float on the way. */
export function yuan(amount: number): string {
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
