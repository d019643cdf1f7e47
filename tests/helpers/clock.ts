import type { Clock } from '../../src/clock.js';

/** A clock tests move by hand, to expire intents and pairing codes without waiting. */
export class ManualClock implements Clock {
  constructor(private current = Date.parse('2026-11-27T08:00:00.000Z')) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
