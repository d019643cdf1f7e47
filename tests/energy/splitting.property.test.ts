import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advanceChannel, type ChannelReading, EMPTY_CHANNEL } from '../../src/energy/channel-meter.js';
import { COST_UNITS_PER_MINOR, toMinor } from '../../src/energy/cost-units.js';
import { type Interval, priceInterval } from '../../src/energy/interval-pricing.js';
import { type CycleRule, periodStart } from '../../src/energy/periods.js';
import type { Tariff } from '../../src/energy/tariff.js';
import { formatDate, localTime } from '../../src/time/zoned-time.js';
import { cycleOf, kWh, tariffs } from './helpers.js';

const shapes: Array<[string, Tariff]> = [
  ['flat', tariffs.flat],
  ['tiered (Beijing)', tariffs.beijing],
  ['flat + yearly tiers (Zhejiang)', tariffs.zhejiang],
  ['tiered + time of use (Zhejiang)', tariffs.zhejiangTou],
  ['seasonal tiers + bands (Guangdong-style)', tariffs.guangdong],
];

const HOUR = 3_600_000;
const YEAR_2026 = Date.parse('2026-01-01T00:00:00Z');

/** Tier limits of a tariff, so the home's starting point can sit right next to one. */
function limits(tariff: Tariff): number[] {
  const all = (tariff.tiers?.seasons ?? []).flatMap((s) => s.blocks.map((b) => b.upToMwh));
  return all.filter((limit): limit is number => limit !== null);
}

/**
 * Books intervals one after another as the hub does: each priced against the home's cycle total so
 * far, which starts at `usedAtStart` in the first interval's cycle. Returns total energy and cost.
 */
function book(tariff: Tariff, cycle: CycleRule, intervals: Interval[], usedAtStart: number) {
  const used = new Map<string, number>();
  const first = localTime(intervals[0]?.startMs ?? 0, tariff.timezone);
  used.set(formatDate(periodStart('cycle', first, cycle)), usedAtStart);
  let energy = 0;
  let cost = 0n;
  for (const interval of intervals) {
    for (const segment of priceInterval(tariff, cycle, interval, (c) => used.get(c) ?? 0)) {
      used.set(segment.cycle, (used.get(segment.cycle) ?? 0) + segment.energyMwh);
      energy += segment.energyMwh;
      cost += segment.cost;
    }
  }
  return { energy, cost };
}

/** A period, the energy drawn in it, where the home stood, and where to cut it into more intervals. */
const period = (tariff: Tariff) =>
  fc.record({
    startMs: fc.integer({ min: 0, max: 364 * 24 * 60 }).map((minute) => YEAR_2026 + minute * 60_000),
    durationMs: fc.integer({ min: 60_000, max: 72 * HOUR }),
    energyMwh: fc.integer({ min: 0, max: kWh(40) }),
    usedMwh: fc.oneof(
      fc.integer({ min: 0, max: kWh(5000) }),
      fc
        .constantFrom(...(limits(tariff).length > 0 ? limits(tariff) : [0]))
        .chain((limit) => fc.integer({ min: Math.max(0, limit - kWh(30)), max: limit + kWh(5) })),
    ),
    cuts: fc.uniqueArray(fc.double({ min: 0, max: 1, noNaN: true, minExcluded: true, maxExcluded: true }), {
      minLength: 1,
      maxLength: 12,
    }),
    startDay: fc.integer({ min: 1, max: 28 }),
  });

describe.each(shapes)('splitting a period into more intervals, %s', (_name, tariff) => {
  it('never changes its total energy, and its cost by at most one minor unit', () => {
    fc.assert(
      fc.property(period(tariff), (p) => {
        const cycle = cycleOf(tariff, p.startDay);
        const endMs = p.startMs + p.durationMs;
        const whole = book(tariff, cycle, [{ startMs: p.startMs, endMs, energyMwh: p.energyMwh }], p.usedMwh);

        // Readings in between, as a meter drawing evenly would report them (counters to the mWh).
        const times = [...new Set(p.cuts.map((f) => p.startMs + Math.round(f * p.durationMs)))]
          .filter((t) => t > p.startMs && t < endMs)
          .sort((a, b) => a - b);
        const points = [p.startMs, ...times, endMs];
        const counter = (t: number) => Math.round((p.energyMwh * (t - p.startMs)) / p.durationMs);
        const split = points.slice(1).map((t, i) => ({
          startMs: points[i] as number,
          endMs: t,
          energyMwh: counter(t) - counter(points[i] as number),
        }));
        const pieces = book(tariff, cycle, split, p.usedMwh);

        expect(pieces.energy).toBe(whole.energy);
        expect(whole.energy).toBe(p.energyMwh);
        const difference = pieces.cost > whole.cost ? pieces.cost - whole.cost : whole.cost - pieces.cost;
        expect(difference <= COST_UNITS_PER_MINOR).toBe(true);
        expect(Math.abs(toMinor(pieces.cost) - toMinor(whole.cost))).toBeLessThanOrEqual(1);
      }),
      { numRuns: 150 },
    );
  });
});

describe('splitting readings of one channel', () => {
  it('more counter readings in between never change the energy counted', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: kWh(100_000) }),
        fc.array(fc.record({ gapMs: fc.integer({ min: 1000, max: 6 * HOUR }), deltaMwh: fc.nat(kWh(5)) }), {
          minLength: 1,
          maxLength: 30,
        }),
        (startCounter, steps) => {
          let state = EMPTY_CHANNEL;
          let atMs = YEAR_2026;
          let counter = startCounter;
          let counted = 0;
          const read = (reading: ChannelReading) => {
            // Steps up to 5 kWh a second apart are megawatts: this property is about counting, so
            // the plausibility limit (channel-meter.test.ts) is lifted.
            const step = advanceChannel(state, reading, { maxPowerW: Number.POSITIVE_INFINITY });
            state = step.state;
            counted += step.intervals.reduce((sum, i) => sum + i.energyMwh, 0);
          };
          read({ atMs, counterMwh: counter });
          for (const step of steps) {
            atMs += step.gapMs;
            counter += step.deltaMwh;
            read({ atMs, counterMwh: counter });
          }
          expect(counted).toBe(counter - startCounter);
        },
      ),
    );
  });

  it('more power readings of the same power in between never change the energy integrated', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5_000_000 }).map((mW) => mW / 1000),
        fc.integer({ min: 1000, max: HOUR }),
        fc.uniqueArray(fc.integer({ min: 1, max: HOUR - 1 }), { maxLength: 20 }),
        (powerW, durationMs, cuts) => {
          const integrate = (times: number[]) => {
            let state = EMPTY_CHANNEL;
            let energy = 0;
            for (const t of times) {
              const step = advanceChannel(state, { atMs: YEAR_2026 + t, powerW });
              state = step.state;
              energy += step.intervals.reduce((sum, i) => sum + i.energyMwh, 0);
            }
            return { energy, remainder: state.powerRemainder };
          };
          const inside = cuts.filter((t) => t < durationMs).sort((a, b) => a - b);
          const whole = integrate([0, durationMs]);
          const split = integrate([0, ...inside, durationMs]);
          expect(split).toEqual(whole);
        },
      ),
    );
  });
});
