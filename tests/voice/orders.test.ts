import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../src/store/migrations/index.js';
import { OrderStore } from '../../src/voice/orders.js';

/** Migration 0004 and the order store on a bare database: what the voice domain relies on. */

function database(): Database.Database {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS.slice(0, 4));
  return db;
}

function intent(db: Database.Database, id: string, status: string): void {
  db.prepare(
    `INSERT INTO intents (id, status, amount, currency, payee_id, payee_name, description, source_kind, challenge,
       expires_at, created_at, updated_at) VALUES (?, ?, 100, 'CNY', 'mi_store', '小米商城', 'x', 'voice', ?, 'z', 'a', 'a')`,
  ).run(id, status, `challenge-${id}`);
}

function order(
  store: OrderStore,
  id: string,
  intentId: string,
  amount: number,
  createdAt: string,
  session = id,
) {
  store.insert({
    id,
    deviceId: 'dev_speaker',
    sessionId: session,
    utterance: '帮我买两袋猫粮',
    intentId,
    channel: 'speaker',
    siteId: null,
    lang: 'zh',
    lines: [{ sku: 'cat-food-2kg', quantity: 2 }],
    amount,
    currency: 'CNY',
    createdAt,
  });
}

describe('migration 4: orders', () => {
  it('is the fourth step and creates the orders table', () => {
    expect(MIGRATIONS[3]).toMatchObject({ version: 4, name: 'orders' });
    const db = database();
    expect(db.pragma('user_version', { simple: true })).toBe(4);
    const columns = (db.prepare('PRAGMA table_info(orders)').all() as Array<{ name: string }>).map(
      (c) => c.name,
    );
    expect(columns).toEqual([
      'id',
      'device_id',
      'session_id',
      'utterance',
      'intent_id',
      'channel',
      'site_id',
      'lang',
      'lines',
      'amount',
      'currency',
      'created_at',
    ]);
  });

  it('keeps money in whole fen and every order tied to a real intent, one order per intent', () => {
    const db = database();
    const store = new OrderStore(db);
    intent(db, 'pi_1', 'requires_approval');
    expect(() => order(store, 'ord_x', 'pi_1', 89.5, '2026-11-27T00:00:00Z')).toThrow(/cannot store REAL/);
    expect(() => order(store, 'ord_y', 'pi_missing', 8900, '2026-11-27T00:00:00Z')).toThrow(/FOREIGN KEY/);
    order(store, 'ord_1', 'pi_1', 8900, '2026-11-27T00:00:00Z');
    expect(() => order(store, 'ord_2', 'pi_1', 8900, '2026-11-27T00:00:00Z')).toThrow(/UNIQUE/);
  });
});

describe('the order store', () => {
  it("counts a speaker's orders since a time only while their money is spent or may still be", () => {
    const db = database();
    const store = new OrderStore(db);
    const statuses = [
      'requires_approval',
      'processing',
      'succeeded',
      'denied',
      'expired',
      'failed',
      'canceled',
    ];
    statuses.forEach((status, index) => {
      intent(db, `pi_${index}`, status);
      order(store, `ord_${index}`, `pi_${index}`, 1000 * (index + 1), '2026-11-27T10:00:00Z');
    });
    intent(db, 'pi_old', 'succeeded');
    order(store, 'ord_old', 'pi_old', 50_000, '2026-11-26T10:00:00Z');
    expect(store.amountSince('dev_speaker', '2026-11-27T00:00:00Z')).toBe(1000 + 2000 + 3000);
    expect(store.lastSucceeded('dev_speaker')?.id).toBe('ord_2');
    expect(store.lastPending('dev_speaker')?.id).toBe('ord_0');
    expect(store.bySession('dev_speaker', 'ord_3', '帮我买两袋猫粮').map((o) => o.status)).toEqual([
      'denied',
    ]);
  });
});
