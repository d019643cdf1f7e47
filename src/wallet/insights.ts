import type { Clock } from '../clock.js';
import { yuan } from '../money.js';
import { localTime } from '../time/zoned-time.js';
import { addMonths, daysInMonth, monthKey } from './calendar.js';
import { categoryName } from './categories.js';
import type { Spending } from './spending.js';

export interface CategoryInsight {
  category: string;
  name: string;
  spent: number;
  /** The month's expected total: what was spent so far, spread over the whole month. */
  forecast: number;
  /** Average of the three months before, rounded down; 0 with no history. */
  threeMonthAverage: number;
  /** Whole percent the month (its forecast, while it runs) is above (+) or below (-) that average. */
  changePercent: number | null;
}

export interface Insights {
  month: string;
  lang: 'zh' | 'en';
  /** True while the month is running: forecasts are then projections. */
  partial: boolean;
  spent: number;
  forecast: number;
  categories: CategoryInsight[];
  observations: string[];
}

/** Smaller moves than this are not worth telling anyone about. */
const NOTABLE_PERCENT = 20;

/**
 * Spending insights for a month: per category what was spent, the forecast for the whole month,
 * the three-month average, and plain-language observations ("groceries are 40% above your
 * 3-month average") in Chinese or English. All arithmetic is on integer minor units.
 */
export class SpendingInsights {
  constructor(
    private readonly spending: Spending,
    private readonly clock: Clock,
    private readonly timeZone: string,
  ) {}

  forMonth(month: string, lang: 'zh' | 'en'): Insights {
    const now = this.clock.now();
    const current = monthKey(now, this.timeZone);
    const partial = month === current;
    const days = daysInMonth(month);
    const elapsed = partial ? localTime(now, this.timeZone).day : days;
    const spent = this.spending.byCategory(month);
    const history = [1, 2, 3].map((back) => this.spending.byCategory(addMonths(month, -back)));
    const categories = new Set([...spent.keys(), ...history.flatMap((m) => [...m.keys()])]);

    const rows: CategoryInsight[] = [];
    for (const category of categories) {
      const amount = Math.max(0, spent.get(category) ?? 0);
      const forecast = partial ? Math.floor((amount * days) / elapsed) : amount;
      const average = Math.floor(history.reduce((sum, m) => sum + Math.max(0, m.get(category) ?? 0), 0) / 3);
      rows.push({
        category,
        name: categoryName(category)[lang],
        spent: amount,
        forecast,
        threeMonthAverage: average,
        changePercent: average > 0 ? Math.round(((forecast - average) * 100) / average) : null,
      });
    }
    rows.sort((a, b) => b.forecast - a.forecast || a.category.localeCompare(b.category));
    const total = rows.reduce((sum, row) => sum + row.spent, 0);
    const forecastTotal = rows.reduce((sum, row) => sum + row.forecast, 0);
    return {
      month,
      lang,
      partial,
      spent: total,
      forecast: forecastTotal,
      categories: rows,
      observations: observations(rows, forecastTotal, partial, lang),
    };
  }
}

function observations(
  rows: CategoryInsight[],
  forecast: number,
  partial: boolean,
  lang: 'zh' | 'en',
): string[] {
  const out: string[] = [];
  if (partial && forecast > 0) {
    out.push(
      lang === 'zh'
        ? `按目前的速度，本月预计支出 ¥${yuan(forecast)}。`
        : `At this pace the month will come to ¥${yuan(forecast)}.`,
    );
  }
  for (const row of rows) {
    if (row.changePercent === null || Math.abs(row.changePercent) < NOTABLE_PERCENT) continue;
    const above = row.changePercent > 0;
    const pct = Math.abs(row.changePercent);
    if (lang === 'zh') {
      out.push(
        `${row.name}支出${partial ? '预计' : ''}比近三个月平均${above ? '高' : '低'}${pct}%（平均 ¥${yuan(row.threeMonthAverage)}）。`,
      );
    } else {
      const verb = partial ? 'are heading' : 'were';
      out.push(
        `${capitalize(row.name)} ${verb} ${pct}% ${above ? 'above' : 'below'} your 3-month average (¥${yuan(row.threeMonthAverage)}).`,
      );
    }
  }
  for (const row of rows) {
    if (row.threeMonthAverage === 0 && row.spent > 0) {
      out.push(
        lang === 'zh'
          ? `${row.name}是近三个月没有的新支出（¥${yuan(row.spent)}）。`
          : `${capitalize(row.name)} is new spending this month (¥${yuan(row.spent)}).`,
      );
    }
  }
  return out;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
