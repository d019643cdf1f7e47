import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type TestHub } from '../helpers/hub.js';
import { createIntent, decide, fundWallet, pairPhone } from '../helpers/phone.js';
import { checkDatabase } from './crash-harness/checker.js';

/**
 * The checker that judges every kill, fault and fuzz run must itself be able to fail: each case
 * breaks one guarantee in a copy of a real hub's database and expects the checker to say so.
 */

let hub: TestHub;
let paidId: string;
let pendingId: string;
let deniedId: string;
const dir = mkdtempSync(path.join(tmpdir(), 'homepay-checker-'));
let copies = 0;

beforeAll(async () => {
  hub = await startHub();
  const phone = await pairPhone(hub);
  await fundWallet(hub, phone, 50_000);
  const paid = await createIntent(hub, { amount: 1000 });
  await decide(hub, phone, paid, 'approve');
  const denied = await createIntent(hub, { amount: 700 });
  await decide(hub, phone, denied, 'deny');
  pendingId = (await createIntent(hub, { amount: 500 })).id;
  paidId = paid.id;
  deniedId = denied.id;
  await hub.hub.stop();
});
afterAll(async () => {
  await hub.stop().catch(() => {});
});

/** A copy of the database with `tamper` applied, and what the checker says about it. */
function broken(tamper: (db: Database.Database) => void, options = {}): string[] {
  const file = path.join(dir, `copy-${++copies}.db`);
  copyFileSync(path.join(hub.dataDir, 'homepay.db'), file);
  const db = new Database(file);
  db.pragma('foreign_keys = OFF');
  // A broken writer that gets past the database's own guards: postings edited or deleted.
  db.exec('DROP TRIGGER ledger_postings_never_edited; DROP TRIGGER ledger_postings_never_deleted;');
  tamper(db);
  db.close();
  return checkDatabase(file, options).violations;
}

describe('the safety checker', () => {
  it('finds nothing wrong with a real hub database', () => {
    expect(broken(() => {})).toEqual([]);
  });

  it('finds an account whose running balance is not the sum of its postings', () => {
    expect(
      broken((db) =>
        db.prepare("UPDATE ledger_accounts SET balance = balance + 1 WHERE id = 'wallet'").run(),
      ),
    ).toEqual([expect.stringMatching(/account wallet says its balance is \d+, its postings sum to \d+/)]);
  });

  it('finds a transaction that does not sum to zero', () => {
    expect(
      broken((db) =>
        db.prepare('DELETE FROM ledger_postings WHERE id = (SELECT MAX(id) FROM ledger_postings)').run(),
      ),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/summing to/)]));
  });

  it('finds an intent paid twice', () => {
    const violations = broken((db) => {
      db.exec('DROP INDEX ledger_one_payment_per_intent');
      const tx = db
        .prepare("SELECT id FROM ledger_transactions WHERE intent_id = ? AND kind = 'payment'")
        .get(paidId) as {
        id: string;
      };
      db.prepare(
        "INSERT INTO ledger_transactions (id, kind, intent_id, description, created_at) SELECT 'tx_again', kind, intent_id, description, created_at FROM ledger_transactions WHERE id = ?",
      ).run(tx.id);
      db.prepare(
        "INSERT INTO ledger_postings (transaction_id, account_id, amount) SELECT 'tx_again', account_id, amount FROM ledger_postings WHERE transaction_id = ?",
      ).run(tx.id);
    });
    expect(violations).toEqual(expect.arrayContaining([expect.stringMatching(/2 payment transactions/)]));
  });

  it('finds an approved intent that was lost, and one never settled', () => {
    expect(
      broken((db) => db.prepare("UPDATE intents SET status = 'requires_approval' WHERE id = ?").run(paidId)),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/approved, then lost/)]));
    const stuck = broken(
      (db) => {
        db.prepare("UPDATE intents SET status = 'processing' WHERE id = ?").run(paidId);
        db.prepare("DELETE FROM intent_events WHERE intent_id = ? AND to_status = 'succeeded'").run(paidId);
        db.prepare(
          'DELETE FROM ledger_postings WHERE transaction_id IN (SELECT id FROM ledger_transactions WHERE intent_id = ?)',
        ).run(paidId);
        db.prepare('DELETE FROM ledger_transactions WHERE intent_id = ?').run(paidId);
        db.prepare("UPDATE ledger_holds SET status = 'pending' WHERE intent_id = ?").run(paidId);
      },
      { settled: true },
    );
    expect(stuck).toEqual(expect.arrayContaining([expect.stringMatching(/approved but never settled/)]));
  });

  it('finds a payment the provider never made, and one it made for a denied intent', () => {
    expect(
      broken((db) =>
        db.prepare('DELETE FROM sandbox_provider_requests WHERE idempotency_key = ?').run(paidId),
      ),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/provider has no record/)]));
    expect(
      broken((db) =>
        db
          .prepare(
            "INSERT INTO sandbox_provider_requests (idempotency_key, operation, amount, currency, outcome, reference, created_at) VALUES (?, 'charge', 700, 'CNY', 'succeeded', 'x', 'now')",
          )
          .run(deniedId),
      ),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/without an approval/)]));
  });

  it('finds holds that do not match pending intents, and a wallet below zero', () => {
    expect(
      broken((db) =>
        db.prepare("UPDATE ledger_holds SET status = 'voided' WHERE intent_id = ?").run(pendingId),
      ),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/hold is voided, expected pending/)]));
    expect(
      broken((db) => {
        db.prepare(
          "INSERT INTO ledger_transactions (id, kind, description, created_at) VALUES ('tx_drain', 'payment', 'drain', 'now')",
        ).run();
        db.prepare(
          "INSERT INTO ledger_postings (transaction_id, account_id, amount) VALUES ('tx_drain', 'wallet', -1000000)",
        ).run();
        db.prepare(
          "INSERT INTO ledger_postings (transaction_id, account_id, amount) VALUES ('tx_drain', 'payee:mi_store', 1000000)",
        ).run();
      }),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/account wallet is below zero/)]));
  });

  it('finds an alert without a crossing, and a crossing without its alert', () => {
    // Twice for one crossing cannot even be stored: the table's UNIQUE key refuses it.
    const rule = (db: Database.Database, threshold: number) => {
      db.prepare(
        "INSERT INTO energy_rules (id, name, device_id, period, metric, threshold, action, origin, created_at) VALUES ('rule_x', 'x', NULL, 'day', 'energy', ?, '{\"kind\":\"alert\"}', 'api', 'now')",
      ).run(threshold);
      db.prepare(
        "INSERT INTO energy_totals (scope, period, start, energy_mwh, cost) VALUES ('home', 'day', '2026-11-27', 5000000, 0)",
      ).run();
    };
    expect(
      broken((db) => {
        rule(db, 10_000);
        db.prepare(
          `INSERT INTO energy_alerts (id, rule_id, rule_name, metric, value, threshold, period, period_start, ts, action, created_at)
           VALUES ('alert_1', 'rule_x', 'x', 'energy', 1, 10000, 'day', '2026-11-27', 'now', '{"kind":"alert"}', 'now')`,
        ).run();
      }),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/without crossing/)]));
    expect(broken((db) => rule(db, 1000), { rulesPrecedeReadings: true })).toEqual(
      expect.arrayContaining([expect.stringMatching(/without an alert/)]),
    );
  });
});
