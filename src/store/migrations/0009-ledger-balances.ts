import type { Migration } from './index.js';

/**
 * A running balance per ledger account, kept by the database itself: a trigger adds every posting
 * to its account's balance in the statement that inserts it, so the two cannot part, whatever code
 * writes the posting and wherever a crash lands. Reading a balance no longer sums the account's
 * whole history (it was the slowest query of an approval, docs/performance.md). Postings stay
 * append-only, now enforced: an UPDATE or DELETE of a posting is refused, since it would leave
 * the balance behind (a correction is a reversing transaction, docs/ledger.md).
 */
export const migration0009LedgerBalances: Migration = {
  version: 9,
  name: 'ledger-balances',
  up(db) {
    db.exec(`
      ALTER TABLE ledger_accounts ADD COLUMN balance INTEGER NOT NULL DEFAULT 0;
      UPDATE ledger_accounts SET balance =
        (SELECT COALESCE(SUM(amount), 0) FROM ledger_postings p WHERE p.account_id = ledger_accounts.id);

      CREATE TRIGGER ledger_postings_add_to_balance AFTER INSERT ON ledger_postings
      BEGIN
        UPDATE ledger_accounts SET balance = balance + NEW.amount WHERE id = NEW.account_id;
      END;
      CREATE TRIGGER ledger_postings_never_edited BEFORE UPDATE ON ledger_postings
      BEGIN
        SELECT RAISE(ABORT, 'ledger postings are never edited: post a reversing transaction');
      END;
      CREATE TRIGGER ledger_postings_never_deleted BEFORE DELETE ON ledger_postings
      BEGIN
        SELECT RAISE(ABORT, 'ledger postings are never deleted: post a reversing transaction');
      END;
    `);
  },
};
