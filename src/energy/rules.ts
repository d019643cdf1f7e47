/**
 * Threshold rules (SPEC "Energy spend"): a scope (one device or the home), a period, a metric and a
 * threshold, and what to do when it is crossed: an alert, or a payment intent the phone must still
 * approve. Rules come from the API or from the settings file; config rules get ids derived from their
 * content, so a restart finds the same rule and does not fire it again.
 */
import { createHash } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Clock } from '../clock.js';
import { HubError } from '../errors.js';
import { newId } from '../ids.js';
import type { Db } from '../store/database.js';
import type { Period } from './periods.js';

export const RULE_METRICS = ['spend', 'energy', 'projectedSpend', 'tierRemaining'] as const;
export type RuleMetric = (typeof RULE_METRICS)[number];

export type RuleAction =
  | { kind: 'alert' }
  | { kind: 'intent'; payeeId: string; payeeName?: string; amount: number };

export interface NewRule {
  name: string;
  scope: 'home' | { deviceId: string };
  period: Period;
  metric: RuleMetric;
  /** Minor units for spend and projectedSpend; Wh for energy and tierRemaining. */
  threshold: number;
  action: RuleAction;
}

export interface Rule extends NewRule {
  id: string;
  origin: 'api' | 'config';
  createdAt: string;
}

interface RuleRow {
  id: string;
  name: string;
  device_id: string | null;
  period: Period;
  metric: RuleMetric;
  threshold: number;
  action: string;
  origin: 'api' | 'config';
  created_at: string;
}

export interface RuleChecks {
  deviceExists(deviceId: string): boolean;
  tariffHasTiers: boolean;
}

/** Why a rule cannot work, or null. Shapes are the schema's job; this is what a schema cannot say. */
export function ruleProblem(rule: NewRule, checks: RuleChecks): string | null {
  if (!Number.isSafeInteger(rule.threshold) || rule.threshold < 0) {
    return 'threshold must be a whole number of at least 0 (minor units for spend, Wh for energy)';
  }
  if (typeof rule.scope === 'object' && !checks.deviceExists(rule.scope.deviceId)) {
    return `no device ${rule.scope.deviceId}`;
  }
  if (rule.metric === 'tierRemaining') {
    if (!checks.tariffHasTiers) return 'tierRemaining needs a tariff with tiers';
    // Tiers count the home's energy in a billing cycle; no device and no other period has a tier.
    if (rule.scope !== 'home' || rule.period !== 'cycle')
      return 'tierRemaining is for scope home, period cycle';
  }
  if (rule.action.kind === 'intent') {
    const { amount } = rule.action;
    if (!Number.isSafeInteger(amount) || amount < 1) return 'an intent action needs an amount of at least 1';
  }
  return null;
}

export class RuleRepository {
  private scopeStatements: { home: Statement; device: Statement } | undefined;
  /** `forScope`'s answers; every write here empties it. */
  private readonly byScope = new Map<string, Rule[]>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  create(rule: NewRule, origin: 'api' | 'config' = 'api', id = newId('rule')): Rule {
    this.byScope.clear();
    const createdAt = new Date(this.clock.now()).toISOString();
    this.db
      .prepare(
        `INSERT INTO energy_rules (id, name, device_id, period, metric, threshold, action, origin, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        rule.name,
        rule.scope === 'home' ? null : rule.scope.deviceId,
        rule.period,
        rule.metric,
        rule.threshold,
        JSON.stringify(rule.action),
        origin,
        createdAt,
      );
    return this.require(id);
  }

  get(id: string): Rule | undefined {
    const row = this.db.prepare('SELECT * FROM energy_rules WHERE id = ?').get(id) as RuleRow | undefined;
    return row ? toRule(row) : undefined;
  }

  require(id: string): Rule {
    const rule = this.get(id);
    if (!rule) throw new HubError('rule_not_found', `No rule with id ${id}`);
    return rule;
  }

  list(): Rule[] {
    const rows = this.db.prepare('SELECT * FROM energy_rules ORDER BY created_at, id').all() as RuleRow[];
    return rows.map(toRule);
  }

  /** Rules that watch a scope (a device id, or `home`). */
  forScope(scope: string): Rule[] {
    // Asked for every reading (device and home), and rules change rarely: kept in memory per scope
    // until a write here forgets them (docs/performance.md).
    const cached = this.byScope.get(scope);
    if (cached) return cached;
    this.scopeStatements ??= {
      home: this.db.prepare('SELECT * FROM energy_rules WHERE device_id IS NULL'),
      device: this.db.prepare('SELECT * FROM energy_rules WHERE device_id = ?'),
    };
    const rows = (
      scope === 'home' ? this.scopeStatements.home.all() : this.scopeStatements.device.all(scope)
    ) as RuleRow[];
    const rules = rows.map(toRule);
    this.byScope.set(scope, rules);
    return rules;
  }

  delete(id: string): Rule {
    const rule = this.require(id);
    if (rule.origin === 'config') {
      throw new HubError('rule_in_config', `Rule ${id} comes from the settings file; remove it there`);
    }
    this.byScope.clear();
    this.db.prepare('DELETE FROM energy_rules WHERE id = ?').run(id);
    return rule;
  }

  /** A removed device's rules go with it: they could never fire again. */
  deleteForDevice(deviceId: string): void {
    this.byScope.clear();
    this.db.prepare('DELETE FROM energy_rules WHERE device_id = ?').run(deviceId);
  }

  /**
   * Makes the config rules in the database exactly those of the settings file. A rule whose content
   * is unchanged keeps its id (and so its firings); an edited rule is a new rule.
   */
  syncConfig(rules: NewRule[]): void {
    this.byScope.clear();
    this.db.transaction(() => {
      const wanted = new Map(rules.map((rule) => [configRuleId(rule), rule]));
      for (const existing of this.list().filter((rule) => rule.origin === 'config')) {
        if (!wanted.delete(existing.id))
          this.db.prepare('DELETE FROM energy_rules WHERE id = ?').run(existing.id);
      }
      for (const [id, rule] of wanted) this.create(rule, 'config', id);
    })();
  }
}

/** `rule_` and 16 hex digits of the rule's content: stable across restarts, new when edited. */
export function configRuleId(rule: NewRule): string {
  const content = JSON.stringify([
    rule.name,
    rule.scope,
    rule.period,
    rule.metric,
    rule.threshold,
    rule.action,
  ]);
  return `rule_${createHash('sha256').update(content).digest('hex').slice(0, 16)}`;
}

function toRule(row: RuleRow): Rule {
  return {
    id: row.id,
    name: row.name,
    scope: row.device_id === null ? 'home' : { deviceId: row.device_id },
    period: row.period,
    metric: row.metric,
    threshold: row.threshold,
    action: JSON.parse(row.action) as RuleAction,
    origin: row.origin,
    createdAt: row.created_at,
  };
}
