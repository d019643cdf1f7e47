/**
 * What a tariff is once loaded (`tariff-file.ts` reads and checks the YAML). Chinese residential
 * tariffs are a base price per kWh (flat, or by time-of-use band, bands possibly by season) plus a
 * surcharge per tier of the home's energy in a billing cycle; some publish absolute tier prices with
 * no base. Fixed daily or monthly charges are the home's, not any device's.
 */
import type { PriceRate } from './cost-units.js';

export interface Band {
  name: string;
  rate: PriceRate;
}

/** The bands of a day for some months: `timeline` covers minute 0 to 1440 without gaps. */
export interface BandSchedule {
  season: string | undefined;
  months: readonly number[];
  /** Where each band starts, ascending from minute 0; a band lasts until the next entry (or 24:00). */
  timeline: ReadonlyArray<{ fromMinute: number; band: Band }>;
}

export interface TierBlock {
  /** The home's energy in the cycle up to which this block applies (mWh); null for the last block. */
  upToMwh: number | null;
  /** Either an absolute price (tariffs with no base price) or a surcharge on the base price. */
  rate: PriceRate;
  absolute: boolean;
}

export interface TierSeason {
  season: string | undefined;
  months: readonly number[];
  blocks: readonly TierBlock[];
}

export type CyclePeriod = 'month' | 'year';

export interface Tariff {
  /** The file name without extension. */
  id: string;
  name: string;
  currency: string;
  timezone: string;
  /** Where the figures come from, as the file says. */
  source: string;
  /** The base price: one for every hour, or by band; absent when tiers carry absolute prices. */
  base: { kind: 'flat'; band: Band } | { kind: 'timeOfUse'; schedules: readonly BandSchedule[] } | undefined;
  tiers:
    | {
        cycle: CyclePeriod;
        /** For yearly cycles: the month the cycle starts in, unless the settings say otherwise. */
        startMonth: number;
        /** Tier blocks by the season of the cycle's start month. */
        seasons: readonly TierSeason[];
      }
    | undefined;
  /** Fixed charges in cost units (see cost-units.ts), posted once per local day and per month. */
  fixed: { daily: bigint; monthly: bigint };
}

/** The band schedule for a month (every month has exactly one; the loader checks). */
export function scheduleFor(tariff: Tariff, month: number): BandSchedule | undefined {
  const base = tariff.base;
  if (base?.kind !== 'timeOfUse') return undefined;
  return base.schedules.find((schedule) => schedule.months.includes(month));
}

/** The tier blocks for a cycle that starts in `month`. */
export function tierBlocksFor(tariff: Tariff, month: number): readonly TierBlock[] {
  return tariff.tiers?.seasons.find((season) => season.months.includes(month))?.blocks ?? [];
}

/** The band in force at a minute of a local day of `month`; the flat band for flat tariffs. */
export function bandAt(tariff: Tariff, month: number, minuteOfDay: number): Band | undefined {
  const base = tariff.base;
  if (!base) return undefined;
  if (base.kind === 'flat') return base.band;
  const timeline = scheduleFor(tariff, month)?.timeline ?? [];
  let current: Band | undefined;
  for (const entry of timeline) {
    if (entry.fromMinute > minuteOfDay) break;
    current = entry.band;
  }
  return current;
}
