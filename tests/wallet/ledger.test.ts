import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HubError } from '../../src/errors.js';
import { type Db, inTransaction, openDatabase } from '../../src/store/database.js';
import { Ledger, type NewTransaction, WALLET_ACCOUNT } from '../../src/wallet/ledger.js';
import { ManualClock } from '../helpers/clock.js';

const FUNDING = 'funding:fs_test';
const PAYEE = 'payee:mi_store';

let dir: string;
let db: Db;
let clock: ManualClock;
let ledger: Ledger;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'homepay-ledger-'));
  db = openDatabase(path.join(dir, 'homepay.db'));
  clock = new ManualClock();
  ledger = new Ledger(db, clock, 'CNY');
  ledger.ensureAccount(WALLET_ACCOUNT, 'wallet', 'Household wallet');
  ledger.ensureAccount(FUNDING, 'funding', 'CMB debit card');
  ledger.ensureAccount(PAYEE, 'payee', 'Mi Store');
});

afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function insertIntent(id: string, amount: number): void {
  const at = new Date(clock.now()).toISOString();
  db.prepare(
    `INSERT INTO intents (id, status, amount, currency, payee_id, payee_name, description, source_kind,
       challenge, expires_at, created_at, updated_at)
     VALUES (?, 'requires_approval', ?, 'CNY', 'mi_store', 'Mi Store', 'test', 'voice', ?, ?, ?, ?)`,
  ).run(id, amount, `challenge-${id}`, at, at, at);
}

function topUp(amount: number) {
  return inTransaction(db, () =>
    ledger.post({
      kind: 'topup',
      description: 'top-up',
      postings: [
        { accountId: FUNDING, amount: -amount },
        { accountId: WALLET_ACCOUNT, amount },
      ],
    }),
  );
}

function hold(intentId: string, amount: number): void {
  inTransaction(db, () => {
    insertIntent(intentId, amount);
    ledger.hold(intentId, WALLET_ACCOUNT, amount);
  });
}

function payment(amount: number, intentId?: string): NewTransaction {
  return {
    kind: 'payment',
    ...(intentId ? { intentId } : {}),
    description: 'payment',
    postings: [
      { accountId: WALLET_ACCOUNT, amount: -amount },
      { accountId: PAYEE, amount },
    ],
  };
}

function counts(): { transactions: number; postings: number; holds: number; intents: number } {
  const n = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  return {
    transactions: n('ledger_transactions'),
    postings: n('ledger_postings'),
    holds: n('ledger_holds'),
    intents: n('intents'),
  };
}

/** Runs `work` and returns the HubError it threw; fails the test if it threw nothing or something else. */
function hubErrorOf(work: () => unknown): HubError {
  try {
    work();
  } catch (err) {
    expect(err).toBeInstanceOf(HubError);
    return err as HubError;
  }
  throw new Error('expected a HubError, nothing was thrown');
}

