import { type Clock, isoNow } from '../clock.js';
import { HubError } from '../errors.js';
import type { Intent } from '../payments/intent.js';
import { type Db, prepared } from '../store/database.js';

export interface PointsSettings {
  /** Points per yuan paid, by category, `default` for the rest. */
  rates: Record<string, number>;
  /** Minor units one redeemed point is worth. */
  redeemValue: number;
  maxRedeemPercent: number;
  autoRedeem: boolean;
}

export type PointsEntryKind = 'earned' | 'redeemed' | 'restored' | 'reversed';

export interface PointsEntry {
  id: number;
  kind: PointsEntryKind;
  points: number;
  intentId: string | null;
  transactionId: string | null;
  description: string;
  createdAt: string;
}

/** Payments that are not spending (moving the household's own money) earn nothing. */
const NOT_SPENDING = new Set(['topup', 'withdrawal']);

/**
 * The household's points, as an append-only journal: the balance is the sum of the entries.
 * Earned on a succeeded payment at the category's rate; redeemed as a discount when an intent is
 * created (so the amount the phone signs already has it); given back when that intent does not
 * succeed; taken back in proportion when a payment is refunded. Every method runs inside the
 * caller's transaction.
 */
export class Points {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    readonly settings: PointsSettings,
  ) {}

  balance(): number {
    const row = prepared(this.db, 'SELECT COALESCE(SUM(points), 0) AS total FROM points_entries').get() as {
      total: number;
    };
    return row.total;
  }

  history(options: { limit: number; before?: number }): PointsEntry[] {
    const rows = prepared(
      this.db,
      `SELECT id, kind, points, intent_id, transaction_id, description, created_at FROM points_entries
         WHERE id < ? ORDER BY id DESC LIMIT ?`,
    ).all(options.before ?? Number.MAX_SAFE_INTEGER, options.limit) as Array<{
      id: number;
      kind: PointsEntryKind;
      points: number;
      intent_id: string | null;
      transaction_id: string | null;
      description: string;
      created_at: string;
    }>;
    return rows.map((row) => ({
      id: row.id,
      kind: row.kind,
      points: row.points,
      intentId: row.intent_id,
      transactionId: row.transaction_id,
      description: row.description,
      createdAt: row.created_at,
    }));
  }

  /**
   * Points a payment of `amount` in `category` earns: the rate is points per yuan, kept to two
   * decimals and applied in integers, rounded down.
   */
  earnedFor(intent: Pick<Intent, 'amount' | 'category' | 'source'>): number {
    if (NOT_SPENDING.has(intent.source.kind)) return 0;
    const rate = this.settings.rates[intent.category ?? ''] ?? this.settings.rates.default ?? 0;
    const hundredths = Math.round(rate * 100);
    return Math.floor((intent.amount * hundredths) / 10_000);
  }

  /**
   * How many points an order of `subtotal` may use: at most what the household has, at most
   * `maxRedeemPercent` of the order, and never so many that less than one minor unit is left.
   */
  redeemable(subtotal: number, requested: number | 'max'): number {
    const { redeemValue, maxRedeemPercent } = this.settings;
    const byShare = Math.floor((subtotal * maxRedeemPercent) / 100 / redeemValue);
    const byAmount = Math.floor((subtotal - 1) / redeemValue);
    const wanted = requested === 'max' ? Number.MAX_SAFE_INTEGER : Math.max(0, Math.floor(requested));
    return Math.max(0, Math.min(wanted, this.balance(), byShare, byAmount));
  }

  /** Takes the points an intent redeems, when it is created. Refused when the balance is short. */
  redeem(intent: Intent): void {
    if (intent.pointsRedeemed <= 0) return;
    const balance = this.balance();
    if (balance < intent.pointsRedeemed) {
      throw new HubError(
        'insufficient_points',
        `The household has ${balance} points, ${intent.pointsRedeemed} were to be redeemed`,
      );
    }
    this.add('redeemed', -intent.pointsRedeemed, intent.id, null, `Redeemed on ${intent.description}`);
  }

  /** Gives redeemed points back once, when the intent ends without payment or is fully refunded. */
  restore(intentId: string, description: string): void {
    const redeemed = this.entry(intentId, 'redeemed');
    if (!redeemed || this.entry(intentId, 'restored')) return;
    this.add('restored', -redeemed.points, intentId, null, description);
  }

  earn(intent: Intent): void {
    if (intent.pointsEarned <= 0) return;
    this.add('earned', intent.pointsEarned, intent.id, null, `Earned on ${intent.description}`);
  }

  /**
   * Takes back earned points in proportion to what was refunded so far, in whole points. The
   * total taken back after refunds of R out of P is floor(earned * R / P), so a full refund takes
   * back exactly what was earned, however it was split. The balance may go below zero when the
   * points were already spent; no redemption is possible until it is positive again.
   */
  reverseEarned(intentId: string, paid: number, refundedSoFar: number, transactionId: string): number {
    const earned = this.entry(intentId, 'earned')?.points ?? 0;
    if (earned <= 0) return 0;
    const alreadyReversed = -(
      prepared(
        this.db,
        "SELECT COALESCE(SUM(points), 0) AS total FROM points_entries WHERE intent_id = ? AND kind = 'reversed'",
      ).get(intentId) as { total: number }
    ).total;
    const due = Math.floor((earned * Math.min(refundedSoFar, paid)) / paid) - alreadyReversed;
    if (due <= 0) return 0;
    this.add('reversed', -due, intentId, transactionId, `Taken back after a refund`);
    return due;
  }

  private entry(intentId: string, kind: PointsEntryKind): { points: number } | undefined {
    return prepared(this.db, 'SELECT points FROM points_entries WHERE intent_id = ? AND kind = ?').get(
      intentId,
      kind,
    ) as { points: number } | undefined;
  }

  private add(
    kind: PointsEntryKind,
    points: number,
    intentId: string,
    transactionId: string | null,
    description: string,
  ): void {
    prepared(
      this.db,
      `INSERT INTO points_entries (kind, points, intent_id, transaction_id, description, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(kind, points, intentId, transactionId, description, isoNow(this.clock));
  }
}
