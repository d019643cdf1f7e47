import { type Clock, isoNow } from '../clock.js';
import { HubError } from '../errors.js';
import { newId } from '../ids.js';
import type { Logger } from '../logger.js';
import type { Intent } from '../payments/intent.js';
import { type Db, inTransaction, prepared } from '../store/database.js';
import { localTime } from '../time/zoned-time.js';
import { type Ledger, WALLET_ACCOUNT } from './ledger.js';

export interface Goal {
  id: string;
  name: string;
  target: number;
  /** YYYY-MM-DD, local. */
  targetDate: string;
  /** Round each payment up to a multiple of this (minor units) and save the difference. */
  roundUpTo: number | null;
  status: 'active' | 'closed';
  saved: number;
  /** Whole percent of the target saved, rounded down. */
  percent: number;
  /** What is still missing, spread over the months left (rounded up); 0 once reached. */
  monthlyNeeded: number;
  reached: boolean;
  createdAt: string;
}

interface GoalRow {
  id: string;
  name: string;
  target: number;
  target_date: string;
  round_up_to: number | null;
  status: 'active' | 'closed';
  created_at: string;
}

/** A goal's money is a ledger account of its own that, like the wallet, never goes below zero. */
export const goalAccount = (goalId: string) => `goal:${goalId}`;

/**
 * Savings goals: a target and a date, funded by transfers from the wallet or by a round-up rule
 * (each payment rounded up, the difference saved). The money sits in the goal's own ledger
 * account, moved by `transfer` transactions, so the ledger's guarantees hold for it too.
 */
export class Goals {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly ledger: Ledger,
    private readonly timeZone: string,
    private readonly logger: Logger,
  ) {}

  create(input: { name: string; target: number; targetDate: string; roundUpTo?: number }): Goal {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(input.targetDate) || Number.isNaN(Date.parse(input.targetDate))) {
      throw new HubError('invalid_request', 'targetDate must be a date, YYYY-MM-DD');
    }
    const id = newId('goal');
    inTransaction(this.db, () => {
      prepared(
        this.db,
        `INSERT INTO goals (id, name, target, target_date, round_up_to, status, created_at)
           VALUES (?, ?, ?, ?, ?, 'active', ?)`,
      ).run(id, input.name, input.target, input.targetDate, input.roundUpTo ?? null, isoNow(this.clock));
      // A goal account behaves like the wallet: it may not go below zero.
      this.ledger.ensureAccount(goalAccount(id), 'wallet', `Goal: ${input.name}`);
    });
    return this.require(id);
  }

  list(): Goal[] {
    const rows = prepared(this.db, 'SELECT * FROM goals ORDER BY created_at, id').all() as GoalRow[];
    return rows.map((row) => this.toGoal(row));
  }

  require(id: string): Goal {
    const row = prepared(this.db, 'SELECT * FROM goals WHERE id = ?').get(id) as GoalRow | undefined;
    if (!row) throw new HubError('goal_not_found', `No goal with id ${id}`);
    return this.toGoal(row);
  }

  /** Moves money between the wallet and a goal: `in` saves, `out` takes savings back. */
  transfer(id: string, amount: number, direction: 'in' | 'out'): Goal {
    const goal = this.require(id);
    if (goal.status !== 'active' && direction === 'in') {
      throw new HubError('invalid_request', `Goal ${id} is closed`);
    }
    inTransaction(this.db, () => {
      const sign = direction === 'in' ? 1 : -1;
      this.ledger.post({
        kind: 'transfer',
        description: direction === 'in' ? `Saved for ${goal.name}` : `Taken from ${goal.name}`,
        postings: [
          { accountId: WALLET_ACCOUNT, amount: -sign * amount },
          { accountId: goalAccount(id), amount: sign * amount },
        ],
      });
    });
    return this.require(id);
  }

  /** Closes a goal and moves what it holds back to the wallet. */
  close(id: string): Goal {
    const goal = this.require(id);
    inTransaction(this.db, () => {
      if (goal.saved > 0) this.transfer(id, goal.saved, 'out');
      prepared(
        this.db,
        "UPDATE goals SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'active'",
      ).run(isoNow(this.clock), id);
    });
    return this.require(id);
  }

  /**
   * The round-up rule, after a payment succeeded: the first active goal with a rule gets the
   * difference to the next multiple, taken from the wallet when it has that much available. Once
   * per intent (the round-up row is its proof); skipped, not failed, when the wallet is short.
   */
  roundUp(intent: Intent): number {
    if (intent.status !== 'succeeded' || ['topup', 'withdrawal'].includes(intent.source.kind)) return 0;
    return inTransaction(this.db, () => {
      const row = prepared(
        this.db,
        "SELECT * FROM goals WHERE status = 'active' AND round_up_to IS NOT NULL ORDER BY created_at, id LIMIT 1",
      ).get() as GoalRow | undefined;
      if (!row?.round_up_to) return 0;
      const done = prepared(this.db, 'SELECT 1 FROM goal_round_ups WHERE intent_id = ?').get(intent.id);
      const amount = (row.round_up_to - (intent.amount % row.round_up_to)) % row.round_up_to;
      if (done || amount === 0) return 0;
      if (this.ledger.available(WALLET_ACCOUNT) < amount) {
        this.logger.info({ intentId: intent.id, goalId: row.id, amount }, 'round-up skipped: wallet short');
        return 0;
      }
      const tx = this.ledger.post({
        kind: 'transfer',
        description: `Round-up of ${intent.description} for ${row.name}`,
        postings: [
          { accountId: WALLET_ACCOUNT, amount: -amount },
          { accountId: goalAccount(row.id), amount },
        ],
      });
      prepared(
        this.db,
        'INSERT INTO goal_round_ups (intent_id, goal_id, amount, transaction_id, created_at) VALUES (?, ?, ?, ?, ?)',
      ).run(intent.id, row.id, amount, tx.id, isoNow(this.clock));
      return amount;
    });
  }

  private toGoal(row: GoalRow): Goal {
    const saved = this.ledger.balance(goalAccount(row.id));
    const missing = Math.max(0, row.target - saved);
    return {
      id: row.id,
      name: row.name,
      target: row.target,
      targetDate: row.target_date,
      roundUpTo: row.round_up_to,
      status: row.status,
      saved,
      percent: Math.floor((saved * 100) / row.target),
      monthlyNeeded: missing === 0 ? 0 : Math.ceil(missing / this.monthsLeft(row.target_date)),
      reached: saved >= row.target,
      createdAt: row.created_at,
    };
  }

  /** Months from now to the target date, counting the current one; at least 1. */
  private monthsLeft(targetDate: string): number {
    const now = localTime(this.clock.now(), this.timeZone);
    const [year, month] = targetDate.split('-').map(Number);
    return Math.max(1, ((year ?? now.year) - now.year) * 12 + ((month ?? now.month) - now.month) + 1);
  }
}
