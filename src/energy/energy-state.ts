/**
 * What a metered device (and the home) stand at now: the retained `homepay/energy/{deviceId}/state`
 * payload (SPEC "Energy spend"), also in `GET /api/devices/{id}`. Costs are rounded to whole minor
 * units here, at the edge, and nowhere before.
 */

import { formatDate, type LocalDate, localTime, parseDate, startOfDay } from '../time/zoned-time.js';
import { mwhToWh, toMinor } from './cost-units.js';
import type { EnergyAccounting } from './energy-accounting.js';
import { type EnergyBook, HOME } from './energy-book.js';
import { periodEnd } from './periods.js';
import { tierBlocksFor } from './tariff.js';

export interface DeviceEnergyState {
  /** The latest power the device reported, summed over its channels; null when it reports none. */
  powerW: number | null;
  todayWh: number;
  /** Minor units. */
  todayCost: number;
  monthWh: number;
  monthCost: number;
  currency: string;
  /** When this state was computed. */
  ts: string;
  /** `counter`: from the device's energy counter; `integrated`: it reports only power, integrated here. */
  energySource: 'counter' | 'integrated';
  /** When today and this month began in the tariff's time zone (Home Assistant's `last_reset`). */
  todayStart: string;
  monthStart: string;
  lastReadingAt: string | null;
}

export interface PeriodTotal {
  start: string;
  energyWh: number;
  cost: number;
}

export interface HomeEnergyState {
  currency: string;
  tariff: { id: string; name: string };
  ts: string;
  day: PeriodTotal;
  week: PeriodTotal;
  month: PeriodTotal;
  cycle: PeriodTotal & {
    end: string;
    /** 1-based tier the home is in, and the Wh left before the next (null in the last tier or untiered). */
    tier: number | null;
    remainingWh: number | null;
  };
}

export class EnergyStates {
  constructor(
    private readonly book: EnergyBook,
    private readonly accounting: EnergyAccounting,
  ) {}

  device(deviceId: string, nowMs: number): DeviceEnergyState | undefined {
    const channels = this.book.channels(deviceId);
    if (channels.length === 0) return undefined;
    const { tariff } = this.accounting;
    const today = this.today(nowMs);
    const starts = this.accounting.periodStarts(today);
    const day = this.book.total(deviceId, 'day', starts.day);
    const month = this.book.total(deviceId, 'month', starts.month);
    const powers = channels.map((c) => c.state.powerW).filter((p): p is number => p !== null);
    const lastMs = Math.max(...channels.map((c) => Math.max(c.state.counterMs ?? 0, c.state.powerMs ?? 0)));
    return {
      powerW: powers.length > 0 ? Math.round(powers.reduce((a, b) => a + b, 0) * 1000) / 1000 : null,
      todayWh: mwhToWh(day.energyMwh),
      todayCost: toMinor(day.cost),
      monthWh: mwhToWh(month.energyMwh),
      monthCost: toMinor(month.cost),
      currency: tariff.currency,
      ts: new Date(nowMs).toISOString(),
      energySource: channels.some((c) => c.state.source === 'counter') ? 'counter' : 'integrated',
      todayStart: new Date(startOfDay(parseDate(starts.day), tariff.timezone)).toISOString(),
      monthStart: new Date(startOfDay(parseDate(starts.month), tariff.timezone)).toISOString(),
      lastReadingAt: lastMs > 0 ? new Date(lastMs).toISOString() : null,
    };
  }

  home(nowMs: number): HomeEnergyState {
    const { tariff, cycleRule } = this.accounting;
    const starts = this.accounting.periodStarts(this.today(nowMs));
    const total = (period: 'day' | 'week' | 'month' | 'cycle'): PeriodTotal => {
      const sum = this.book.total(HOME, period, starts[period]);
      return { start: starts[period], energyWh: mwhToWh(sum.energyMwh), cost: toMinor(sum.cost) };
    };
    const cycle = total('cycle');
    const usedMwh = this.book.total(HOME, 'cycle', starts.cycle).energyMwh;
    const blocks = tariff.tiers ? tierBlocksFor(tariff, parseDate(starts.cycle).month) : [];
    const index = blocks.findIndex((block) => block.upToMwh === null || usedMwh < block.upToMwh);
    const limit = blocks[index]?.upToMwh ?? null;
    const end = periodEnd('cycle', parseDate(starts.cycle), cycleRule);
    return {
      currency: tariff.currency,
      tariff: { id: tariff.id, name: tariff.name },
      ts: new Date(nowMs).toISOString(),
      day: total('day'),
      week: total('week'),
      month: total('month'),
      cycle: {
        ...cycle,
        end: formatDate(end),
        tier: blocks.length > 0 ? index + 1 : null,
        remainingWh: limit === null ? null : mwhToWh(limit - usedMwh),
      },
    };
  }

  private today(nowMs: number): LocalDate {
    const local = localTime(nowMs, this.accounting.tariff.timezone);
    return { year: local.year, month: local.month, day: local.day };
  }
}
