/**
 * Where the energy domain keeps its numbers (migration 0003): each channel's meter state, totals per
 * device and for the home per day, week, month and billing cycle, hourly totals for the recent-rate
 * forecast, and the fixed charges already posted. Costs are exact (cost-units.ts) in INTEGER columns;
 * callers write each reading in its own savepoint of a batch's transaction (energy-spend.ts), so a
 * restart resumes exactly where the last stored batch ended.
 */
import type { Statement } from 'better-sqlite3';
import { type Db, prepared } from '../store/database.js';
import { type ChannelState, EMPTY_CHANNEL } from './channel-meter.js';
import type { Period } from './periods.js';

export const HOME = 'home';

export interface Total {
  energyMwh: number;
  cost: bigint;
}

interface ChannelRow {
  channel: number | bigint;
  source: 'counter' | 'power';
  counter_mwh: number | bigint | null;
  counter_at: number | bigint | null;
  peak_mwh: number | bigint | null;
  peak_at: number | bigint | null;
  power_w: number | null;
  power_at: number | bigint | null;
  power_remainder: number | bigint;
}

const num = (value: number | bigint | null): number | null => (value === null ? null : Number(value));

export class EnergyBook {
  private readonly statements: ReturnType<typeof prepareStatements>;

  constructor(private readonly db: Db) {
    this.statements = prepareStatements(db);
  }

  channel(deviceId: string, channel: number): ChannelState {
    const row = this.statements.channel.get(deviceId, channel) as ChannelRow | undefined;
    return row ? toChannelState(row) : { ...EMPTY_CHANNEL };
  }

  channels(deviceId: string): Array<{ channel: number; state: ChannelState }> {
    const rows = this.statements.channels.all(deviceId) as ChannelRow[];
    return rows.map((row) => ({ channel: Number(row.channel), state: toChannelState(row) }));
  }

  saveChannel(deviceId: string, channel: number, state: ChannelState): void {
    this.statements.saveChannel.run(
      deviceId,
      channel,
      state.source,
      state.counterMwh,
      state.counterMs,
      state.peakMwh,
      state.peakMs,
      state.powerW,
      state.powerMs,
      state.powerRemainder,
    );
  }

  /** Devices that ever reported a reading, so have energy state. */
  meteredDevices(): string[] {
    return (this.statements.metered.all() as Array<{ device_id: string }>).map((row) => row.device_id);
  }

  total(scope: string, period: Period, start: string): Total {
    const row = this.statements.total.get(scope, period, start) as
      | { energy_mwh: bigint; cost: bigint }
      | undefined;
    return row ? { energyMwh: Number(row.energy_mwh), cost: row.cost } : { energyMwh: 0, cost: 0n };
  }

  /**
   * Adds to several period totals in one statement (an interval touches eight: four periods for
   * the device and for the home); statements, not rows, are what a reading pays for.
   */
  addTotals(
    rows: ReadonlyArray<{ scope: string; period: Period; start: string; energy: number; cost: bigint }>,
  ): void {
    if (rows.length === 0) return;
    const values = rows.map(() => '(?, ?, ?, ?, ?)').join(', ');
    // One text per row count (a handful in practice), each prepared once.
    prepared(
      this.db,
      `INSERT INTO energy_totals (scope, period, start, energy_mwh, cost) VALUES ${values}
         ON CONFLICT (scope, period, start) DO UPDATE SET energy_mwh = energy_mwh + excluded.energy_mwh,
           cost = cost + excluded.cost`,
    ).run(rows.flatMap((row) => [row.scope, row.period, row.start, row.energy, row.cost]));
  }

  addHour(scope: string, hourStartMs: number, energyMwh: number, cost: bigint): void {
    this.statements.addHour.run(scope, hourStartMs, energyMwh, cost);
  }

