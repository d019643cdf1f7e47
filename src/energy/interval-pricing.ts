/**
 * The cost of one consumption interval under a tariff, split exactly: the interval is cut at every
 * local midnight, every band change and every hour, its energy is spread over the pieces in
 * proportion to their time (a gap is assumed to have drawn evenly), and each piece is split again
 * where the home's energy in the billing cycle crosses a tier boundary. Pure: the caller says how
 * much the home has used in a cycle so far and books what comes back.
 */

import { addDays, formatDate, instantOf, type LocalDate, localTime, startOfDay } from '../time/zoned-time.js';
import { costOf, type PriceRate } from './cost-units.js';
import { type CycleRule, periodStart } from './periods.js';
import { bandAt, scheduleFor, type Tariff, tierBlocksFor } from './tariff.js';

export interface Interval {
  startMs: number;
  endMs: number;
  energyMwh: number;
}

export interface PricedPart {
  /** 1-based tier, or null when the tariff has no tiers. */
  tier: number | null;
  band: string | null;
  energyMwh: number;
  rate: PriceRate;
  cost: bigint;
}

export interface PricedSegment {
  startMs: number;
  endMs: number;
  /** The local date the segment lies in (segments never cross midnight). */
  date: LocalDate;
  /** The billing cycle it counts in, `2026-11-01`. */
  cycle: string;
  /** The UTC hour it lies in, for the recent-rate forecast. */
  hourStartMs: number;
  energyMwh: number;
  cost: bigint;
  parts: PricedPart[];
}

const HOUR_MS = 3_600_000;

/**
 * Prices `interval`. `cycleUsedMwh(cycle)` is the home's energy in that cycle before this interval;
 * the result's segments, in time order, already account for each other.
 */
export function priceInterval(
  tariff: Tariff,
  cycleRule: CycleRule,
  interval: Interval,
  cycleUsedMwh: (cycle: string) => number,
): PricedSegment[] {
  if (interval.endMs <= interval.startMs) throw new Error('an interval must end after it starts');
  const cuts = boundaries(tariff, interval.startMs, interval.endMs);
  const spans = cuts.slice(0, -1).map((start, i) => ({ start, end: cuts[i + 1] as number }));
  const shares = spread(
    interval.energyMwh,
    spans.map((span) => span.end - span.start),
  );
  const used = new Map<string, number>();
  return spans.map((span, i) => {
    const local = localTime(span.start, tariff.timezone);
    const date = { year: local.year, month: local.month, day: local.day };
    const cycle = formatDate(periodStart('cycle', date, cycleRule));
    const band = bandAt(tariff, local.month, local.hour * 60 + local.minute);
    const before = used.get(cycle) ?? cycleUsedMwh(cycle);
    const energyMwh = shares[i] ?? 0;
    const parts = splitByTier(tariff, cycle, before, energyMwh, band);
    used.set(cycle, before + energyMwh);
    return {
      startMs: span.start,
      endMs: span.end,
      date,
      cycle,
      hourStartMs: Math.floor(span.start / HOUR_MS) * HOUR_MS,
      energyMwh,
      cost: parts.reduce((sum, part) => sum + part.cost, 0n),
      parts,
    };
  });
}

/** Where the interval must be cut, including its own start and end, ascending. */
function boundaries(tariff: Tariff, startMs: number, endMs: number): number[] {
  const cuts = new Set<number>([startMs, endMs]);
  for (let hour = Math.floor(startMs / HOUR_MS) * HOUR_MS + HOUR_MS; hour < endMs; hour += HOUR_MS) {
    cuts.add(hour);
  }
  const first = localTime(startMs, tariff.timezone);
  let date: LocalDate = { year: first.year, month: first.month, day: first.day };
  for (let dayStart = startOfDay(date, tariff.timezone); dayStart < endMs; ) {
    if (dayStart > startMs) cuts.add(dayStart);
    for (const entry of scheduleFor(tariff, date.month)?.timeline ?? []) {
      if (entry.fromMinute === 0) continue;
      const at = instantOf(date, entry.fromMinute, tariff.timezone);
      if (at > startMs && at < endMs) cuts.add(at);
    }
    date = addDays(date, 1);
    dayStart = startOfDay(date, tariff.timezone);
  }
  return [...cuts].sort((a, b) => a - b);
}

/**
 * Splits `total` mWh over pieces in proportion to `weights`, in whole mWh that sum to `total`
 * exactly. Each piece gets the difference of the floored running totals, so every run of
 * consecutive pieces (a day, a band) is within one mWh of its exact share, and cutting an interval
 * where a reading interpolated the counter gives the same pieces as not cutting it.
 */
export function spread(total: number, weights: number[]): number[] {
  const sum = BigInt(weights.reduce((a, b) => a + b, 0));
  if (sum === 0n) return weights.map((_, i) => (i === 0 ? total : 0));
  let running = 0n;
  let before = 0n;
  return weights.map((weight) => {
    running += BigInt(weight);
    const upTo = (BigInt(total) * running) / sum;
    const share = upTo - before;
    before = upTo;
    return Number(share);
  });
}

function splitByTier(
  tariff: Tariff,
  cycle: string,
  usedBefore: number,
  energyMwh: number,
  band: { name: string; rate: PriceRate } | undefined,
): PricedPart[] {
  const base = band?.rate ?? 0;
  const bandName = tariff.base?.kind === 'timeOfUse' ? (band?.name ?? null) : null;
  const blocks = tariff.tiers ? tierBlocksFor(tariff, Number(cycle.slice(5, 7))) : [];
  if (blocks.length === 0) {
    return [{ tier: null, band: bandName, energyMwh, rate: base, cost: costOf(energyMwh, base) }];
  }
  const parts: PricedPart[] = [];
  let used = usedBefore;
  let left = energyMwh;
  for (const [index, block] of blocks.entries()) {
    if (block.upToMwh !== null && used >= block.upToMwh) continue;
    const take = block.upToMwh === null ? left : Math.min(left, block.upToMwh - used);
    const rate = block.absolute ? block.rate : base + block.rate;
    // A zero-energy interval still says which tier the home is in.
    if (take > 0 || parts.length === 0) {
      parts.push({ tier: index + 1, band: bandName, energyMwh: take, rate, cost: costOf(take, rate) });
    }
    used += take;
    left -= take;
    if (left <= 0) break;
  }
  return parts;
}