describe('holds', () => {
  it('a hold reduces what is available but not the balance', () => {
    topUp(1000);
    hold('pi_a', 300);
    expect(ledger.balance(WALLET_ACCOUNT)).toBe(1000);
    expect(ledger.held(WALLET_ACCOUNT)).toBe(300);
    expect(ledger.available(WALLET_ACCOUNT)).toBe(700);
    expect(ledger.holdOf('pi_a')).toEqual({ accountId: WALLET_ACCOUNT, amount: 300, status: 'pending' });
  });

  it('a hold larger than what is available is refused and leaves neither hold nor intent behind', () => {
    topUp(1000);
    hold('pi_a', 600);
    const before = counts();
    expect(hubErrorOf(() => hold('pi_b', 401)).code).toBe('insufficient_funds');
    expect(counts()).toEqual(before);
    expect(ledger.available(WALLET_ACCOUNT)).toBe(400);
    hold('pi_c', 400);
    expect(ledger.available(WALLET_ACCOUNT)).toBe(0);
  });

  it('an intent holds money at most once', () => {
    topUp(1000);
    hold('pi_a', 100);
    expect(() => inTransaction(db, () => ledger.hold('pi_a', WALLET_ACCOUNT, 100))).toThrow();
    expect(ledger.held(WALLET_ACCOUNT)).toBe(100);
  });

  it('posting a hold moves the money exactly once: a second post throws and writes no postings', () => {
    topUp(1000);
    hold('pi_a', 300);
    const tx = inTransaction(db, () => ledger.postHold('pi_a', payment(300, 'pi_a')));
    expect(tx.postings).toEqual([
      { accountId: WALLET_ACCOUNT, amount: -300 },
      { accountId: PAYEE, amount: 300 },
    ]);
    expect(ledger.holdOf('pi_a')?.status).toBe('posted');
    expect(ledger.balance(WALLET_ACCOUNT)).toBe(700);
    expect(ledger.held(WALLET_ACCOUNT)).toBe(0);
    expect(ledger.balance(PAYEE)).toBe(300);

    const before = counts();
    const second = hubErrorOf(() => inTransaction(db, () => ledger.postHold('pi_a', payment(300, 'pi_a'))));
    expect(second.code).toBe('internal_error');
    expect(counts()).toEqual(before);
    expect(ledger.balance(WALLET_ACCOUNT)).toBe(700);
    expect(ledger.balance(PAYEE)).toBe(300);
    expect(ledger.transactionsOfIntent('pi_a')).toHaveLength(1);
  });

  it('voiding a hold after it was posted does nothing', () => {
    topUp(1000);
    hold('pi_a', 300);
    inTransaction(db, () => ledger.postHold('pi_a', payment(300, 'pi_a')));
    const resolvedAt = db.prepare("SELECT resolved_at FROM ledger_holds WHERE intent_id = 'pi_a'").get();
    clock.advance(60_000);

    expect(inTransaction(db, () => ledger.voidHold('pi_a'))).toBe(false);
    expect(ledger.holdOf('pi_a')?.status).toBe('posted');
    expect(db.prepare("SELECT resolved_at FROM ledger_holds WHERE intent_id = 'pi_a'").get()).toEqual(
      resolvedAt,
    );
    expect(ledger.balance(WALLET_ACCOUNT)).toBe(700);
    expect(ledger.available(WALLET_ACCOUNT)).toBe(700);
  });

  it('voiding releases the reservation once, and a voided hold can no longer be posted', () => {
    topUp(1000);
    hold('pi_a', 300);
    expect(inTransaction(db, () => ledger.voidHold('pi_a'))).toBe(true);
    expect(inTransaction(db, () => ledger.voidHold('pi_a'))).toBe(false);
    expect(ledger.available(WALLET_ACCOUNT)).toBe(1000);

    const before = counts();
    const error = hubErrorOf(() => inTransaction(db, () => ledger.postHold('pi_a', payment(300, 'pi_a'))));
    expect(error.code).toBe('internal_error');
    expect(counts()).toEqual(before);
    expect(ledger.holdOf('pi_a')?.status).toBe('voided');
    expect(ledger.balance(WALLET_ACCOUNT)).toBe(1000);
  });
});

