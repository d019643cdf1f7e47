import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { HubError } from '../../src/errors.js';
import { type Db, inTransaction, openDatabase } from '../../src/store/database.js';
import { Ledger, WALLET_ACCOUNT } from '../../src/wallet/ledger.js';
import { ManualClock } from '../helpers/clock.js';

/**
 * Random sequences of ledger operations against a real SQLite file, checked after every step
 * against a model of plain integers and against the invariants docs/ledger.md promises.
 */

const FUNDING = 'funding:fs_property';
const PAYEE = 'payee:shop';

const root = mkdtempSync(path.join(tmpdir(), 'homepay-ledger-prop-'));
let runs = 0;

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

type Op =
  | { kind: 'topup'; amount: number }
  | { kind: 'hold'; amount: number }
  | { kind: 'postHold'; pick: number }
  | { kind: 'voidHold'; pick: number }
  | { kind: 'refund'; pick: number; amount: number | undefined }
  | { kind: 'pay'; amount: number };

// Top-ups run larger than holds and payments so that most of those fit and some do not.
const amount = fc.integer({ min: 1, max: 400 });
const topupAmount = fc.integer({ min: 1, max: 1000 });
const pick = fc.nat({ max: 8 });

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('topup' as const), amount: topupAmount }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('hold' as const), amount }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('postHold' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('voidHold' as const), pick }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('refund' as const),
      pick,
      // undefined: refund the rest; otherwise a partial amount that may exceed what is left.
      amount: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pay' as const), amount }) },
);

interface ModelHold {
  intentId: string;
  amount: number;
  status: 'pending' | 'posted' | 'voided' | 'refused';
  resolvedAt: string | null;
}

interface ModelTransaction {
  id: string;
  /** Positive magnitude: what the wallet gained (topup) or lost (payment). */
  amount: number;
  walletSign: 1 | -1;
  isReversal: boolean;
  refunded: number;
}

/** What the model expects an operation to do: succeed, or throw a HubError with one of these codes. */
type Expected = { ok: true } | { ok: false; codes: string[] };

interface Harness {
  db: Db;
  ledger: Ledger;
  clock: ManualClock;
}

function openHarness(): Harness {
  runs++;
  const db = openDatabase(path.join(root, `run-${runs}.db`));
  const clock = new ManualClock();
  const ledger = new Ledger(db, clock, 'CNY');
  ledger.ensureAccount(WALLET_ACCOUNT, 'wallet', 'Household wallet');
  ledger.ensureAccount(FUNDING, 'funding', 'Test card');
  ledger.ensureAccount(PAYEE, 'payee', 'Shop');
  return { db, ledger, clock };
}

function insertIntent(db: Db, id: string, amountMinor: number, at: string): void {
  db.prepare(
    `INSERT INTO intents (id, status, amount, currency, payee_id, payee_name, description, source_kind,
       challenge, expires_at, created_at, updated_at)
     VALUES (?, 'requires_approval', ?, 'CNY', 'shop', 'Shop', 'test', 'voice', ?, ?, ?, ?)`,
  ).run(id, amountMinor, `challenge-${id}`, at, at, at);
}

