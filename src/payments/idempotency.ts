import { createHash } from 'node:crypto';
import { HubError } from '../errors.js';
import { type Db, prepared } from '../store/database.js';

/** SPEC asks for at least 24 h; two days leaves room for a client that retries the next day. */
export const IDEMPOTENCY_KEY_RETENTION_MS = 48 * 3600_000;

/**
 * Idempotency keys, as Stripe's: the same key with the same request returns the first result; the
 * same key with another request is refused, because it means the client reused a key by mistake.
 * Keys are scoped to who sent them, so two merchants cannot collide.
 */
export class IdempotencyKeys {
  constructor(private readonly db: Db) {}

  /** The intent an earlier identical request created, or undefined when the key is new. */
  find(scope: string, key: string, request: unknown): string | undefined {
    const row = prepared(
      this.db,
      'SELECT request_hash, intent_id FROM idempotency_keys WHERE scope = ? AND key = ?',
    ).get(scope, key) as { request_hash: string; intent_id: string } | undefined;
    if (!row) return undefined;
    if (row.request_hash !== requestHash(request)) {
      throw new HubError(
        'idempotency_key_reused',
        `Idempotency-Key "${key}" was already used for a different request`,
      );
    }
    return row.intent_id;
  }

  remember(scope: string, key: string, request: unknown, intentId: string, at: string): void {
    prepared(
      this.db,
      'INSERT INTO idempotency_keys (scope, key, request_hash, intent_id, created_at) VALUES (?, ?, ?, ?, ?)',
    ).run(scope, key, requestHash(request), intentId, at);
  }

  forgetOlderThan(cutoffIso: string): number {
    return prepared(this.db, 'DELETE FROM idempotency_keys WHERE created_at < ?').run(cutoffIso).changes;
  }
}

export function validateIdempotencyKey(key: string | undefined): string {
  if (!key)
    throw new HubError('idempotency_key_required', 'Send an Idempotency-Key header (any unique string)');
  if (key.length > 255)
    throw new HubError('invalid_request', 'Idempotency-Key is longer than 255 characters');
  return key;
}

/** A hash of the request that does not depend on key order. */
function requestHash(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
