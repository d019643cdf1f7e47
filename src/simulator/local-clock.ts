/**
 * The household's wall clock for load curves: a fridge does not care about UTC, a washer runs
 * after breakfast. The zone offset is looked up once per UTC hour (zones change offset on the
 * hour or half hour, and a load curve does not notice half an hour of DST).
 */

export interface LocalMoment {
  /** Hours since local midnight, fractional (7.5 = 07:30). */
  hour: number;
  /** Local days since 1970-01-01: a key for "once a day" decisions. */
  day: number;
  /** 1..12 */
  month: number;
  /** 0 = Sunday .. 6 = Saturday */
  weekday: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export class LocalClock {
  private readonly offsets = new Map<number, number>();
  private readonly format: Intl.DateTimeFormat;

  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
  }

  at(ms: number): LocalMoment {
    const local = ms + this.offsetAt(ms);
    const day = Math.floor(local / DAY_MS);
    const date = new Date(local);
    return {
      hour: (local - day * DAY_MS) / HOUR_MS,
      day,
      month: date.getUTCMonth() + 1,
      weekday: date.getUTCDay(),
    };
  }

  /** Local time as a device without a time zone prints it: `2026-11-27T16:05:00` (Tasmota's `Time`). */
  isoLocal(ms: number): string {
    return new Date(ms + this.offsetAt(ms)).toISOString().slice(0, 19);
  }

  /** The zone's offset from UTC in ms at an instant. */
  offsetAt(ms: number): number {
    const hour = Math.floor(ms / HOUR_MS);
    let offset = this.offsets.get(hour);
    if (offset === undefined) {
      const parts = Object.fromEntries(
        this.format.formatToParts(new Date(hour * HOUR_MS)).map((part) => [part.type, part.value]),
      );
      const asUtc = Date.UTC(
        Number(parts.year),
        Number(parts.month) - 1,
        Number(parts.day),
        Number(parts.hour),
        Number(parts.minute),
      );
      offset = asUtc - hour * HOUR_MS;
      if (this.offsets.size > 10_000) this.offsets.clear();
      this.offsets.set(hour, offset);
    }
    return offset;
  }
}
