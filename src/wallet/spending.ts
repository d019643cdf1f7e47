import { type Db, prepared } from '../store/database.js';
import { monthRange } from './calendar.js';

/**
 * What the household spent, per category, in a local month: payments minus refunds, counted when
 * they were booked. Top-ups, withdrawals and goal transfers move the household's own money and
 * are not spending.
 */
export class Spending {
  constructor(
    private readonly db: Db,
    private readonly timeZone: string,
  ) {}

  byCategory(month: string): Map<string, number> {
    const { start, end } = monthRange(month, this.timeZone);
    const rows = prepared(
      this.db,
      `SELECT COALESCE(json_extract(i.details, '$.category'), 'other') AS category,
           SUM(CASE t.kind WHEN 'payment' THEN p.amount ELSE -p.amount END) AS spent
         FROM ledger_transactions t
         JOIN intents i ON i.id = t.intent_id
         JOIN ledger_postings p ON p.transaction_id = t.id AND p.amount > 0
         WHERE t.kind IN ('payment', 'refund') AND t.created_at >= ? AND t.created_at < ?
         GROUP BY 1`,
    ).all(start, end) as Array<{ category: string; spent: number }>;
    return new Map(rows.map((row) => [row.category, row.spent]));
  }

  inCategory(category: string, month: string): number {
    return this.byCategory(month).get(category) ?? 0;
  }
}
