import { describe, expect, it } from 'vitest';
import {
  advanceChannel,
  type ChannelReading,
  type ChannelState,
  EMPTY_CHANNEL,
  MAX_POWER_HOLD_MS,
} from '../../src/energy/channel-meter.js';
import type { Interval } from '../../src/energy/interval-pricing.js';

const T0 = Date.parse('2026-11-27T08:00:00Z');
const MIN = 60_000;

/** Feeds readings in order; returns every interval and note, and the final state. */
function feed(readings: ChannelReading[], from: ChannelState = EMPTY_CHANNEL) {
  let state = from;
  const intervals: Interval[] = [];
  const notes: string[] = [];
  for (const reading of readings) {
    const step = advanceChannel(state, reading);
    state = step.state;
    intervals.push(...step.intervals);
    notes.push(...step.notes);
  }
  return { state, intervals, notes };
}

const at = (minutes: number) => T0 + minutes * MIN;

describe('a metering channel', () => {
  it('takes its first counter as the baseline and counts the difference to each later one', () => {
    const { intervals, notes } = feed([
      { atMs: at(0), counterMwh: 48_372_000 },
      { atMs: at(5), counterMwh: 48_375_000 },
      { atMs: at(10), counterMwh: 48_381_000 },
    ]);
    expect(notes).toEqual(['baseline', 'counted', 'counted']);
    expect(intervals).toEqual([
      { startMs: at(0), endMs: at(5), energyMwh: 3000 },
      { startMs: at(5), endMs: at(10), energyMwh: 6000 },
    ]);
  });

  it('ignores a duplicate and an older reading, so neither is counted twice', () => {
    const { intervals, notes } = feed([
      { atMs: at(0), counterMwh: 1000 },
      { atMs: at(5), counterMwh: 2000 },
      { atMs: at(5), counterMwh: 2000 },
      { atMs: at(3), counterMwh: 1500 },
      { atMs: at(10), counterMwh: 3000 },
    ]);
    expect(notes).toEqual(['baseline', 'counted', 'duplicate', 'older', 'counted']);
    expect(intervals.reduce((sum, i) => sum + i.energyMwh, 0)).toBe(2000);
  });

  it('treats a counter that goes down as a reset: new baseline, nothing negative', () => {
    const { intervals, notes } = feed([
      { atMs: at(0), counterMwh: 48_000_000 },
      { atMs: at(5), counterMwh: 48_010_000 },
      { atMs: at(10), counterMwh: 0 },
      { atMs: at(15), counterMwh: 4000 },
      { atMs: at(20), counterMwh: 9000 },
    ]);
    expect(notes).toEqual(['baseline', 'counted', 'reset', 'counted', 'counted']);
    expect(intervals.map((i) => i.energyMwh)).toEqual([10_000, 4000, 5000]);
    expect(intervals.every((i) => i.energyMwh >= 0)).toBe(true);
  });

  it('counts from the old value when a dip was an old message sent again (no timestamp, arrival time)', () => {
    const { intervals, notes } = feed([
      { atMs: at(0), counterMwh: 1_000_000 },
      { atMs: at(5), counterMwh: 1_010_000 },
      { atMs: at(6), counterMwh: 1_000_000 },
      { atMs: at(10), counterMwh: 1_020_000 },
    ]);
    expect(notes).toEqual(['baseline', 'counted', 'reset', 'resend']);
    expect(intervals).toEqual([
      { startMs: at(0), endMs: at(5), energyMwh: 10_000 },
      { startMs: at(5), endMs: at(10), energyMwh: 10_000 },
    ]);
  });

  it('a reset that goes down twice keeps the first old value until a reading confirms it', () => {
    const { intervals, notes } = feed([
      { atMs: at(0), counterMwh: 50_000 },
      { atMs: at(5), counterMwh: 30_000 },
      { atMs: at(10), counterMwh: 10_000 },
      { atMs: at(15), counterMwh: 12_000 },
    ]);
    expect(notes).toEqual(['baseline', 'reset', 'reset', 'counted']);
    expect(intervals).toEqual([{ startMs: at(10), endMs: at(15), energyMwh: 2000 }]);
  });

  it('integrates a device that only reports power: each value held until the next', () => {
    const { intervals, notes, state } = feed([
      { atMs: at(0), powerW: 1200 },
      { atMs: at(30), powerW: 600 },
      { atMs: at(60), powerW: 0 },
    ]);
    expect(notes).toEqual(['integrated', 'integrated']);
    expect(intervals).toEqual([
      { startMs: at(0), endMs: at(30), energyMwh: 600_000 },
      { startMs: at(30), endMs: at(60), energyMwh: 300_000 },
    ]);
    expect(state.source).toBe('power');
  });

  it('carries fractions of a mWh, so many short power intervals lose nothing', () => {
    // 1 W for one second is 0.2777... mWh; 3600 such seconds are exactly 1000 mWh.
    const readings = Array.from({ length: 3601 }, (_, i) => ({ atMs: T0 + i * 1000, powerW: 1 }));
    const { intervals } = feed(readings);
    expect(intervals.reduce((sum, i) => sum + i.energyMwh, 0)).toBe(1000);
  });

  it('holds a power value for at most an hour when the device falls silent', () => {
    const { intervals } = feed([
      { atMs: at(0), powerW: 100 },
      { atMs: at(5 * 60), powerW: 100 },
    ]);
    expect(intervals).toEqual([{ startMs: at(0), endMs: at(0) + MAX_POWER_HOLD_MS, energyMwh: 100_000 }]);
  });

  it('counts no energy for power flowing back (negative watts)', () => {
    const { intervals } = feed([
      { atMs: at(0), powerW: -300 },
      { atMs: at(10), powerW: 50 },
    ]);
    expect(intervals).toEqual([{ startMs: at(0), endMs: at(10), energyMwh: 0 }]);
  });

  it('stops integrating power once the channel reports a counter (Shelly Gen1: power and energy topics)', () => {
    const { intervals, notes, state } = feed([
      { atMs: at(0), powerW: 1200 },
      { atMs: at(0), counterMwh: 48_372_000 },
      { atMs: at(10), powerW: 1200 },
      { atMs: at(10), counterMwh: 48_572_000 },
    ]);
    expect(notes).toEqual(['baseline', 'counted']);
    expect(intervals).toEqual([{ startMs: at(0), endMs: at(10), energyMwh: 200_000 }]);
    expect(state).toMatchObject({ source: 'counter', powerW: 1200 });
  });
});
