/**
 * Decides which rules a booked reading made cross their threshold, and records each crossing once
 * (the alert table's unique key). Runs inside the reading's transaction, so a crossing and the
 * energy that caused it are stored together or not at all.
 */

import { parseDate, startOfDay } from '../time/zoned-time.js';
import type { AlertRepository, EnergyAlert } from './alerts.js';
import { COST_UNITS_PER_MINOR, mwhToWh, toMinor } from './cost-units.js';
import type { TouchedPeriod } from './energy-accounting.js';
import { type EnergyBook, HOME } from './energy-book.js';
import { type CycleRule, periodEnd } from './periods.js';
import type { Rule, RuleAction, RuleRepository } from './rules.js';
import { type Tariff, tierBlocksFor } from './tariff.js';

/** How far back the recent rate of spending is measured for `projectedSpend`. */
export const FORECAST_WINDOW_MS = 24 * 3_600_000;
/** Less history than this and a forecast is noise (one kettle would project a fortune). */
export const MIN_FORECAST_HISTORY_MS = 3_600_000;

export interface Crossing {
  alert: EnergyAlert;
  action: RuleAction;
}

interface Measured {
  crossed: boolean;
  value: number;
  crossing: string;
}

export class RuleEvaluator {
  constructor(
    private readonly rules: RuleRepository,
    private readonly alerts: AlertRepository,
    private readonly book: EnergyBook,
    private readonly tariff: Tariff,
    private readonly cycleRule: CycleRule,
  ) {}

  evaluate(touched: TouchedPeriod[], nowIso: string): Crossing[] {
    const crossings: Crossing[] = [];
    const rulesByScope = new Map<string, Rule[]>();
    for (const item of touched) {
      let rules = rulesByScope.get(item.scope);
      if (!rules) {
        rules = this.rules.forScope(item.scope);
        rulesByScope.set(item.scope, rules);
      }
      for (const rule of rules) {
        if (rule.period !== item.period) continue;
        const endMs = startOfDay(
          periodEnd(item.period, parseDate(item.start), this.cycleRule),
          this.tariff.timezone,
        );
        const measured = this.measure(rule, item, endMs);
        if (!measured.crossed) continue;
        const recorded = this.alerts.record(
          {
            ruleId: rule.id,
            name: rule.name,
            metric: rule.metric,
            value: measured.value,
            threshold: rule.threshold,
            period: rule.period,
            periodStart: item.start,
            crossing: measured.crossing,
            deviceId: item.scope === HOME ? null : item.scope,
            ts: new Date(Math.min(item.asOfMs, endMs)).toISOString(),
            action: rule.action,
          },
          nowIso,
        );
        if (recorded) crossings.push(recorded);
      }
    }
    return crossings;
  }

  private measure(rule: Rule, item: TouchedPeriod, endMs: number): Measured {
    const total = this.book.total(item.scope, item.period, item.start);
    const thresholdCost = BigInt(rule.threshold) * COST_UNITS_PER_MINOR;
    switch (rule.metric) {
      case 'energy':
        return {
          crossed: total.energyMwh >= rule.threshold * 1000,
          value: mwhToWh(total.energyMwh),
          crossing: '',
        };
      case 'spend':
        return { crossed: total.cost >= thresholdCost, value: toMinor(total.cost), crossing: '' };
      case 'projectedSpend': {
        const projected = this.project(item, total.cost, endMs);
        if (projected === null) return { crossed: false, value: 0, crossing: '' };
        return { crossed: projected >= thresholdCost, value: toMinor(projected), crossing: '' };
      }
      case 'tierRemaining':
        return this.tierRemaining(rule, total.energyMwh, item.start);
    }
  }

  /**
   * Spend so far plus the recent rate (the last 24 hours of booked cost) times what is left of the
   * period; null for a period already over or with under an hour of history.
   */
  private project(item: TouchedPeriod, spent: bigint, endMs: number): bigint | null {
    if (item.asOfMs >= endMs) return null;
    const from = item.asOfMs - FORECAST_WINDOW_MS;
    const recent = this.book.hourlyCost(item.scope, from, item.asOfMs);
    if (recent.firstHourMs === null) return null;
    const covered = item.asOfMs - Math.max(from, recent.firstHourMs);
    if (covered < MIN_FORECAST_HISTORY_MS) return null;
    return spent + (recent.cost * BigInt(endMs - item.asOfMs)) / BigInt(covered);
  }

  /**
   * kWh left before the next tier: crossed when the home is within `threshold` Wh of a tier boundary
   * (or past it). Each boundary is its own crossing, but only the nearest one reached counts, so a
   * rule created late in a cycle does not fire for every tier at once.
   */
  private tierRemaining(rule: Rule, usedMwh: number, cycleStart: string): Measured {
    const blocks = tierBlocksFor(this.tariff, parseDate(cycleStart).month);
    let reached: { tier: number; remainingMwh: number } | undefined;
    blocks.forEach((block, index) => {
      if (block.upToMwh === null) return;
      if (usedMwh >= block.upToMwh - rule.threshold * 1000) {
        reached = { tier: index + 2, remainingMwh: Math.max(0, block.upToMwh - usedMwh) };
      }
    });
    if (!reached) return { crossed: false, value: 0, crossing: '' };
    return { crossed: true, value: mwhToWh(reached.remainingMwh), crossing: `tier${reached.tier}` };
  }
}