describe('payments', () => {
  it('a payment that would take the wallet below zero counting other holds is refused and leaves no rows behind', () => {
    topUp(1000);
    hold('pi_a', 700);
    const before = counts();

    const error = hubErrorOf(() => inTransaction(db, () => ledger.post(payment(301))));
    expect(error.code).toBe('insufficient_funds');
    // post() had already inserted the transaction and its postings when the check failed;
    // inTransaction rolled them back.
    expect(counts()).toEqual(before);
    expect(ledger.balance(WALLET_ACCOUNT)).toBe(1000);
    expect(ledger.balance(PAYEE)).toBe(0);
    expect(ledger.available(WALLET_ACCOUNT)).toBe(300);

    inTransaction(db, () => ledger.post(payment(300)));
    expect(ledger.available(WALLET_ACCOUNT)).toBe(0);
  });

  it('posting a hold for another amount than it reserved is refused, and the hold stays pending', () => {
    topUp(1000);
    hold('pi_a', 300);
    const error = hubErrorOf(() => inTransaction(db, () => ledger.postHold('pi_a', payment(1001, 'pi_a'))));
    expect(error.code).toBe('internal_error');
    expect(ledger.holdOf('pi_a')?.status).toBe('pending');
    expect(ledger.transactionsOfIntent('pi_a')).toEqual([]);
  });

  it('an outside account may go negative, the wallet may not', () => {
    topUp(100);
    expect(ledger.balance(FUNDING)).toBe(-100);
    const error = hubErrorOf(() =>
      inTransaction(db, () =>
        ledger.post({
          kind: 'withdrawal',
          description: 'withdrawal',
          postings: [
            { accountId: WALLET_ACCOUNT, amount: -101 },
            { accountId: FUNDING, amount: 101 },
          ],
        }),
      ),
    );
    expect(error.code).toBe('insufficient_funds');
  });

  it('a transaction whose postings do not sum to zero, or that has one posting, is refused', () => {
    topUp(1000);
    const before = counts();
    const unbalanced = hubErrorOf(() =>
      inTransaction(db, () =>
        ledger.post({
          kind: 'payment',
          description: 'unbalanced',
          postings: [
            { accountId: WALLET_ACCOUNT, amount: -100 },
            { accountId: PAYEE, amount: 99 },
          ],
        }),
      ),
    );
    expect(unbalanced.code).toBe('internal_error');
    const single = hubErrorOf(() =>
      inTransaction(db, () =>
        ledger.post({ kind: 'payment', description: 'one', postings: [{ accountId: PAYEE, amount: 1 }] }),
      ),
    );
    expect(single.code).toBe('internal_error');
    expect(counts()).toEqual(before);
  });

  // Known bug (reported, not fixed here): post() adds amounts as doubles, so safe-integer postings
  // near 2^53 can round to a zero sum while their true sum is 1 minor unit. Once post() checks the
  // sum exactly (BigInt, or a cap on amounts), this test starts failing: make it a plain `it`.
  it('a transaction of safe integers whose exact sum is not zero is refused even near 2^53', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const before = counts();
    expect(() =>
      inTransaction(db, () =>
        ledger.post({
          kind: 'topup',
          description: 'rounding',
          postings: [
            { accountId: WALLET_ACCOUNT, amount: max },
            { accountId: PAYEE, amount: 2 },
            { accountId: FUNDING, amount: -max },
            { accountId: FUNDING, amount: -1 },
          ],
        }),
      ),
    ).toThrow(HubError);
    expect(counts()).toEqual(before);
  });
});

