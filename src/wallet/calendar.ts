import { instantOf, isKnownTimeZone, localTime } from '../time/zoned-time.js';

/**
 * The household's calendar: budgets, insights and "at night" are about local months and hours,
 * while the ledger stores UTC instants. `Intl` does the zone arithmetic, so a zone with daylight
 * saving time still lands on the right month boundary.
 */

/** Throws a RangeError for a zone this runtime does not know, so a bad config fails at start. */
export function assertTimeZone(timeZone: string): void {
  if (!isKnownTimeZone(timeZone)) throw new RangeError(`unknown time zone: ${timeZone}`);
}

/** `YYYY-MM` of an instant in the household's zone. */
export function monthKey(ms: number, timeZone: string): string {
  const { year, month } = localTime(ms, timeZone);
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

/** The instant a local wall-clock time happens (daylight saving handled by `instantOf`). */
export function zonedToInstant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  timeZone: string,
): number {
  return instantOf({ year, month, day }, hour * 60 + minute, timeZone);
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
  const p = localTime(ms, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
}
