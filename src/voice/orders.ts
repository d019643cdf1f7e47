import type { IntentStatus } from '../payments/intent.js';
import { type Db, prepared } from '../store/database.js';
import type { Lang } from './language.js';

/** How the hub talks back to the device that ordered: its own `say` topic, or Hermes. */
export type VoiceChannel = 'speaker' | 'hermes';

export interface OrderLineRef {
  sku: string;
  quantity: number;
}

/** A voice order, with the state of the intent that pays for it. */
export interface VoiceOrder {
  id: string;
  deviceId: string;
  sessionId: string;
  utterance: string;
  intentId: string;
  channel: VoiceChannel;
  siteId: string | null;
  lang: Lang;
  lines: OrderLineRef[];
  amount: number;
  currency: string;
  createdAt: string;
  status: IntentStatus;
}

interface OrderRow {
  id: string;
  device_id: string;
  session_id: string;
  utterance: string;
  intent_id: string;
  channel: VoiceChannel;
  site_id: string | null;
  lang: Lang;
  lines: string;
  amount: number;
  currency: string;
  created_at: string;
  status: IntentStatus;
}

const SELECT = 'SELECT o.*, i.status AS status FROM orders o JOIN intents i ON i.id = o.intent_id';

/** Statuses whose money is spent or may still be: what counts against a daily cap. */
const COUNTED: readonly IntentStatus[] = ['requires_approval', 'processing', 'succeeded'];

/** The orders table (migration 0004). Synchronous, for use inside the caller's transaction. */
export class OrderStore {
  constructor(private readonly db: Db) {}

  insert(order: Omit<VoiceOrder, 'status'>): void {
    prepared(
      this.db,
      `INSERT INTO orders (id, device_id, session_id, utterance, intent_id, channel, site_id, lang, lines,
           amount, currency, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      order.id,
      order.deviceId,
      order.sessionId,
      order.utterance,
      order.intentId,
      order.channel,
      order.siteId,
      order.lang,
      JSON.stringify(order.lines),
      order.amount,
      order.currency,
      order.createdAt,
    );
  }

  get(id: string): VoiceOrder | undefined {
    return this.one(`${SELECT} WHERE o.id = ?`, id);
  }

  byIntent(intentId: string): VoiceOrder | undefined {
    return this.one(`${SELECT} WHERE o.intent_id = ?`, intentId);
  }

  /**
   * The orders these exact words made in this session on this device (one per merchant): what a
   * redelivery finds, and what "cancel" or "reorder" treat as one order.
   */
  bySession(deviceId: string, sessionId: string, utterance: string): VoiceOrder[] {
    const rows = prepared(
      this.db,
      `${SELECT} WHERE o.device_id = ? AND o.session_id = ? AND o.utterance = ? ORDER BY o.rowid`,
    ).all(deviceId, sessionId, utterance) as OrderRow[];
    return rows.map(toOrder);
  }

  /** How many orders a session already made (a second order in one session needs its own key). */
  countInSession(deviceId: string, sessionId: string): number {
    const row = prepared(
      this.db,
      'SELECT count(*) AS n FROM orders WHERE device_id = ? AND session_id = ?',
    ).get(deviceId, sessionId) as { n: number };
    return row.n;
  }

  lastSucceeded(deviceId: string): VoiceOrder | undefined {
    return this.one(
      `${SELECT} WHERE o.device_id = ? AND i.status = 'succeeded' ORDER BY o.created_at DESC, o.rowid DESC LIMIT 1`,
      deviceId,
    );
  }

  /** The device's newest order still waiting for a phone. */
  lastPending(deviceId: string): VoiceOrder | undefined {
    return this.one(
      `${SELECT} WHERE o.device_id = ? AND i.status = 'requires_approval' ORDER BY o.created_at DESC, o.rowid DESC LIMIT 1`,
      deviceId,
    );
  }

  /** What this device ordered since `sinceIso` that is paid or may still be. */
  amountSince(deviceId: string, sinceIso: string): number {
    const placeholders = COUNTED.map(() => '?').join(', ');
    const row = prepared(
      this.db,
      `SELECT COALESCE(SUM(o.amount), 0) AS total FROM orders o JOIN intents i ON i.id = o.intent_id
         WHERE o.device_id = ? AND o.created_at >= ? AND i.status IN (${placeholders})`,
    ).get(deviceId, sinceIso, ...COUNTED) as { total: number };
    return row.total;
  }

  list(filter: { deviceId?: string; limit?: number } = {}): VoiceOrder[] {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 500);
    const rows = filter.deviceId
      ? prepared(
          this.db,
          `${SELECT} WHERE o.device_id = ? ORDER BY o.created_at DESC, o.rowid DESC LIMIT ?`,
        ).all(filter.deviceId, limit)
      : prepared(this.db, `${SELECT} ORDER BY o.created_at DESC, o.rowid DESC LIMIT ?`).all(limit);
    return (rows as OrderRow[]).map(toOrder);
  }

  private one(sql: string, ...params: unknown[]): VoiceOrder | undefined {
    const row = prepared(this.db, sql).get(...params) as OrderRow | undefined;
    return row ? toOrder(row) : undefined;
  }
}

function toOrder(row: OrderRow): VoiceOrder {
  return {
    id: row.id,
    deviceId: row.device_id,
    sessionId: row.session_id,
    utterance: row.utterance,
    intentId: row.intent_id,
    channel: row.channel,
    siteId: row.site_id,
    lang: row.lang,
    lines: JSON.parse(row.lines) as OrderLineRef[],
    amount: row.amount,
    currency: row.currency,
    createdAt: row.created_at,
    status: row.status,
  };
}
