import { type Clock, isoNow } from '../clock.js';
import { HubError } from '../errors.js';
import { type Db, inTransaction, prepared } from '../store/database.js';
import type { FundingSource, FundingSources } from './funding-sources.js';
import type { TransactionRecords } from './transaction-records.js';

export interface TransactionReport {
  transactionId: string;
  reason: string;
  reportedBy: string;
  reportedAt: string;
  /** The source frozen by the report; null when the money came from the wallet balance. */
  fundingSource: FundingSource | null;
}

/**
 * "That wasn't us": a household member reports a transaction as suspicious. The report is kept,
 * and the card or account it was paid with is frozen at once, so nothing more can be charged to
 * it, until the admin releases it (`POST /api/funding-sources/{id}/release`).
 */
export class Reports {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly records: TransactionRecords,
    private readonly fundingSources: FundingSources,
  ) {}

  report(transactionId: string, reason: string, reportedBy: string): TransactionReport {
    const record = this.records.require(transactionId);
    const reportedAt = isoNow(this.clock);
    inTransaction(this.db, () => {
      const done = prepared(
        this.db,
        `INSERT INTO transaction_reports (transaction_id, reason, reported_by, funding_source_id, created_at)
           VALUES (?, ?, ?, ?, ?) ON CONFLICT(transaction_id) DO NOTHING`,
      ).run(transactionId, reason, reportedBy, record.fundingSourceId, reportedAt);
      if (done.changes === 0) {
        throw new HubError('already_reported', `Transaction ${transactionId} was already reported`);
      }
    });
    // A removed source cannot pay any more; there is nothing left to freeze.
    const source = record.fundingSourceId ? this.fundingSources.get(record.fundingSourceId) : undefined;
    const fundingSource =
      source && source.status !== 'removed'
        ? this.fundingSources.freeze(source.id, `Transaction ${transactionId} reported: ${reason}`)
        : (source ?? null);
    return { transactionId, reason, reportedBy, reportedAt, fundingSource };
  }
}
