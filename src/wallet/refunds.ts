import { createHash } from 'node:crypto';
import { type Clock, isoNow } from '../clock.js';
import { HubError } from '../errors.js';
import { type Db, inTransaction } from '../store/database.js';
import type { Ledger, LedgerTransaction } from './ledger.js';
import type { Points } from './points.js';
import type { TransactionRecord, TransactionRecords } from './transaction-records.js';

export interface RefundRequest {
  transactionId: string;
  /** Minor units; the rest of the payment when left out. */
  amount?: number;
  reason: string;
}

export interface RefundsContext {
  db: Db;
  clock: Clock;
  ledger: Ledger;
  points: Points;
  records: TransactionRecords;
  /** Told inside the refund's transaction, e.g. to queue the merchant's webhook. */
  onRefunded?(payment: TransactionRecord, refund: LedgerTransaction): void;
}

/**
 * Refunds, full or partial, as ledger reversals of the payment (never edits): the money goes back
 * where it came from, points earned on it are taken back in proportion, and a full refund gives
 * back the points redeemed on it. With an idempotency key, a retried request refunds once.
 */
export class Refunds {
  constructor(private readonly ctx: RefundsContext) {}

  refund(
    request: RefundRequest,
    idempotency?: { scope: string; key: string },
    mayRefund: (payment: TransactionRecord) => void = () => {},
  ): { refund: TransactionRecord; created: boolean } {
    const { db, ledger, points, records } = this.ctx;
    const hash = requestHash(request);
    const result = inTransaction(db, () => {
      if (idempotency) {
        const earlier = db
          .prepare(
            'SELECT request_hash, refund_transaction_id FROM refund_requests WHERE scope = ? AND key = ?',
          )
          .get(idempotency.scope, idempotency.key) as
          | { request_hash: string; refund_transaction_id: string }
          | undefined;
        if (earlier) {
          if (earlier.request_hash !== hash) {
            throw new HubError(
              'idempotency_key_reused',
              `Idempotency-Key "${idempotency.key}" was already used for a different refund`,
            );
          }
          return { id: earlier.refund_transaction_id, created: false };
        }
      }
      const payment = records.require(request.transactionId);
      if (payment.kind !== 'payment') {
        throw new HubError(
          'invalid_request',
          `Only payments can be refunded; ${payment.id} is a ${payment.kind}`,
        );
      }
      mayRefund(payment);
      if (request.amount !== undefined && request.amount > payment.amount - payment.refunded) {
        throw new HubError(
          'invalid_request',
          `Only ${payment.amount - payment.refunded} of ${payment.amount} is left to refund`,
        );
      }
      const refund = ledger.reverse(payment.id, {
        ...(request.amount !== undefined ? { amount: request.amount } : {}),
        description: `Refund: ${request.reason}`,
        kind: 'refund',
      });
      const refundedSoFar = payment.refunded + refundAmount(refund);
      if (payment.intentId) {
        points.reverseEarned(payment.intentId, payment.amount, refundedSoFar, refund.id);
        if (refundedSoFar >= payment.amount)
          points.restore(payment.intentId, 'Given back: payment refunded in full');
      }
      if (idempotency) {
        db.prepare(
          'INSERT INTO refund_requests (scope, key, request_hash, refund_transaction_id, created_at) VALUES (?, ?, ?, ?, ?)',
        ).run(idempotency.scope, idempotency.key, hash, refund.id, isoNow(this.ctx.clock));
      }
      this.ctx.onRefunded?.(payment, refund);
      return { id: refund.id, created: true };
    });
    return { refund: records.require(result.id), created: result.created };
  }
}

function refundAmount(refund: LedgerTransaction): number {
  return refund.postings.filter((p) => p.amount > 0).reduce((sum, p) => sum + p.amount, 0);
}

function requestHash(request: RefundRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([request.transactionId, request.amount ?? null, request.reason]))
    .digest('hex');
}
