/**
 * The periods energy and spend are summed over, in the tariff's local calendar: day, ISO week
 * (Monday first), calendar month, and the billing cycle the tiers count in (a month or a year from a
 * configurable start). A period is named by its first local date, `2026-11-01`.
 */
import { addDays, addMonths, compareDates, type LocalDate } from '../time/zoned-time.js';

export const PERIODS = ['day', 'week', 'month', 'cycle'] as const;
export type Period = (typeof PERIODS)[number];

export interface CycleRule {
  period: 'month' | 'year';
  /** For yearly cycles. */
  startMonth: number;
  /** 1..28, so every month has it. */
  startDay: number;
}

/** The first local date of the period that contains `date`. */
export function periodStart(period: Period, date: LocalDate, cycle: CycleRule): LocalDate {
  switch (period) {
    case 'day':
      return date;
    case 'week': {
      const weekday = ((new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay() + 6) % 7) + 1;
      return addDays(date, 1 - weekday);
    }
    case 'month':
      return { year: date.year, month: date.month, day: 1 };
    case 'cycle':
      return cycleStartOf(date, cycle);
  }
}

/** The first local date after the period that starts at `start`. */
export function periodEnd(period: Period, start: LocalDate, cycle: CycleRule): LocalDate {
  switch (period) {
    case 'day':
      return addDays(start, 1);
    case 'week':
      return addDays(start, 7);
    case 'month':
      return addMonths(start, 1);
    case 'cycle':
      return addMonths(start, cycle.period === 'month' ? 1 : 12);
  }
}

function cycleStartOf(date: LocalDate, cycle: CycleRule): LocalDate {
  if (cycle.period === 'month') {
    const thisMonth = { year: date.year, month: date.month, day: cycle.startDay };
    return compareDates(date, thisMonth) >= 0 ? thisMonth : addMonths(thisMonth, -1);
  }
  const thisYear = { year: date.year, month: cycle.startMonth, day: cycle.startDay };
  return compareDates(date, thisYear) >= 0 ? thisYear : addMonths(thisYear, -12);
}
