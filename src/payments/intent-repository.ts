import { type Db, prepared } from '../store/database.js';
import type { Intent, IntentStatus, SourceKind } from './intent.js';

interface IntentRow {
  id: string;
  status: IntentStatus;
  amount: number;
  currency: string;
  payee_id: string;
  payee_name: string;
  description: string;
  source_kind: SourceKind;
  source_device_id: string | null;
  details: string;
  points_redeemed: number;
  points_earned: number;
  funding_source_id: string | null;
  challenge: string;
  challenge_used_at: string | null;
  decided_by: string | null;
  expires_at: string;
  created_at: string;
  updated_at: string;
  last_error: string | null;
}

export interface IntentEvent {
  fromStatus: IntentStatus | null;
  toStatus: IntentStatus;
  at: string;
  detail: Record<string, unknown>;
}

/** What an intent row carries beyond its JSON: the challenge's single use. */
export interface StoredIntent extends Intent {
  challengeUsedAt: string | null;
}

/**
 * Rows of `intents` and `intent_events`. A state change is a conditional UPDATE on the expected
 * current status, so of two racing writers exactly one changes the row; the caller runs it in a
 * transaction together with its ledger work and the event row.
 */
export class IntentRepository {
  constructor(private readonly db: Db) {}

  insert(intent: Intent): void {
    const details = JSON.stringify({
      items: intent.items,
      discounts: intent.discounts,
      reason: intent.reason,
      category: intent.category,
      anomaly: intent.anomaly,
    });
    prepared(
      this.db,
      `INSERT INTO intents (id, status, amount, currency, payee_id, payee_name, description, source_kind,
           source_device_id, details, points_redeemed, points_earned, funding_source_id, challenge, expires_at,
           created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      intent.id,
      intent.status,
      intent.amount,
      intent.currency,
      intent.payee.id,
      intent.payee.name,
      intent.description,
      intent.source.kind,
      intent.source.deviceId ?? null,
      details,
      intent.pointsRedeemed,
      intent.pointsEarned,
      intent.fundingSourceId,
      intent.challenge,
      intent.expiresAt,
      intent.createdAt,
      intent.updatedAt,
    );
    this.addEvent(intent.id, null, intent.status, intent.createdAt, {});
  }

  get(id: string): StoredIntent | undefined {
    const row = prepared(this.db, 'SELECT * FROM intents WHERE id = ?').get(id) as IntentRow | undefined;
    return row ? toIntent(row) : undefined;
  }

  list(filter: { status?: IntentStatus; limit?: number } = {}): StoredIntent[] {
    const rows = filter.status
      ? prepared(this.db, 'SELECT * FROM intents WHERE status = ? ORDER BY created_at DESC, id LIMIT ?').all(
          filter.status,
          filter.limit ?? 100,
        )
      : prepared(this.db, 'SELECT * FROM intents ORDER BY created_at DESC, id LIMIT ?').all(
          filter.limit ?? 100,
        );
    return (rows as IntentRow[]).map(toIntent);
  }

  /** Intents still waiting for a phone whose time is up. */
  dueToExpire(nowIso: string): StoredIntent[] {
    const rows = prepared(
      this.db,
      "SELECT * FROM intents WHERE status = 'requires_approval' AND expires_at <= ? ORDER BY expires_at",
    ).all(nowIso) as IntentRow[];
    return rows.map(toIntent);
  }

  /**
   * Moves an intent from `from` to `to`, with optional column changes; false when the intent was
   * not in `from` any more (someone else moved it first).
   */
  transition(
    id: string,
    from: IntentStatus,
    to: IntentStatus,
    at: string,
    change: {
      lastError?: string | null;
      decidedBy?: string;
      challengeUsed?: boolean;
      pointsEarned?: number;
    } = {},
    detail: Record<string, unknown> = {},
  ): boolean {
    const result = prepared(
      this.db,
      `UPDATE intents SET status = ?, updated_at = ?,
           last_error = CASE WHEN ? THEN ? ELSE last_error END,
           decided_by = COALESCE(?, decided_by),
           challenge_used_at = CASE WHEN ? THEN ? ELSE challenge_used_at END,
           points_earned = COALESCE(?, points_earned)
         WHERE id = ? AND status = ?`,
    ).run(
      to,
      at,
      change.lastError !== undefined ? 1 : 0,
      change.lastError ?? null,
      change.decidedBy ?? null,
      change.challengeUsed ? 1 : 0,
      at,
      change.pointsEarned ?? null,
      id,
      from,
    );
    if (result.changes !== 1) return false;
    this.addEvent(id, from, to, at, detail);
    return true;
  }

  /** Notes a problem on an intent without changing its state (e.g. a provider timeout while processing). */
  noteError(id: string, error: string, at: string): void {
    prepared(this.db, 'UPDATE intents SET last_error = ?, updated_at = ? WHERE id = ?').run(error, at, id);
  }

  events(id: string): IntentEvent[] {
    const rows = prepared(
      this.db,
      'SELECT from_status, to_status, at, detail FROM intent_events WHERE intent_id = ? ORDER BY id',
    ).all(id) as Array<{
      from_status: IntentStatus | null;
      to_status: IntentStatus;
      at: string;
      detail: string;
    }>;
    return rows.map((row) => ({
      fromStatus: row.from_status,
      toStatus: row.to_status,
      at: row.at,
      detail: JSON.parse(row.detail) as Record<string, unknown>,
    }));
  }

  private addEvent(
    id: string,
    from: IntentStatus | null,
    to: IntentStatus,
    at: string,
    detail: Record<string, unknown>,
  ): void {
    prepared(
      this.db,
      'INSERT INTO intent_events (intent_id, from_status, to_status, at, detail) VALUES (?, ?, ?, ?, ?)',
    ).run(id, from, to, at, JSON.stringify(detail));
  }
}

function toIntent(row: IntentRow): StoredIntent {
  const details = JSON.parse(row.details) as Pick<
    Intent,
    'items' | 'discounts' | 'reason' | 'category' | 'anomaly'
  >;
  const intent: StoredIntent = {
    id: row.id,
    status: row.status,
    amount: row.amount,
    currency: row.currency,
    payee: { id: row.payee_id, name: row.payee_name },
    description: row.description,
    source: row.source_device_id
      ? { kind: row.source_kind, deviceId: row.source_device_id }
      : { kind: row.source_kind },
    pointsRedeemed: row.points_redeemed,
    pointsEarned: row.points_earned,
    fundingSourceId: row.funding_source_id,
    challenge: row.challenge,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    challengeUsedAt: row.challenge_used_at,
  };
  if (details.items) intent.items = details.items;
  if (details.discounts) intent.discounts = details.discounts;
  if (details.reason) intent.reason = details.reason;
  if (details.category) intent.category = details.category;
  if (details.anomaly) intent.anomaly = details.anomaly;
  if (row.last_error) intent.lastError = row.last_error;
  if (row.decided_by) intent.decidedBy = row.decided_by;
  return intent;
}
