import type { Clock } from '../clock.js';
import { HubError } from '../errors.js';
import { newId } from '../ids.js';
import { type Db, prepared } from '../store/database.js';

/**
 * The double-entry ledger (docs/ledger.md states its guarantees). Every movement of money is a
 * transaction of postings that sum to zero; an account's balance is the sum of its postings, kept
 * by the database as each posting is inserted (migration 9), and postings are never edited; the
 * household wallet never goes below zero counting pending holds; a mistake is corrected by a
 * reversing transaction, never an edit.
 *
 * Every method is synchronous and expects to run inside the caller's `inTransaction`, so a check
 * (a balance, a hold's state) and the write that depends on it cannot be split by another writer.
 */

export type AccountKind = 'wallet' | 'payee' | 'funding';

export const WALLET_ACCOUNT = 'wallet';

export interface Posting {
  accountId: string;
  /** Minor units; positive credits the account, negative debits it. */
  amount: number;
}

export interface NewTransaction {
  /** `transfer`: between the household's own accounts, e.g. the wallet and a savings goal. */
  kind: 'payment' | 'topup' | 'withdrawal' | 'refund' | 'reversal' | 'transfer';
  intentId?: string;
  reverses?: string;
  description: string;
  postings: Posting[];
}

export interface LedgerTransaction {
  id: string;
  kind: NewTransaction['kind'];
  intentId: string | null;
  reverses: string | null;
  description: string;
  createdAt: string;
  postings: Posting[];
}

export type HoldStatus = 'pending' | 'posted' | 'voided';

