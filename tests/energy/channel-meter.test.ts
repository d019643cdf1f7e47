import { describe, expect, it } from 'vitest';
import {
  advanceChannel,
  type ChannelReading,
  type ChannelState,
  DEFAULT_MAX_POWER_W,
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

  describe('a counter rising faster than the home can draw (energy.maxPowerW)', () => {
    it('refuses a hijacked jump of 10^9 Wh: new baseline, nothing counted, later readings counted from it', () => {
      const { intervals, notes } = feed([
        { atMs: at(0), counterMwh: 48_000_000 },
        { atMs: at(5), counterMwh: 48_010_000 },
        { atMs: at(10), counterMwh: 1e12 },
        { atMs: at(15), counterMwh: 1e12 + 20_000 },
      ]);
      expect(notes).toEqual(['baseline', 'counted', 'implausible', 'counted']);
      expect(intervals).toEqual([
        { startMs: at(0), endMs: at(5), energyMwh: 10_000 },
        { startMs: at(10), endMs: at(15), energyMwh: 20_000 },
      ]);
    });

    it('refuses a jump after a reset too, and a jump that looks like a resend', () => {
      const reset = feed([
        { atMs: at(0), counterMwh: 5_000_000 },
        { atMs: at(5), counterMwh: 0 },
        { atMs: at(10), counterMwh: 9e11 },
      ]);
      expect(reset.notes).toEqual(['baseline', 'reset', 'implausible']);
      expect(reset.intervals).toEqual([]);
      // A dip, then a value above the old peak: normally "the dip was a resend", counted from the peak.
      const resend = feed([
        { atMs: at(0), counterMwh: 5_000_000 },
        { atMs: at(5), counterMwh: 1_000 },
        { atMs: at(10), counterMwh: 9e11 },
      ]);
      expect(resend.notes).toEqual(['baseline', 'reset', 'implausible']);
      expect(resend.intervals).toEqual([]);
    });

    it('believes exactly maxPowerW over the interval, plus 10 Wh for whole-Wh counters, and nothing more', () => {
      const hourAtMost = (DEFAULT_MAX_POWER_W * 60 * MIN) / 3600 + 10_000;
      expect(
        feed([
          { atMs: at(0), counterMwh: 0 },
          { atMs: at(60), counterMwh: hourAtMost },
        ]).notes,
      ).toEqual(['baseline', 'counted']);
      expect(
        feed([
          { atMs: at(0), counterMwh: 0 },
          { atMs: at(60), counterMwh: hourAtMost + 1 },
        ]).notes,
      ).toEqual(['baseline', 'implausible']);
      // A 2 kW kettle read by a counter in whole Wh, 100 ms apart: a 1 Wh step is 36 kW for a moment.
      const kettle = feed([
        { atMs: T0, counterMwh: 7_000_000 },
        { atMs: T0 + 100, counterMwh: 7_001_000 },
      ]);
      expect(kettle.notes).toEqual(['baseline', 'counted']);
    });

    it('uses the limit it is given', () => {
      const step = (maxPowerW: number) =>
        advanceChannel(
          advanceChannel(EMPTY_CHANNEL, { atMs: at(0), counterMwh: 0 }).state,
          { atMs: at(60), counterMwh: 3_010_000 },
          { maxPowerW },
        ).notes;
      expect(step(3000)).toEqual(['counted']);
      expect(step(2999)).toEqual(['implausible']);
    });
  });
});
