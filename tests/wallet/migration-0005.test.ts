import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../src/store/migrations/index.js';

function migratedTo(version: number): Database.Database {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS.slice(0, version));
  return db;
}

describe('migration 5 (wallet)', () => {
  it('is the fifth step and adds the wallet tables to a version 4 database', () => {
    expect(MIGRATIONS[4]?.name).toBe('wallet');
    const db = migratedTo(4);
    migrate(db, MIGRATIONS.slice(0, 5));
    expect(db.pragma('user_version', { simple: true })).toBe(5);
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>
    ).map((row) => row.name);
    expect(tables).toEqual(
      expect.arrayContaining([
        'points_entries',
        'offer_claims',
        'transaction_reports',
        'refund_requests',
        'budgets',
        'budget_alerts',
        'goals',
        'goal_round_ups',
        'merchants',
        'merchant_events',
      ]),
    );
  });

  it('lets each intent earn, redeem and restore points at most once, and keeps points whole', () => {
    const db = migratedTo(5);
    const insert = db.prepare(
      "INSERT INTO points_entries (kind, points, intent_id, description, created_at) VALUES (?, ?, 'pi_1', 'x', 'now')",
    );
    insert.run('earned', 10);
    expect(() => insert.run('earned', 10)).toThrow(/UNIQUE/);
    insert.run('reversed', -3);
    insert.run('reversed', -3);
    expect(() => insert.run('earned', 0)).toThrow(/CHECK|UNIQUE/);
    expect(() => insert.run('bonus', 5)).toThrow(/CHECK/);
    expect(() => insert.run('redeemed', 2.5)).toThrow(/cannot store REAL/);
  });

  it('keeps one budget alert per category, month and percentage, and one event per intent end state', () => {
    const db = migratedTo(5);
    const alert = db.prepare(
      "INSERT INTO budget_alerts (category, month, percent, spent, budget, created_at) VALUES ('pets', '2026-11', ?, 1, 1, 'now')",
    );
    alert.run(80);
    expect(() => alert.run(80)).toThrow(/UNIQUE|PRIMARY/);
    alert.run(100);
    db.prepare(
      "INSERT INTO merchants (id, name, category, key_hash, key_prefix, created_at) VALUES ('mch_1', 'M', 'shopping', 'h', 'p', 'now')",
    ).run();
    const event = db.prepare(
      "INSERT INTO merchant_events (id, merchant_id, dedupe_key, type, intent_id, payload, created_at) VALUES (?, 'mch_1', 'pi_1:succeeded', 'intent.succeeded', 'pi_1', '{}', 'now')",
    );
    event.run('evt_1');
    expect(() => event.run('evt_2')).toThrow(/UNIQUE/);
    expect(() =>
      db
        .prepare(
          "INSERT INTO offer_claims (id, offer_id, quantity, status, created_at) VALUES ('c', 'o', 1, 'sold', 'now')",
        )
        .run(),
    ).toThrow(/CHECK/);
  });
});
