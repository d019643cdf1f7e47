/**
 * Alerts: the record of each rule crossing. The table's unique key (rule, period, crossing) is what
 * makes a rule fire once per period crossing: a second insert for the same crossing, also after a
 * restart, changes nothing. An intent action's intent is remembered on its alert.
 */
import { newId } from '../ids.js';
import { type Db, prepared } from '../store/database.js';
import type { Period } from './periods.js';
import type { RuleAction, RuleMetric } from './rules.js';

/** What is published on `homepay/alert/{ruleId}` and listed by `GET /api/alerts`. */
export interface EnergyAlert {
  id: string;
  ruleId: string;
  name: string;
  metric: RuleMetric;
  /** Minor units for spend and projectedSpend; Wh for energy and tierRemaining. */
  value: number;
  threshold: number;
  period: Period;
  /** The first local date of the period the crossing happened in. */
  periodStart: string;
  deviceId?: string;
  ts: string;
  intentId?: string;
}

export interface NewAlert {
  ruleId: string;
  name: string;
  metric: RuleMetric;
  value: number;
  threshold: number;
  period: Period;
  periodStart: string;
  crossing: string;
  deviceId: string | null;
  ts: string;
  action: RuleAction;
}

interface AlertRow {
  id: string;
  rule_id: string;
  rule_name: string;
  metric: RuleMetric;
  value: number;
  threshold: number;
  period: Period;
  period_start: string;
  device_id: string | null;
  ts: string;
  action: string;
  intent_id: string | null;
  intent_error: string | null;
}

export class AlertRepository {
  constructor(private readonly db: Db) {}

  /** Records a crossing; undefined when this crossing was already recorded. */
  record(alert: NewAlert, createdAt: string): { alert: EnergyAlert; action: RuleAction } | undefined {
    const id = newId('alert');
    const inserted = prepared(
      this.db,
      `INSERT OR IGNORE INTO energy_alerts (id, rule_id, rule_name, metric, value, threshold, period,
           period_start, crossing, device_id, ts, action, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      alert.ruleId,
      alert.name,
      alert.metric,
      alert.value,
      alert.threshold,
      alert.period,
      alert.periodStart,
      alert.crossing,
      alert.deviceId,
      alert.ts,
      JSON.stringify(alert.action),
      createdAt,
    );
    if (inserted.changes === 0) return undefined;
    return { alert: this.require(id), action: alert.action };
  }

  require(id: string): EnergyAlert {
    const row = prepared(this.db, 'SELECT * FROM energy_alerts WHERE id = ?').get(id) as AlertRow | undefined;
    if (!row) throw new Error(`no alert ${id}`);
    return toAlert(row);
  }

  /** Newest first, by the time of the crossing. */
  list(filter: { ruleId?: string; since?: string; limit: number }): EnergyAlert[] {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (filter.ruleId) {
      where.push('rule_id = ?');
      params.push(filter.ruleId);
    }
    if (filter.since) {
      where.push('ts >= ?');
      params.push(filter.since);
    }
    params.push(filter.limit);
    const rows = prepared(
      this.db,
      `SELECT * FROM energy_alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY ts DESC, created_at DESC, id DESC LIMIT ?`,
    ).all(...params) as AlertRow[];
    return rows.map(toAlert);
  }

  /** Intent actions whose intent was never created (the hub stopped in between). */
  pendingIntents(): Array<{ alert: EnergyAlert; action: Extract<RuleAction, { kind: 'intent' }> }> {
    const rows = prepared(
      this.db,
      `SELECT * FROM energy_alerts WHERE intent_id IS NULL AND intent_error IS NULL
           AND json_extract(action, '$.kind') = 'intent' ORDER BY created_at`,
    ).all() as AlertRow[];
    return rows.map((row) => ({
      alert: toAlert(row),
      action: JSON.parse(row.action) as Extract<RuleAction, { kind: 'intent' }>,
    }));
  }

  setIntent(alertId: string, outcome: { intentId: string } | { error: string }): void {
    prepared(this.db, 'UPDATE energy_alerts SET intent_id = ?, intent_error = ? WHERE id = ?').run(
      'intentId' in outcome ? outcome.intentId : null,
      'error' in outcome ? outcome.error : null,
      alertId,
    );
  }
}

function toAlert(row: AlertRow): EnergyAlert {
  return {
    id: row.id,
    ruleId: row.rule_id,
    name: row.rule_name,
    metric: row.metric,
    value: row.value,
    threshold: row.threshold,
    period: row.period,
    periodStart: row.period_start,
    ...(row.device_id ? { deviceId: row.device_id } : {}),
    ts: row.ts,
    ...(row.intent_id ? { intentId: row.intent_id } : {}),
  };
}
