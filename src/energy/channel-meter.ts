/**
 * One metering channel (a plug, or relay n of a multi-channel device) turning readings into
 * consumption intervals. Pure: the state goes in and comes out, so the hub can keep it in the
 * database and a restart continues exactly where it stopped.
 *
 * - A cumulative counter gives the energy between two readings; the interval runs from the earlier
 *   reading to the later one (a gap is spread over it by the pricing).
 * - Duplicates and older readings are ignored, so a reading delivered again (a QoS 1 resend after a
 *   restart) is never counted twice.
 * - A counter that goes down is a reset: the new value is the baseline, nothing negative is counted.
 *   Until the next reading confirms it the old value is remembered, because a resend of an older
 *   message without a timestamp looks the same; if the counter is back above the old value, the dip
 *   was that resend and the energy is counted from the old value.
 * - A channel that never reported a counter has its power integrated: each power value is held until
 *   the next one, for at most an hour (a device silent for longer says nothing about that time).
 * - A counter that rises faster than the home can draw (`maxPowerW` over the interval, plus a few Wh
 *   for counters that report whole Wh moments apart) is not consumption: a meter swapped for one with
 *   a higher count, or a hijacked plug. The new value becomes the baseline and nothing is counted.
 */
import type { Interval } from './interval-pricing.js';

export interface ChannelState {
  /** `counter` once the channel has reported a cumulative counter; `power` while it only reports W. */
  source: 'counter' | 'power';
  counterMwh: number | null;
  counterMs: number | null;
  /** After a decrease: the counter before it and when it was read, until the reset is confirmed. */
  peakMwh: number | null;
  peakMs: number | null;
  powerW: number | null;
  powerMs: number | null;
  /** Integrated energy below one mWh, in mW x ms, carried so that no fraction is ever lost. */
  powerRemainder: number;
}

export const EMPTY_CHANNEL: ChannelState = {
  source: 'power',
  counterMwh: null,
  counterMs: null,
  peakMwh: null,
  peakMs: null,
  powerW: null,
  powerMs: null,
  powerRemainder: 0,
};

export interface ChannelReading {
  atMs: number;
  counterMwh?: number;
  powerW?: number;
}

export type ReadingNote =
  | 'baseline'
  | 'counted'
  | 'reset'
  | 'resend'
  | 'duplicate'
  | 'older'
  | 'integrated'
  | 'implausible';

export interface ChannelLimits {
  /** The most a channel can draw; a counter rising faster than this is refused as a jump. */
  maxPowerW: number;
}

/**
 * Far above what any home draws (a Chinese three-phase household connection is 10 to 40 kW), and
 * high enough for the simulator at an hour a minute (a 2.2 kW washer looks like 132 kW to the hub).
 */
export const DEFAULT_MAX_POWER_W = 250_000;
/**
 * Counters that report whole Wh (Tasmota's kWh with three decimals) can step by a Wh between two
 * readings milliseconds apart; that much above `maxPowerW` is believed.
 */
const COUNTER_STEP_SLACK_MWH = 10_000;

export interface ChannelStep {
  state: ChannelState;
  intervals: Interval[];
  notes: ReadingNote[];
}

/** How long a power value is believed without a newer one. */
export const MAX_POWER_HOLD_MS = 3_600_000;
const MW_MS_PER_MWH = 3_600_000_000 / 1000;

export function advanceChannel(
  before: ChannelState,
  reading: ChannelReading,
  limits: ChannelLimits = { maxPowerW: DEFAULT_MAX_POWER_W },
): ChannelStep {
  let state = { ...before };
  const intervals: Interval[] = [];
  const notes: ReadingNote[] = [];

  if (reading.powerW !== undefined) {
    if (state.powerMs !== null && reading.atMs <= state.powerMs) {
      notes.push(reading.atMs === state.powerMs ? 'duplicate' : 'older');
    } else {
      if (state.source === 'power' && state.powerW !== null && state.powerMs !== null) {
        const integrated = integrate(state, reading.atMs);
        state = integrated.state;
        if (integrated.interval) intervals.push(integrated.interval);
        notes.push('integrated');
      }
      state.powerW = reading.powerW;
      state.powerMs = reading.atMs;
    }
  }

  if (reading.counterMwh !== undefined) {
    const step = advanceCounter(state, reading.atMs, reading.counterMwh, limits);
    state = step.state;
    notes.push(step.note);
    if (step.interval) intervals.push(step.interval);
  }
  return { state, intervals, notes };
}

function advanceCounter(
  state: ChannelState,
  atMs: number,
  value: number,
  limits: ChannelLimits,
): { state: ChannelState; note: ReadingNote; interval?: Interval } {
  const next: ChannelState = { ...state, source: 'counter' };
  if (state.counterMwh === null || state.counterMs === null) {
    return { state: { ...next, counterMwh: value, counterMs: atMs }, note: 'baseline' };
  }
  if (atMs <= state.counterMs) {
    return { state, note: atMs === state.counterMs && value === state.counterMwh ? 'duplicate' : 'older' };
  }
  const moved = { ...next, counterMwh: value, counterMs: atMs, peakMwh: null, peakMs: null };
  if (state.peakMwh !== null && state.peakMs !== null) {
    if (value >= state.peakMwh) {
      // The dip was an old message sent again: the counter never really went down.
      const interval = { startMs: state.peakMs, endMs: atMs, energyMwh: value - state.peakMwh };
      if (!plausible(interval, limits)) return { state: moved, note: 'implausible' };
      return { state: moved, note: 'resend', interval };
    }
    if (value < state.counterMwh) {
      return { state: { ...moved, peakMwh: state.peakMwh, peakMs: state.peakMs }, note: 'reset' };
    }
  } else if (value < state.counterMwh) {
    return { state: { ...moved, peakMwh: state.counterMwh, peakMs: state.counterMs }, note: 'reset' };
  }
  const interval = { startMs: state.counterMs, endMs: atMs, energyMwh: value - state.counterMwh };
  if (!plausible(interval, limits)) return { state: moved, note: 'implausible' };
  return { state: moved, note: 'counted', interval };
}

/** Whether an interval's energy could have been drawn at `maxPowerW` (mWh = W x ms / 3,600). */
function plausible(interval: Interval, limits: ChannelLimits): boolean {
  const mostMwh = (limits.maxPowerW * (interval.endMs - interval.startMs)) / 3600 + COUNTER_STEP_SLACK_MWH;
  return interval.energyMwh <= mostMwh;
}

/** The held power's energy from the last power reading to `atMs` (at most an hour of it). */
function integrate(state: ChannelState, atMs: number): { state: ChannelState; interval?: Interval } {
  const from = state.powerMs as number;
  const until = Math.min(atMs, from + MAX_POWER_HOLD_MS);
  // Power flowing back (a balcony solar panel) is not consumption: the hub prices what is drawn.
  const milliwatts = Math.max(0, Math.round((state.powerW as number) * 1000));
  const total = milliwatts * (until - from) + state.powerRemainder;
  const energyMwh = Math.floor(total / MW_MS_PER_MWH);
  const next = { ...state, powerRemainder: total - energyMwh * MW_MS_PER_MWH };
  return until > from
    ? { state: next, interval: { startMs: from, endMs: until, energyMwh } }
    : { state: next };
}