  /** The cost booked in hours starting in [fromMs, toMs), and the first such hour (null when none). */
  hourlyCost(scope: string, fromMs: number, toMs: number): { cost: bigint; firstHourMs: number | null } {
    const row = this.statements.hours.get(scope, fromMs, toMs) as { cost: bigint; first: bigint | null };
    return { cost: row.cost, firstHourMs: row.first === null ? null : Number(row.first) };
  }

  /** Hourly totals only feed the recent-rate forecast; older ones are let go. */
  pruneHours(beforeMs: number): void {
    this.statements.pruneHours.run(beforeMs);
  }

  /** Records a fixed charge for a period; false when it was already posted. */
  postFixed(period: 'day' | 'month', start: string, cost: bigint, atIso: string): boolean {
    return (this.statements.postFixed.run(period, start, cost, atIso).changes ?? 0) > 0;
  }

  /** A removed device's meter state and totals; the home's totals keep what it used. */
  forgetDevice(deviceId: string): void {
    this.db.transaction(() => {
      this.statements.forgetChannels.run(deviceId);
      this.statements.forgetTotals.run(deviceId);
      this.statements.forgetHours.run(deviceId);
    })();
  }
}

function toChannelState(row: ChannelRow): ChannelState {
  return {
    source: row.source,
    counterMwh: num(row.counter_mwh),
    counterMs: num(row.counter_at),
    peakMwh: num(row.peak_mwh),
    peakMs: num(row.peak_at),
    powerW: row.power_w === null ? null : Number(row.power_w),
    powerMs: num(row.power_at),
    powerRemainder: Number(row.power_remainder),
  };
}

function prepareStatements(db: Db) {
  const prepare = (sql: string): Statement => db.prepare(sql);
  // Costs are 64-bit integers that may pass 2^53 in sum; read them as bigint.
  const exact = (sql: string): Statement => db.prepare(sql).safeIntegers(true);
  return {
    channel: exact('SELECT * FROM energy_channels WHERE device_id = ? AND channel = ?'),
    channels: exact('SELECT * FROM energy_channels WHERE device_id = ? ORDER BY channel'),
    saveChannel: prepare(
      `INSERT INTO energy_channels (device_id, channel, source, counter_mwh, counter_at, peak_mwh, peak_at,
           power_w, power_at, power_remainder)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id, channel) DO UPDATE SET source = excluded.source,
           counter_mwh = excluded.counter_mwh, counter_at = excluded.counter_at, peak_mwh = excluded.peak_mwh,
           peak_at = excluded.peak_at, power_w = excluded.power_w, power_at = excluded.power_at,
           power_remainder = excluded.power_remainder`,
    ),
    total: exact('SELECT energy_mwh, cost FROM energy_totals WHERE scope = ? AND period = ? AND start = ?'),
    addHour: prepare(
      `INSERT INTO energy_hours (scope, hour_start, energy_mwh, cost) VALUES (?, ?, ?, ?)
         ON CONFLICT (scope, hour_start) DO UPDATE SET energy_mwh = energy_mwh + excluded.energy_mwh,
           cost = cost + excluded.cost`,
    ),
    hours: exact(
      `SELECT coalesce(sum(cost), 0) AS cost, min(hour_start) AS first FROM energy_hours
         WHERE scope = ? AND hour_start >= ? AND hour_start < ?`,
    ),
    postFixed: prepare(
      'INSERT OR IGNORE INTO energy_fixed_charges (period, start, cost, posted_at) VALUES (?, ?, ?, ?)',
    ),
    metered: prepare('SELECT DISTINCT device_id FROM energy_channels ORDER BY device_id'),
    forgetChannels: prepare('DELETE FROM energy_channels WHERE device_id = ?'),
    forgetTotals: prepare('DELETE FROM energy_totals WHERE scope = ?'),
    forgetHours: prepare('DELETE FROM energy_hours WHERE scope = ?'),
    pruneHours: prepare('DELETE FROM energy_hours WHERE hour_start < ?'),
  };
}
