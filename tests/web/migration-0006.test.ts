import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../src/store/migrations/index.js';

function upTo(version: number): Database.Database {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS.slice(0, version));
  db.prepare(
    "INSERT INTO phones (id, name, public_key, token_hash, created_at) VALUES ('ph_a', 'A', 'k', 'h', 'now')",
  ).run();
  return db;
}

describe('migration 6: WebAuthn credentials and Web Push subscriptions', () => {
  it('is the sixth step', () => {
    expect(MIGRATIONS[5]).toMatchObject({ version: 6, name: 'webauthn-and-push' });
  });

  it('keeps credentials per phone: unique ids, a phone that exists, a counter that is never negative', () => {
    const db = upTo(6);
    const insert = db.prepare(
      `INSERT INTO webauthn_credentials (id, phone_id, name, public_key, counter, rp_id, origin, created_at)
       VALUES (?, ?, 'Pixel', x'a501', ?, 'localhost', 'http://localhost:8080', 'now')`,
    );
    insert.run('cred-1', 'ph_a', 0);
    expect(() => insert.run('cred-1', 'ph_a', 0)).toThrow(/UNIQUE/);
    expect(() => insert.run('cred-2', 'ph_nobody', 0)).toThrow(/FOREIGN KEY/);
    expect(() => insert.run('cred-3', 'ph_a', -1)).toThrow(/CHECK/);
    expect(
      db.prepare("SELECT transports, last_used_at FROM webauthn_credentials WHERE id = 'cred-1'").get(),
    ).toEqual({
      transports: '[]',
      last_used_at: null,
    });
  });

  it('keeps one row per push endpoint, for a phone that exists', () => {
    const db = upTo(6);
    const insert = db.prepare(
      "INSERT INTO push_subscriptions (endpoint, phone_id, p256dh, auth, created_at) VALUES (?, ?, 'p', 'a', 'now')",
    );
    insert.run('https://push.example/1', 'ph_a');
    expect(() => insert.run('https://push.example/1', 'ph_a')).toThrow(/UNIQUE|PRIMARY KEY/);
    expect(() => insert.run('https://push.example/2', 'ph_nobody')).toThrow(/FOREIGN KEY/);
  });
});