describe('refunds and reversals', () => {
  it('a partial refund then a refund of the rest gives back the whole amount, and nothing more can be refunded', () => {
    topUp(1000);
    hold('pi_a', 400);
    const paid = inTransaction(db, () => ledger.postHold('pi_a', payment(400, 'pi_a')));
    expect(ledger.balance(WALLET_ACCOUNT)).toBe(600);

    const partial = inTransaction(db, () =>
      ledger.reverse(paid.id, { amount: 150, description: 'one item' }),
    );
    expect(partial).toMatchObject({ kind: 'refund', reverses: paid.id, intentId: 'pi_a' });
    expect(partial.postings).toEqual([
      { accountId: WALLET_ACCOUNT, amount: 150 },
      { accountId: PAYEE, amount: -150 },
    ]);
    expect(ledger.balance(WALLET_ACCOUNT)).toBe(750);

    const tooMuch = hubErrorOf(() =>
      inTransaction(db, () => ledger.reverse(paid.id, { amount: 251, description: 'too much' })),
    );
    expect(tooMuch.code).toBe('invalid_request');

    const rest = inTransaction(db, () => ledger.reverse(paid.id, { description: 'the rest' }));
    expect(rest.postings).toEqual([
      { accountId: WALLET_ACCOUNT, amount: 250 },
      { accountId: PAYEE, amount: -250 },
    ]);
    expect(ledger.balance(WALLET_ACCOUNT)).toBe(1000);
    expect(ledger.balance(PAYEE)).toBe(0);

    const before = counts();
    expect(() =>
      inTransaction(db, () => ledger.reverse(paid.id, { amount: 1, description: 'again' })),
    ).toThrow(HubError);
    expect(() => inTransaction(db, () => ledger.reverse(paid.id, { description: 'again' }))).toThrow(
      HubError,
    );
    expect(counts()).toEqual(before);
    // The original is untouched: corrections are new transactions, never edits.
    expect(ledger.transaction(paid.id)).toEqual(paid);
    const kinds = ledger.transactionsOfIntent('pi_a').map((t) => t.kind);
    expect(kinds.sort()).toEqual(['payment', 'refund', 'refund']);
  });

  it('a full refund negates every posting of the original', () => {
    topUp(1000);
    const paid = inTransaction(db, () => ledger.post(payment(420)));
    const refund = inTransaction(db, () => ledger.reverse(paid.id, { description: 'returned' }));
    expect(refund.postings).toEqual(paid.postings.map((p) => ({ ...p, amount: -p.amount })));
    expect(ledger.balance(WALLET_ACCOUNT)).toBe(1000);
  });

  it('a reversal of a reversal is refused', () => {
    topUp(1000);
    const paid = inTransaction(db, () => ledger.post(payment(200)));
    const reversal = inTransaction(db, () =>
      ledger.reverse(paid.id, { description: 'booked by mistake', kind: 'reversal' }),
    );
    expect(reversal.kind).toBe('reversal');
    const before = counts();
    const error = hubErrorOf(() =>
      inTransaction(db, () => ledger.reverse(reversal.id, { description: 'undo the undo' })),
    );
    expect(error.code).toBe('invalid_request');
    expect(counts()).toEqual(before);
  });

  it('undoing a top-up is refused when the money is spent or reserved', () => {
    const topup = topUp(500);
    hold('pi_a', 300);
    const error = hubErrorOf(() =>
      inTransaction(db, () => ledger.reverse(topup.id, { description: 'undo' })),
    );
    expect(error.code).toBe('insufficient_funds');
    inTransaction(db, () => ledger.reverse(topup.id, { amount: 200, description: 'undo the free part' }));
    expect(ledger.balance(WALLET_ACCOUNT)).toBe(300);
    expect(ledger.available(WALLET_ACCOUNT)).toBe(0);
  });

  it('a refund of a transaction that does not exist is not_found', () => {
    expect(hubErrorOf(() => ledger.reverse('tx_nothing', { description: 'x' })).code).toBe('not_found');
  });
});

describe('amounts', () => {
  it('non-integer, zero, negative and unsafe amounts are refused as bugs, writing nothing', () => {
    topUp(1000);
    insertIntent('pi_bad', 1);
    const paid = inTransaction(db, () => ledger.post(payment(100)));
    const before = counts();
    const bad = [0, -5, 1.5, 0.1, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1];
    for (const amount of bad) {
      const inHold = hubErrorOf(() => inTransaction(db, () => ledger.hold('pi_bad', WALLET_ACCOUNT, amount)));
      expect(inHold.code, `hold of ${amount}`).toBe('internal_error');

      const inRefund = hubErrorOf(() =>
        inTransaction(db, () => ledger.reverse(paid.id, { amount, description: 'bad amount' })),
      );
      expect(inRefund.code, `refund of ${amount}`).toBe('internal_error');

      // In a posting the sign is the direction, so only the size of the amount can be wrong.
      if (amount < 0) continue;
      const inPosting = hubErrorOf(() =>
        inTransaction(db, () =>
          ledger.post({
            kind: 'payment',
            description: 'bad amount',
            postings: [
              { accountId: WALLET_ACCOUNT, amount: -amount },
              { accountId: PAYEE, amount },
            ],
          }),
        ),
      );
      expect(inPosting.code, `posting of ${amount}`).toBe('internal_error');
    }
    expect(counts()).toEqual(before);
    expect(ledger.balance(WALLET_ACCOUNT)).toBe(900);
  });
});