export class Ledger {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    readonly currency: string,
  ) {}

  /** Creates an account the first time it is needed; outside accounts may go negative. */
  ensureAccount(id: string, kind: AccountKind, name: string): void {
    prepared(
      this.db,
      `INSERT INTO ledger_accounts (id, kind, name, currency, may_go_negative) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(id) DO NOTHING`,
    ).run(id, kind, name, this.currency, kind === 'wallet' ? 0 : 1);
  }

  /**
   * The money the account holds: the sum of its postings, kept as a running balance by the
   * database (migration 9's trigger adds each posting as it is inserted).
   */
  balance(accountId: string): number {
    const row = prepared(this.db, 'SELECT balance FROM ledger_accounts WHERE id = ?').get(accountId) as
      | { balance: number }
      | undefined;
    return row?.balance ?? 0;
  }

  /** Money reserved by intents that are waiting for approval or settlement. */
  held(accountId: string): number {
    const row = prepared(
      this.db,
      "SELECT COALESCE(SUM(amount), 0) AS total FROM ledger_holds WHERE account_id = ? AND status = 'pending'",
    ).get(accountId) as { total: number };
    return row.total;
  }

  available(accountId: string): number {
    return this.balance(accountId) - this.held(accountId);
  }

  /** Phase one: reserves `amount` for an intent. Refused when it would take the wallet below zero. */
  hold(intentId: string, accountId: string, amount: number): void {
    assertMinorUnits(amount);
    if (this.available(accountId) < amount) {
      throw new HubError(
        'insufficient_funds',
        `The wallet has ${this.available(accountId)} available, ${amount} needed`,
      );
    }
    prepared(
      this.db,
      `INSERT INTO ledger_holds (id, intent_id, account_id, amount, status, created_at) VALUES (?, ?, ?, ?, 'pending', ?)`,
    ).run(newId('hold'), intentId, accountId, amount, this.now());
  }

  holdOf(intentId: string): { accountId: string; amount: number; status: HoldStatus } | undefined {
    return prepared(
      this.db,
      'SELECT account_id AS accountId, amount, status FROM ledger_holds WHERE intent_id = ?',
    ).get(intentId) as { accountId: string; amount: number; status: HoldStatus } | undefined;
  }

  /**
   * Phase two, success: the hold becomes a posted transaction. Exactly once: a hold that is not
   * pending any more is refused, so a second settlement of the same intent cannot post again.
   */
  postHold(intentId: string, transaction: NewTransaction): LedgerTransaction {
    const hold = this.holdOf(intentId);
    // The transaction must take exactly what was reserved from where it was reserved: a hold of
    // 300 cannot become a payment of 500.
    const debit = transaction.postings
      .filter((p) => p.accountId === hold?.accountId && p.amount < 0)
      .reduce((sum, p) => sum - p.amount, 0);
    if (hold && debit !== hold.amount) {
      throw new HubError(
        'internal_error',
        `Intent ${intentId} holds ${hold.amount} but the posting takes ${debit}`,
      );
    }
    const resolved = this.resolveHold(intentId, 'posted');
    if (!resolved) throw new HubError('internal_error', `Intent ${intentId} has no pending hold to post`);
    return this.post(transaction);
  }

  /** Phase two, failure: releases the reservation. Returns false when there was nothing pending. */
  voidHold(intentId: string): boolean {
    return this.resolveHold(intentId, 'voided');
  }

  /** Writes a balanced transaction, refusing one that would take the wallet below zero. */
  post(transaction: NewTransaction): LedgerTransaction {
    const { postings } = transaction;
    if (postings.length < 2)
      throw new HubError('internal_error', 'A transaction needs at least two postings');
    // Summed exactly: with doubles, amounts near 2^53 could round to a false zero.
    let sum = 0n;
    for (const posting of postings) {
      assertMinorUnits(Math.abs(posting.amount));
      sum += BigInt(posting.amount);
    }
    if (sum !== 0n) throw new HubError('internal_error', `Postings sum to ${sum}, not zero`);

    const id = newId('tx');
    const createdAt = this.now();
    prepared(
      this.db,
      'INSERT INTO ledger_transactions (id, kind, intent_id, reverses, description, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(
      id,
      transaction.kind,
      transaction.intentId ?? null,
      transaction.reverses ?? null,
      transaction.description,
      createdAt,
    );
    const insert = prepared(
      this.db,
      'INSERT INTO ledger_postings (transaction_id, account_id, amount) VALUES (?, ?, ?)',
    );
    for (const posting of postings) insert.run(id, posting.accountId, posting.amount);

    for (const posting of postings) {
      if (posting.amount >= 0 || this.mayGoNegative(posting.accountId)) continue;
      if (this.available(posting.accountId) < 0) {
        // Throwing rolls back the caller's transaction, postings included.
        throw new HubError('insufficient_funds', `Account ${posting.accountId} would go below zero`);
      }
    }
    return {
      ...transaction,
      id,
      createdAt,
      intentId: transaction.intentId ?? null,
      reverses: transaction.reverses ?? null,
    };
  }

  /**
   * A refund or correction: a new transaction with the postings of `transactionId` negated, scaled
   * to `amount` for a partial refund of a two-posting transaction. Never refunds more than is left.
   */
  reverse(
    transactionId: string,
    options: { amount?: number; description: string; kind?: 'refund' | 'reversal' },
  ): LedgerTransaction {
    const original = this.transaction(transactionId);
    if (!original) throw new HubError('not_found', `No transaction ${transactionId}`);
    if (original.reverses) throw new HubError('invalid_request', 'A reversal cannot itself be reversed');
    const total = original.postings.filter((p) => p.amount > 0).reduce((sum, p) => sum + p.amount, 0);
    const alreadyReversed = this.reversedAmount(transactionId);
    const amount = options.amount ?? total - alreadyReversed;
    if (amount <= 0 && options.amount === undefined) {
      throw new HubError('invalid_request', `Transaction ${transactionId} is already fully refunded`);
    }
    assertMinorUnits(amount);
    if (amount + alreadyReversed > total) {
      throw new HubError('invalid_request', `Only ${total - alreadyReversed} of ${total} is left to refund`);
    }
    if (amount !== total && original.postings.length !== 2) {
      throw new HubError('invalid_request', 'A partial refund needs a transaction with exactly two postings');
    }
    const postings =
      amount === total
        ? original.postings.map((p) => ({ accountId: p.accountId, amount: -p.amount }))
        : original.postings.map((p) => ({ accountId: p.accountId, amount: p.amount > 0 ? -amount : amount }));
    return this.post({
      kind: options.kind ?? 'refund',
      intentId: original.intentId ?? undefined,
      reverses: transactionId,
      description: options.description,
      postings,
    });
  }

  transaction(id: string): LedgerTransaction | undefined {
    const row = prepared(this.db, 'SELECT * FROM ledger_transactions WHERE id = ?').get(id) as
      | TransactionRow
      | undefined;
    return row ? this.withPostings(row) : undefined;
  }

  transactionsOfIntent(intentId: string): LedgerTransaction[] {
    const rows = prepared(
      this.db,
      'SELECT * FROM ledger_transactions WHERE intent_id = ? ORDER BY created_at, id',
    ).all(intentId) as TransactionRow[];
    return rows.map((row) => this.withPostings(row));
  }

  private reversedAmount(transactionId: string): number {
    const reversals = prepared(this.db, 'SELECT id FROM ledger_transactions WHERE reverses = ?').all(
      transactionId,
    ) as Array<{ id: string }>;
    let sum = 0;
    for (const { id } of reversals) {
      for (const p of this.withPostings({ id } as TransactionRow).postings) if (p.amount > 0) sum += p.amount;
    }
    return sum;
  }

  private withPostings(row: TransactionRow): LedgerTransaction {
    const postings = prepared(
      this.db,
      'SELECT account_id AS accountId, amount FROM ledger_postings WHERE transaction_id = ? ORDER BY id',
    ).all(row.id) as Posting[];
    return {
      id: row.id,
      kind: row.kind,
      intentId: row.intent_id,
      reverses: row.reverses,
      description: row.description,
      createdAt: row.created_at,
      postings,
    };
  }

  private resolveHold(intentId: string, to: 'posted' | 'voided'): boolean {
    const result = prepared(
      this.db,
      "UPDATE ledger_holds SET status = ?, resolved_at = ? WHERE intent_id = ? AND status = 'pending'",
    ).run(to, this.now(), intentId);
    return result.changes === 1;
  }

  private mayGoNegative(accountId: string): boolean {
    const row = prepared(this.db, 'SELECT may_go_negative FROM ledger_accounts WHERE id = ?').get(
      accountId,
    ) as { may_go_negative: number } | undefined;
    if (!row) throw new HubError('internal_error', `No ledger account ${accountId}`);
    return row.may_go_negative === 1;
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

interface TransactionRow {
  id: string;
  kind: NewTransaction['kind'];
  intent_id: string | null;
  reverses: string | null;
  description: string;
  created_at: string;
}

/** Money is a positive safe integer of minor units; anything else is a bug, not user input. */
function assertMinorUnits(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new HubError('internal_error', `Not an amount of minor units: ${amount}`);
  }
}
