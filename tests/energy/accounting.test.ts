import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { EnergyAccounting } from '../../src/energy/energy-accounting.js';
import { EnergyBook, HOME } from '../../src/energy/energy-book.js';
import type { Tariff } from '../../src/energy/tariff.js';
import { openDatabase } from '../../src/store/database.js';
import { MIGRATIONS, migrate } from '../../src/store/migrations/index.js';
import { cycleOf, fen, inlineTariff, kWh, local, tariffs } from './helpers.js';

function books(tariff: Tariff) {
  const db = openDatabase(path.join(mkdtempSync(path.join(tmpdir(), 'homepay-energy-')), 'homepay.db'));
  const book = new EnergyBook(db);
  return { db, book, accounting: new EnergyAccounting(book, tariff, cycleOf(tariff)) };
}

describe('booking intervals', () => {
  it('prices tiers on the home: a device that carries the home over 240 kWh pays half and half', () => {
    const { book, accounting } = books(tariffs.beijing);
    const at = '2026-11-27T00:00:00.000Z';
    accounting.bookInterval(
      'dev_heater',
      { startMs: local('2026-11-02 00:00'), endMs: local('2026-11-20 00:00'), energyMwh: kWh(239.5) },
      at,
    );
    accounting.bookInterval(
      'dev_kettle',
      { startMs: local('2026-11-27 08:00'), endMs: local('2026-11-27 08:10'), energyMwh: kWh(1) },
      at,
    );
    expect(book.total('dev_kettle', 'month', '2026-11-01').cost).toBe(fen('51.33'));
    expect(book.total(HOME, 'cycle', '2026-11-01')).toEqual({
      energyMwh: kWh(240.5),
      cost: fen('51.33') + fen((239.5 * 48.83).toFixed(3)),
    });
  });

  it('posts fixed charges to the home once per day and per month, never to a device', () => {
    const tariff = inlineTariff({ flat: { price: 50 }, fixed: { daily: 10, monthly: 500 } });
    const { book, accounting } = books(tariff);
    const at = '2026-11-27T00:00:00.000Z';
    // 2 kWh from 23:00 to 01:00 spans two days: 1 kWh (50 fen) and a daily charge on each.
    accounting.bookInterval(
      'dev_a',
      { startMs: local('2026-11-27 23:00'), endMs: local('2026-11-28 01:00'), energyMwh: kWh(2) },
      at,
    );
    accounting.bookInterval(
      'dev_b',
      { startMs: local('2026-11-28 08:00'), endMs: local('2026-11-28 09:00'), energyMwh: kWh(1) },
      at,
    );
    expect(book.total(HOME, 'day', '2026-11-27').cost).toBe(fen('60'));
    expect(book.total(HOME, 'day', '2026-11-28').cost).toBe(fen('110'));
    expect(book.total(HOME, 'month', '2026-11-01').cost).toBe(fen('670'));
    expect(book.total('dev_a', 'month', '2026-11-01').cost).toBe(fen('100'));
    expect(book.total('dev_b', 'day', '2026-11-28').cost).toBe(fen('50'));
  });

  it('sums the day, ISO week (from Monday), month and cycle of each piece', () => {
    const { book, accounting } = books(tariffs.flat);
    // Sunday 29 November 23:00 to Monday 30 November 01:00 (2026): two weeks, one month.
    accounting.bookInterval(
      'dev_a',
      { startMs: local('2026-11-29 23:00'), endMs: local('2026-11-30 01:00'), energyMwh: kWh(2) },
      '',
    );
    expect(book.total('dev_a', 'week', '2026-11-23').energyMwh).toBe(kWh(1));
    expect(book.total('dev_a', 'week', '2026-11-30').energyMwh).toBe(kWh(1));
    expect(book.total('dev_a', 'month', '2026-11-01').energyMwh).toBe(kWh(2));
    expect(book.hourlyCost('dev_a', local('2026-11-29 23:00'), local('2026-11-30 01:00')).cost).toBe(
      fen('111.6'),
    );
  });
});

describe('migration 3', () => {
  it('creates the energy tables, and an alert key that lets each crossing be recorded once', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.slice(0, 3));
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>
    ).map((row) => row.name);
    expect(tables).toEqual(
      expect.arrayContaining([
        'energy_channels',
        'energy_totals',
        'energy_hours',
        'energy_fixed_charges',
        'energy_rules',
        'energy_alerts',
      ]),
    );
    const insert = db.prepare(
      `INSERT OR IGNORE INTO energy_alerts (id, rule_id, rule_name, metric, value, threshold, period,
         period_start, crossing, ts, action, created_at)
       VALUES (?, 'rule_1', 'r', 'energy', 1, 1, 'day', '2026-11-27', ?, 'ts', '{}', 'now')`,
    );
    expect(insert.run('alert_1', '').changes).toBe(1);
    expect(insert.run('alert_2', '').changes).toBe(0);
    expect(insert.run('alert_3', 'tier2').changes).toBe(1);
    expect(() =>
      db.prepare("INSERT INTO energy_totals VALUES ('home', 'year', '2026-01-01', 0, 0)").run(),
    ).toThrow(/CHECK/);
  });
});
