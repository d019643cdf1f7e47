import { type Clock, isoNow } from '../clock.js';
import { HubError } from '../errors.js';
import { yuan } from '../money.js';
import { type Db, inTransaction, prepared } from '../store/database.js';
import { parseMonth } from './calendar.js';
import { categoryName } from './categories.js';
import type { Spending } from './spending.js';

export interface BudgetSettings {
  alertPercents: number[];
  /** Budgets for every month from the config file, by category. */
  monthly: Record<string, number>;
}

export interface Budget {
  category: string;
  /** `YYYY-MM` for one month, or `*` for every month that has no budget of its own. */
  month: string;
  amount: number;
  alertPercents: number[];
  /** Where it comes from: set through the API, or the config file. */
  origin: 'api' | 'config';
}

export interface BudgetStatus extends Budget {
  forMonth: string;
  spent: number;
  remaining: number;
  /** Whole percent of the budget spent, rounded down. */
  percentUsed: number;
  alertsSent: number[];
}

export interface BudgetAlert {
  category: string;
  month: string;
  percent: number;
  spent: number;
  budget: number;
  title: string;
  titleZh: string;
}

/**
 * Budgets per category and month, with alerts when spending reaches set percentages of them
 * (e.g. 80% and 100%). Each alert is sent once per category, month and percentage: the alert's
 * row is its own proof, so a restart or a second payment past the same line cannot repeat it.
 */
export class Budgets {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly spending: Spending,
    private readonly settings: BudgetSettings,
  ) {}

  set(input: { category: string; amount: number; month?: string; alertPercents?: number[] }): Budget {
    const month = input.month ?? '*';
    if (month !== '*' && !parseMonth(month)) throw new HubError('invalid_request', 'month must be YYYY-MM');
    const alertPercents = [...new Set(input.alertPercents ?? this.settings.alertPercents)].sort(
      (a, b) => a - b,
    );
    prepared(
      this.db,
      `INSERT INTO budgets (category, month, amount, alert_percents, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(category, month) DO UPDATE SET amount = excluded.amount,
           alert_percents = excluded.alert_percents, updated_at = excluded.updated_at`,
    ).run(input.category, month, input.amount, JSON.stringify(alertPercents), isoNow(this.clock));
    return { category: input.category, month, amount: input.amount, alertPercents, origin: 'api' };
  }

  remove(category: string, month = '*'): boolean {
    return (
      prepared(this.db, 'DELETE FROM budgets WHERE category = ? AND month = ?').run(category, month)
        .changes === 1
    );
  }

  /** The budget that applies to a category in a month: its own, else every month's, else config. */
  budgetFor(category: string, month: string): Budget | undefined {
    const row = prepared(
      this.db,
      `SELECT category, month, amount, alert_percents FROM budgets WHERE category = ? AND month IN (?, '*')
         ORDER BY month = '*' LIMIT 1`,
    ).get(category, month) as
      | { category: string; month: string; amount: number; alert_percents: string }
      | undefined;
    if (row) {
      return {
        category: row.category,
        month: row.month,
        amount: row.amount,
        alertPercents: JSON.parse(row.alert_percents) as number[],
        origin: 'api',
      };
    }
    const configured = this.settings.monthly[category];
    return configured
      ? {
          category,
          month: '*',
          amount: configured,
          alertPercents: this.settings.alertPercents,
          origin: 'config',
        }
      : undefined;
  }

  /** Every category with a budget in `month`, with what was spent against it. */
  status(month: string): BudgetStatus[] {
    const categories = new Set<string>(Object.keys(this.settings.monthly));
    const rows = prepared(this.db, "SELECT DISTINCT category FROM budgets WHERE month IN (?, '*')").all(
      month,
    ) as Array<{ category: string }>;
    for (const row of rows) categories.add(row.category);
    const spent = this.spending.byCategory(month);
    const out: BudgetStatus[] = [];
    for (const category of [...categories].sort()) {
      const budget = this.budgetFor(category, month);
      if (!budget) continue;
      const used = spent.get(category) ?? 0;
      out.push({
        ...budget,
        forMonth: month,
        spent: used,
        remaining: budget.amount - used,
        percentUsed: Math.floor((Math.max(used, 0) * 100) / budget.amount),
        alertsSent: this.alertsSent(category, month),
      });
    }
    return out;
  }

  /**
   * Records the alerts a category's spending has reached in `month` and returns the new ones.
   * Compared in integers: spent * 100 >= percent * budget.
   */
  check(category: string, month: string): BudgetAlert[] {
    return inTransaction(this.db, () => {
      const budget = this.budgetFor(category, month);
      if (!budget) return [];
      const spent = this.spending.inCategory(category, month);
      const fresh: BudgetAlert[] = [];
      for (const percent of budget.alertPercents) {
        if (spent * 100 < percent * budget.amount) continue;
        const inserted = prepared(
          this.db,
          `INSERT INTO budget_alerts (category, month, percent, spent, budget, created_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT DO NOTHING`,
        ).run(category, month, percent, spent, budget.amount, isoNow(this.clock));
        if (inserted.changes === 0) continue;
        const name = categoryName(category);
        fresh.push({
          category,
          month,
          percent,
          spent,
          budget: budget.amount,
          title: `${capitalize(name.en)}: ${percent}% of the ${month} budget used (¥${yuan(spent)} of ¥${yuan(budget.amount)})`,
          titleZh: `${name.zh}：${month} 预算已用 ${percent}%（¥${yuan(spent)} / ¥${yuan(budget.amount)}）`,
        });
      }
      return fresh;
    });
  }

  private alertsSent(category: string, month: string): number[] {
    const rows = prepared(
      this.db,
      'SELECT percent FROM budget_alerts WHERE category = ? AND month = ? ORDER BY percent',
    ).all(category, month) as Array<{ percent: number }>;
    return rows.map((row) => row.percent);
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
