import { HubError } from '../errors.js';
import { type Db, prepared } from '../store/database.js';

/**
 * The household's transaction records: ledger transactions with what the intent behind each one
 * says (payee, device, source, category). Read-only; the ledger stays the only place money is
 * written. A refund is its own record pointing at the payment it reverses.
 */

export const RECORD_KINDS = ['payment', 'topup', 'withdrawal', 'refund', 'reversal', 'transfer'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export interface TransactionRecord {
  id: string;
  kind: RecordKind;
  /** Minor units moved, always positive; `direction` says which way for the household. */
  amount: number;
  direction: 'out' | 'in' | 'internal';
  currency: string;
  category: string;
  payee: { id: string; name: string } | null;
  description: string;
  intentId: string | null;
  reverses: string | null;
  deviceId: string | null;
  sourceKind: string | null;
  fundingSourceId: string | null;
  /** Minor units refunded so far (payments only). */
  refunded: number;
  reportedAt: string | null;
  createdAt: string;
}

export interface RecordFilter {
  from?: string;
  to?: string;
  category?: string;
  payeeId?: string;
  deviceId?: string;
  sourceKind?: string;
  kind?: RecordKind;
  /** Opaque, from the previous page's `nextCursor`. */
  cursor?: string;
  limit: number;
}

interface RecordRow {
  id: string;
  kind: RecordKind;
  intent_id: string | null;
  reverses: string | null;
  description: string;
  created_at: string;
  amount: number;
  payee_id: string | null;
  payee_name: string | null;
  source_kind: string | null;
  source_device_id: string | null;
  funding_source_id: string | null;
  currency: string | null;
  category: string;
  refunded: number;
  reported_at: string | null;
}

/**
 * A goal transfer has no intent: its category is savings. Everything else takes the category
 * the intent was created with; a refund shares its payment's intent, so its category too.
 */
const CATEGORY = `COALESCE(json_extract(i.details, '$.category'),
  CASE t.kind WHEN 'transfer' THEN 'savings' WHEN 'topup' THEN 'transfer' WHEN 'withdrawal' THEN 'transfer' ELSE 'other' END)`;

const SELECT = `
  SELECT t.id, t.kind, t.intent_id, t.reverses, t.description, t.created_at,
    (SELECT SUM(p.amount) FROM ledger_postings p WHERE p.transaction_id = t.id AND p.amount > 0) AS amount,
    i.payee_id, i.payee_name, i.source_kind, i.source_device_id, i.funding_source_id, i.currency,
    ${CATEGORY} AS category,
    (SELECT COALESCE(SUM(p.amount), 0) FROM ledger_transactions r JOIN ledger_postings p ON p.transaction_id = r.id
       WHERE r.reverses = t.id AND p.amount > 0) AS refunded,
    rep.created_at AS reported_at
  FROM ledger_transactions t
  LEFT JOIN intents i ON i.id = t.intent_id
  LEFT JOIN transaction_reports rep ON rep.transaction_id = t.id`;

export class TransactionRecords {
  constructor(
    private readonly db: Db,
    private readonly currency: string,
  ) {}

  get(id: string): TransactionRecord | undefined {
    const row = prepared(this.db, `${SELECT} WHERE t.id = ?`).get(id) as RecordRow | undefined;
    return row ? this.toRecord(row) : undefined;
  }

  require(id: string): TransactionRecord {
    const record = this.get(id);
    if (!record) throw new HubError('transaction_not_found', `No transaction with id ${id}`);
    return record;
  }

  /** Newest first, `limit` at a time; `nextCursor` continues after the last one shown. */
  list(filter: RecordFilter): { records: TransactionRecord[]; nextCursor: string | null } {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (filter.from) {
      where.push('t.created_at >= ?');
      params.push(filter.from);
    }
    if (filter.to) {
      where.push('t.created_at < ?');
      params.push(filter.to);
    }
    if (filter.category) {
      where.push(`${CATEGORY} = ?`);
      params.push(filter.category);
    }
    if (filter.payeeId) {
      where.push('i.payee_id = ?');
      params.push(filter.payeeId);
    }
    if (filter.deviceId) {
      where.push('i.source_device_id = ?');
      params.push(filter.deviceId);
    }
    if (filter.sourceKind) {
      where.push('i.source_kind = ?');
      params.push(filter.sourceKind);
    }
    if (filter.kind) {
      where.push('t.kind = ?');
      params.push(filter.kind);
    }
    if (filter.cursor) {
      const after = decodeCursor(filter.cursor);
      where.push('(t.created_at, t.id) < (?, ?)');
      params.push(after.createdAt, after.id);
    }
    const sql = `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY t.created_at DESC, t.id DESC LIMIT ?`;
    const rows = prepared(this.db, sql).all(...params, filter.limit + 1) as RecordRow[];
    const page = rows.slice(0, filter.limit).map((row) => this.toRecord(row));
    const last = page[page.length - 1];
    return {
      records: page,
      nextCursor: rows.length > filter.limit && last ? encodeCursor(last.createdAt, last.id) : null,
    };
  }

  private toRecord(row: RecordRow): TransactionRecord {
    return {
      id: row.id,
      kind: row.kind,
      amount: row.amount,
      direction: directionOf(row.kind),
      currency: row.currency ?? this.currency,
      category: row.category,
      payee: row.payee_id ? { id: row.payee_id, name: row.payee_name ?? row.payee_id } : null,
      description: row.description,
      intentId: row.intent_id,
      reverses: row.reverses,
      deviceId: row.source_device_id,
      sourceKind: row.source_kind,
      fundingSourceId: row.funding_source_id,
      refunded: row.refunded,
      reportedAt: row.reported_at,
      createdAt: row.created_at,
    };
  }
}

function directionOf(kind: RecordKind): TransactionRecord['direction'] {
  if (kind === 'payment' || kind === 'withdrawal') return 'out';
  if (kind === 'transfer') return 'internal';
  return 'in';
}

function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(`${createdAt}|${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!createdAt || !id || Number.isNaN(Date.parse(createdAt))) {
    throw new HubError('invalid_request', 'cursor is not one this API gave out');
  }
  return { createdAt, id };
}
