/**
 * Books priced intervals: each segment's energy and exact cost go to the device's and the home's
 * day, week, month and cycle totals and to the hourly totals; the tariff's fixed charges go to the
 * home once per day and per month. Tiers count the home's energy, so a device's interval is priced
 * against the home's cycle total as it stands when the interval is booked: intervals are booked in
 * the order readings arrive, and within one interval in time order.
 */

import { formatDate, type LocalDate } from '../time/zoned-time.js';
import { type EnergyBook, HOME } from './energy-book.js';
import { type Interval, priceInterval } from './interval-pricing.js';
import { type CycleRule, PERIODS, type Period, periodStart } from './periods.js';
import type { Tariff } from './tariff.js';

/** A period whose total changed, and the latest instant booked in it (for forecasts and alert times). */
export interface TouchedPeriod {
  scope: string;
  period: Period;
  start: string;
  asOfMs: number;
}

export class EnergyAccounting {
  constructor(
    private readonly book: EnergyBook,
    readonly tariff: Tariff,
    readonly cycleRule: CycleRule,
  ) {}

  /** The first local date of each period containing `date`. */
  periodStarts(date: LocalDate): Record<Period, string> {
    const starts = {} as Record<Period, string>;
    for (const period of PERIODS) starts[period] = formatDate(periodStart(period, date, this.cycleRule));
    return starts;
  }

  /** Books one device interval; call inside the reading's transaction. */
  bookInterval(deviceId: string, interval: Interval, atIso: string): TouchedPeriod[] {
    if (interval.energyMwh <= 0) return [];
    const segments = priceInterval(
      this.tariff,
      this.cycleRule,
      interval,
      (cycle) => this.book.total(HOME, 'cycle', cycle).energyMwh,
    );
    const sums = new Map<
      string,
      { scope: string; period: Period; start: string; energy: number; cost: bigint }
    >();
    const touched = new Map<string, TouchedPeriod>();
    const add = (
      scope: string,
      period: Period,
      start: string,
      energy: number,
      cost: bigint,
      asOfMs: number,
    ) => {
      const key = `${scope}|${period}|${start}`;
      const sum = sums.get(key) ?? { scope, period, start, energy: 0, cost: 0n };
      sum.energy += energy;
      sum.cost += cost;
      sums.set(key, sum);
      const seen = touched.get(key);
      if (!seen || seen.asOfMs < asOfMs) touched.set(key, { scope, period, start, asOfMs });
    };

    for (const segment of segments) {
      const starts = this.periodStarts(segment.date);
      for (const scope of [deviceId, HOME]) {
        for (const period of PERIODS) {
          add(scope, period, starts[period], segment.energyMwh, segment.cost, segment.endMs);
        }
        this.book.addHour(scope, segment.hourStartMs, segment.energyMwh, segment.cost);
      }
      this.postFixedCharges(segment.date, starts, segment.endMs, atIso, add);
    }
    this.book.addTotals([...sums.values()]);
    return [...touched.values()];
  }

  /** A day's and a month's fixed charge belong to the home, posted the first time energy lands there. */
  private postFixedCharges(
    date: LocalDate,
    starts: Record<Period, string>,
    asOfMs: number,
    atIso: string,
    add: (scope: string, period: Period, start: string, energy: number, cost: bigint, asOfMs: number) => void,
  ): void {
    const { daily, monthly } = this.tariff.fixed;
    if (daily > 0n && this.book.postFixed('day', starts.day, daily, atIso)) {
      for (const period of PERIODS) add(HOME, period, starts[period], 0, daily, asOfMs);
    }
    if (monthly > 0n && this.book.postFixed('month', starts.month, monthly, atIso)) {
      // A monthly charge is not a day's or a week's spending.
      const monthStart = { year: date.year, month: date.month, day: 1 };
      add(HOME, 'month', starts.month, 0, monthly, asOfMs);
      add(HOME, 'cycle', this.periodStarts(monthStart).cycle, 0, monthly, asOfMs);
    }
  }
}