function rowCounts(db: Db): string {
  const count = (table: string) =>
    (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  return ['ledger_transactions', 'ledger_postings', 'ledger_holds', 'intents'].map(count).join('/');
}

function pickFrom<T>(items: T[], index: number): T | undefined {
  if (items.length === 0) return undefined;
  // Counted from the newest, so the same recent hold or transaction is picked again often.
  return items[items.length - 1 - (index % items.length)];
}

/** Runs one operation against the ledger and the model; returns what the model expected. */
function apply(
  h: Harness,
  model: { wallet: number; holds: ModelHold[]; transactions: ModelTransaction[] },
  operation: Op,
): { expected: Expected; commit: () => void; run: () => unknown } {
  const { ledger, db } = h;
  const pending = model.holds.filter((x) => x.status === 'pending').reduce((s, x) => s + x.amount, 0);
  const available = model.wallet - pending;
  const ok: Expected = { ok: true };
  switch (operation.kind) {
    case 'topup':
      return {
        expected: ok,
        run: () =>
          ledger.post({
            kind: 'topup',
            description: 'top-up',
            postings: [
              { accountId: FUNDING, amount: -operation.amount },
              { accountId: WALLET_ACCOUNT, amount: operation.amount },
            ],
          }),
        commit: () => {},
      };
    case 'hold': {
      const intentId = `pi_${model.holds.length}`;
      const hold: ModelHold = { intentId, amount: operation.amount, status: 'refused', resolvedAt: null };
      model.holds.push(hold);
      const fits = operation.amount <= available;
      return {
        expected: fits ? ok : { ok: false, codes: ['insufficient_funds'] },
        // As intents.ts does: the intent row and its hold in one transaction.
        run: () => {
          insertIntent(db, intentId, operation.amount, new Date(h.clock.now()).toISOString());
          ledger.hold(intentId, WALLET_ACCOUNT, operation.amount);
        },
        commit: () => {
          hold.status = 'pending';
        },
      };
    }
    case 'postHold': {
      const hold = pickFrom(model.holds, operation.pick);
      const intentId = hold?.intentId ?? 'pi_none';
      const holdAmount = hold?.amount ?? 1;
      return {
        expected: hold?.status === 'pending' ? ok : { ok: false, codes: ['internal_error'] },
        run: () =>
          ledger.postHold(intentId, {
            kind: 'payment',
            intentId,
            description: 'payment',
            postings: [
              { accountId: WALLET_ACCOUNT, amount: -holdAmount },
              { accountId: PAYEE, amount: holdAmount },
            ],
          }),
        commit: () => {
          if (hold) hold.status = 'posted';
        },
      };
    }
    case 'voidHold': {
      const hold = pickFrom(model.holds, operation.pick);
      const wasPending = hold?.status === 'pending';
      return {
        expected: ok,
        run: () => {
          const voided = ledger.voidHold(hold?.intentId ?? 'pi_none');
          expect(voided).toBe(wasPending);
        },
        commit: () => {
          if (hold && wasPending) hold.status = 'voided';
        },
      };
    }
    case 'pay':
      return {
        expected: operation.amount <= available ? ok : { ok: false, codes: ['insufficient_funds'] },
        run: () =>
          ledger.post({
            kind: 'payment',
            description: 'direct payment',
            postings: [
              { accountId: WALLET_ACCOUNT, amount: -operation.amount },
              { accountId: PAYEE, amount: operation.amount },
            ],
          }),
        commit: () => {},
      };
    case 'refund': {
      const original = pickFrom(model.transactions, operation.pick);
      if (!original) {
        return {
          expected: { ok: false, codes: ['not_found'] },
          run: () => ledger.reverse('tx_missing', { description: 'refund' }),
          commit: () => {},
        };
      }
      const left = original.amount - original.refunded;
      const refund = operation.amount ?? left;
      let expected: Expected;
      if (original.isReversal) expected = { ok: false, codes: ['invalid_request'] };
      // Refunding "the rest" of a fully refunded transaction: refused, though as internal_error
      // (an amount of 0 reaches assertMinorUnits) rather than invalid_request.
      else if (refund === 0) expected = { ok: false, codes: ['invalid_request', 'internal_error'] };
      else if (refund > left) expected = { ok: false, codes: ['invalid_request'] };
      // Undoing a top-up takes money out of the wallet: only what is not spent or reserved.
      else if (original.walletSign === 1 && refund > available)
        expected = { ok: false, codes: ['insufficient_funds'] };
      else expected = ok;
      return {
        expected,
        run: () =>
          ledger.reverse(
            original.id,
            operation.amount === undefined
              ? { description: 'refund' }
              : { description: 'refund', amount: operation.amount },
          ),
        commit: () => {
          original.refunded += refund;
        },
      };
    }
  }
}

function checkInvariants(
  h: Harness,
  model: { wallet: number; holds: ModelHold[]; transactions: ModelTransaction[] },
): void {
  const { db, ledger } = h;

  // Every transaction has at least two postings and they sum to zero.
  const unbalanced = db
    .prepare(
      `SELECT t.id, COUNT(p.id) AS n, COALESCE(SUM(p.amount), 0) AS total
       FROM ledger_transactions t LEFT JOIN ledger_postings p ON p.transaction_id = t.id
       GROUP BY t.id HAVING total != 0 OR n < 2`,
    )
    .all();
  expect(unbalanced).toEqual([]);

  // Over all accounts, money is neither created nor destroyed.
  const all = db.prepare('SELECT COALESCE(SUM(amount), 0) AS total FROM ledger_postings').get() as {
    total: number;
  };
  expect(all.total).toBe(0);

  // Every amount is a whole number of minor units, and none is zero.
  const amounts = db
    .prepare('SELECT amount FROM ledger_postings UNION ALL SELECT amount FROM ledger_holds')
    .all() as Array<{ amount: number }>;
  for (const { amount: a } of amounts) {
    expect(Number.isSafeInteger(a)).toBe(true);
    expect(a).not.toBe(0);
  }

  // The wallet never goes below zero counting pending holds, and matches the model.
  const pending = model.holds.filter((x) => x.status === 'pending').reduce((s, x) => s + x.amount, 0);
  expect(ledger.balance(WALLET_ACCOUNT)).toBe(model.wallet);
  expect(ledger.held(WALLET_ACCOUNT)).toBe(pending);
  expect(ledger.available(WALLET_ACCOUNT)).toBeGreaterThanOrEqual(0);
  expect(Number.isSafeInteger(ledger.available(WALLET_ACCOUNT))).toBe(true);

  // Each hold is resolved at most once: its status is the model's, its resolution time never moves
  // (the clock advances every step, so a second resolution would change it), and a posted hold has
  // exactly one payment transaction, any other none.
  for (const hold of model.holds) {
    const row = db
      .prepare('SELECT status, resolved_at AS resolvedAt FROM ledger_holds WHERE intent_id = ?')
      .get(hold.intentId) as { status: string; resolvedAt: string | null } | undefined;
    if (hold.status === 'refused') {
      expect(row).toBeUndefined();
      continue;
    }
    expect(row?.status).toBe(hold.status);
    if (hold.status === 'pending') expect(row?.resolvedAt).toBeNull();
    else {
      if (hold.resolvedAt === null) hold.resolvedAt = row?.resolvedAt ?? null;
      expect(row?.resolvedAt).toBe(hold.resolvedAt);
      expect(hold.resolvedAt).not.toBeNull();
    }
    const payments = ledger
      .transactionsOfIntent(hold.intentId)
      .filter((t) => t.kind === 'payment' && t.reverses === null);
    expect(payments.length).toBe(hold.status === 'posted' ? 1 : 0);
  }

  // Refunds of a transaction never add up to more than it moved.
  expect(overRefunded(db)).toEqual([]);
}

/** Transactions whose reversals together move more than the transaction itself did. */
function overRefunded(db: Db): unknown[] {
  return db
    .prepare(
      `WITH moved AS (
         SELECT transaction_id AS id, SUM(amount) AS amount FROM ledger_postings WHERE amount > 0
         GROUP BY transaction_id)
       SELECT t.id, m.amount AS original, SUM(r.amount) AS refunded
       FROM ledger_transactions t
       JOIN moved m ON m.id = t.id
       JOIN ledger_transactions rt ON rt.reverses = t.id
       JOIN moved r ON r.id = rt.id
       GROUP BY t.id HAVING refunded > original`,
    )
    .all();
}

function runSequence(ops: Op[]): void {
  const h = openHarness();
  const model = {
    wallet: 0,
    holds: [] as ModelHold[],
    transactions: [] as ModelTransaction[],
  };
  try {
    for (const operation of ops) {
      h.clock.advance(1000);
      const before = rowCounts(h.db);
      const step = apply(h, model, operation);
      let result: unknown;
      let error: unknown;
      try {
        result = inTransaction(h.db, step.run);
      } catch (err) {
        error = err;
      }
      if (step.expected.ok) {
        if (error) throw error;
        step.commit();
        recordTransaction(model, operation, result);
      } else {
        expect(error, `${JSON.stringify(operation)} should have been refused`).toBeInstanceOf(HubError);
        expect(step.expected.codes).toContain((error as HubError).code);
        // A refused operation leaves nothing behind: its rows were rolled back.
        expect(rowCounts(h.db)).toBe(before);
      }
      checkInvariants(h, model);
    }
  } finally {
    h.db.close();
  }
}

/** Keeps the model's wallet and transaction list in step with a successful operation. */
function recordTransaction(
  model: { wallet: number; transactions: ModelTransaction[] },
  operation: Op,
  result: unknown,
): void {
  const tx = result as { id: string; postings: Array<{ accountId: string; amount: number }> } | undefined;
  if (!tx?.id) return;
  const walletDelta = tx.postings
    .filter((p) => p.accountId === WALLET_ACCOUNT)
    .reduce((s, p) => s + p.amount, 0);
  model.wallet += walletDelta;
  const moved = tx.postings.filter((p) => p.amount > 0).reduce((s, p) => s + p.amount, 0);
  model.transactions.push({
    id: tx.id,
    amount: moved,
    walletSign: walletDelta > 0 ? 1 : -1,
    isReversal: operation.kind === 'refund',
    refunded: 0,
  });
}

// A fresh SQLite file per run (synchronous=FULL) makes these slow on a loaded machine, not wrong.
describe('the ledger under random sequences of operations', { timeout: 90_000 }, () => {
  it('keeps postings balanced, the wallet at or above zero counting holds, each hold resolved once, and matches a model', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 40 }), (ops) => {
        runSequence(ops);
      }),
      { numRuns: 100 },
    );
  });

  it('never refunds more of a transaction than it moved, whatever mix of partial and full refunds is asked', () => {
    const refunds = fc.array(
      fc.oneof(
        fc.constant(undefined),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: -5, max: 0 }),
        fc.double({ min: 0.1, max: 50, noNaN: true }),
      ),
      { minLength: 1, maxLength: 15 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), refunds, (original, asks) => {
        const h = openHarness();
        try {
          const payment = inTransaction(h.db, () => {
            h.ledger.post({
              kind: 'topup',
              description: 'top-up',
              postings: [
                { accountId: FUNDING, amount: -original },
                { accountId: WALLET_ACCOUNT, amount: original },
              ],
            });
            return h.ledger.post({
              kind: 'payment',
              description: 'payment',
              postings: [
                { accountId: WALLET_ACCOUNT, amount: -original },
                { accountId: PAYEE, amount: original },
              ],
            });
          });
          let refunded = 0;
          for (const ask of asks) {
            const left = original - refunded;
            const wanted = ask ?? left;
            const valid = Number.isSafeInteger(wanted) && wanted > 0 && wanted <= left;
            try {
              inTransaction(h.db, () =>
                h.ledger.reverse(
                  payment.id,
                  ask === undefined ? { description: 'refund' } : { description: 'refund', amount: ask },
                ),
              );
              expect(valid, `refund of ${ask} with ${left} left should have been refused`).toBe(true);
              refunded += wanted;
            } catch (err) {
              expect(err).toBeInstanceOf(HubError);
              expect(valid, `refund of ${ask} with ${left} left should have been accepted`).toBe(false);
            }
            expect(overRefunded(h.db)).toEqual([]);
            expect(h.ledger.balance(PAYEE)).toBe(original - refunded);
            expect(h.ledger.balance(WALLET_ACCOUNT)).toBe(refunded);
          }
        } finally {
          h.db.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});
