import type { Appliance } from './load-curves.js';

/** Integration steps are at most this long (simulated), so a fridge cycle is not stepped over. */
const MAX_STEP_MS = 15_000;
/** ...and at most this many per advance; a huge speed takes coarser steps instead. */
const MAX_STEPS = 240;

/**
 * The metering chip of a plug: integrates its appliance's power over simulated time into a
 * cumulative counter, which only ever goes up (a rerun continues from the saved value).
 */
export class PlugMeter {
  private simMs: number;
  private counterWh: number;

  constructor(
    readonly appliance: Appliance,
    startWh: number,
    startSimMs: number,
  ) {
    this.counterWh = startWh;
    this.simMs = startSimMs;
  }

  get energyWh(): number {
    return this.counterWh;
  }

  /** Power now, in W. */
  get powerW(): number {
    return this.appliance.powerAt(this.simMs);
  }

  advanceTo(simMs: number): void {
    const span = simMs - this.simMs;
    if (span <= 0) return;
    const steps = Math.min(MAX_STEPS, Math.ceil(span / MAX_STEP_MS));
    const step = span / steps;
    let energy = 0;
    for (let i = 0; i < steps; i++) {
      // Midpoint rule: each step's power is sampled in its middle.
      energy += (this.appliance.powerAt(this.simMs + (i + 0.5) * step) * step) / 3_600_000;
    }
    this.counterWh += energy;
    this.simMs = simMs;
  }
}
