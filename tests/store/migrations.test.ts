import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import {
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  type Migration,
  migrate,
  NewerDatabaseError,
} from '../../src/store/migrations/index.js';

function tempDbFile(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'homepay-db-')), 'homepay.db');
}

function tables(db: Database.Database): string[] {
  return (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  ).map((row) => row.name);
}

describe('store migrations', () => {
  it('numbers migrations 1..n in order, so user_version says how far a database is', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it('opens a new file in WAL mode with foreign keys, at the latest version', () => {
    const db = openDatabase(tempDbFile());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    db.close();
  });

  it('migration 1 creates devices (unique identity per profile, children cascade) and hub_facts', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.slice(0, 1));
    expect(tables(db)).toEqual(expect.arrayContaining(['devices', 'hub_facts']));
    const insert = db.prepare(
      "INSERT INTO devices (id, profile, name, identity, parent_id, created_at) VALUES (?, 'zigbee2mqtt-plug', 'x', ?, ?, 'now')",
    );
    insert.run('dev_bridge', 'zigbee2mqtt', null);
    expect(() => insert.run('dev_bridge2', 'zigbee2mqtt', null)).toThrow(/UNIQUE/);
    insert.run('dev_child', 'kitchen_plug', 'dev_bridge');
    db.prepare("DELETE FROM devices WHERE id = 'dev_bridge'").run();
    expect(db.prepare('SELECT count(*) AS n FROM devices').get()).toEqual({ n: 0 });
  });

  it('migration 8 moves a version 7 database on: certificates on record per device, gone with it', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.slice(0, 7));
    db.prepare(
      "INSERT INTO devices (id, profile, name, identity, created_at) VALUES ('dev_a', 'homepay-meter', 'x', 'dev_a', 'now')",
    ).run();
    migrate(db, MIGRATIONS.slice(0, 8));
    expect(db.pragma('user_version', { simple: true })).toBe(8);
    const insert = db.prepare(
      "INSERT INTO device_certificates (serial, device_id, issued_at) VALUES (?, ?, '2026-11-27T00:00:00Z')",
    );
    insert.run('0A1B', 'dev_a');
    expect(() => insert.run('0A1B', 'dev_a')).toThrow(/UNIQUE/);
    expect(() => insert.run('0C2D', 'dev_nobody')).toThrow(/FOREIGN KEY/);
    db.prepare("DELETE FROM devices WHERE id = 'dev_a'").run();
    expect(db.prepare('SELECT count(*) AS n FROM device_certificates').get()).toEqual({ n: 0 });
  });

  it('migration 9 keeps a running balance per ledger account from the postings, which can no longer be edited', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.slice(0, 8));
    db.exec(`
      INSERT INTO ledger_accounts (id, kind, name, currency, may_go_negative) VALUES
        ('wallet', 'wallet', 'Wallet', 'CNY', 0), ('payee:shop', 'payee', 'Shop', 'CNY', 1),
        ('funding:fs_1', 'funding', 'Card', 'CNY', 1);
      INSERT INTO ledger_transactions (id, kind, description, created_at) VALUES
        ('tx_1', 'topup', 'top-up', 'now'), ('tx_2', 'payment', 'cat food', 'now');
      INSERT INTO ledger_postings (transaction_id, account_id, amount) VALUES
        ('tx_1', 'funding:fs_1', -5000), ('tx_1', 'wallet', 5000), ('tx_2', 'wallet', -1200), ('tx_2', 'payee:shop', 1200);
    `);
    migrate(db, MIGRATIONS.slice(0, 9));
    const balances = () =>
      Object.fromEntries(
        (
          db.prepare('SELECT id, balance FROM ledger_accounts ORDER BY id').all() as {
            id: string;
            balance: number;
          }[]
        ).map((row) => [row.id, row.balance]),
      );
    // Backfilled from the history...
    expect(balances()).toEqual({ 'funding:fs_1': -5000, 'payee:shop': 1200, wallet: 3800 });
    // ...and kept by the database as postings are inserted.
    db.exec(`
      INSERT INTO ledger_transactions (id, kind, description, created_at) VALUES ('tx_3', 'refund', 'refund', 'now');
      INSERT INTO ledger_postings (transaction_id, account_id, amount) VALUES ('tx_3', 'payee:shop', -200), ('tx_3', 'wallet', 200);
    `);
    expect(balances()).toEqual({ 'funding:fs_1': -5000, 'payee:shop': 1000, wallet: 4000 });
    expect(() =>
      db.prepare("UPDATE ledger_postings SET amount = 1 WHERE transaction_id = 'tx_2'").run(),
    ).toThrow(/never edited/);
    expect(() => db.prepare("DELETE FROM ledger_postings WHERE transaction_id = 'tx_2'").run()).toThrow(
      /never deleted/,
    );
    expect(balances().wallet).toBe(4000);
  });

  it('migration 10 moves a version 9 database on: security keys per admin user, gone with the user', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.slice(0, 9));
    db.prepare(
      "INSERT INTO admin_users (username, password_hash, totp_secret, created_at) VALUES ('mama', 'h', 's', 'now')",
    ).run();
    migrate(db, MIGRATIONS.slice(0, 10));
    expect(db.pragma('user_version', { simple: true })).toBe(10);
    const insert = db.prepare(
      "INSERT INTO admin_webauthn_credentials (id, username, name, public_key, rp_id, origin, created_at) VALUES (?, ?, 'YubiKey', x'01', 'localhost', 'http://localhost', 'now')",
    );
    insert.run('cred_a', 'mama');
    expect(() => insert.run('cred_a', 'mama')).toThrow(/UNIQUE/);
    expect(() => insert.run('cred_b', 'nobody')).toThrow(/FOREIGN KEY/);
    expect(() =>
      db.prepare("UPDATE admin_webauthn_credentials SET counter = -1 WHERE id = 'cred_a'").run(),
    ).toThrow(/CHECK/);
    db.prepare("DELETE FROM admin_users WHERE username = 'mama'").run();
    expect(db.prepare('SELECT count(*) AS n FROM admin_webauthn_credentials').get()).toEqual({ n: 0 });
  });

  it('running migrate again on an up-to-date database changes nothing', () => {
    const file = tempDbFile();
    openDatabase(file).close();
    const db = new Database(file);
    expect(migrate(db)).toBe(LATEST_SCHEMA_VERSION);
    db.close();
  });

  it('refuses a database written by a newer homepay', () => {
    const file = tempDbFile();
    const raw = new Database(file);
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => openDatabase(file)).toThrow(NewerDatabaseError);
  });

  it('applies pending steps all or nothing: a failing step leaves the version and tables as they were', () => {
    const db = new Database(':memory:');
    const broken: Migration = {
      version: 2,
      name: 'broken',
      up(d) {
        d.exec('CREATE TABLE half_done (x INTEGER)');
        throw new Error('disk on fire');
      },
    };
    expect(() => migrate(db, [MIGRATIONS[0] as Migration, broken])).toThrow('disk on fire');
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(tables(db)).toEqual([]);
  });
});
