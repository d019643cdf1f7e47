import { type Clock, isoNow } from '../clock.js';
import type { EventBus } from '../events.js';
import { newId } from '../ids.js';
import type { Logger } from '../logger.js';
import type { Intent } from '../payments/intent.js';
import type { IntentHooks } from '../payments/intent-hooks.js';
import { type Db, prepared } from '../store/database.js';
import type { LedgerTransaction } from '../wallet/ledger.js';
import type { TransactionRecord } from '../wallet/transaction-records.js';
import type { MerchantKeys } from './merchant-keys.js';
import type { WebhookSigner } from './webhook-signing.js';

export interface WebhookSettings {
  timeoutMs: number;
  retryHours: number;
}

export interface MerchantEvent {
  id: string;
  type: string;
  intentId: string;
  createdAt: string;
  attempts: number;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  gaveUpAt: string | null;
  lastError: string | null;
  /** The body the webhook carries. */
  payload: Record<string, unknown>;
}

interface EventRow {
  id: string;
  merchant_id: string;
  type: string;
  intent_id: string;
  payload: string;
  created_at: string;
  attempts: number;
  next_attempt_at: string | null;
  delivered_at: string | null;
  gave_up_at: string | null;
  last_error: string | null;
}

/** Waits after each failed attempt; the last one repeats until the retry period is over. */
export const RETRY_DELAYS_S = [10, 30, 60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 43_200];
const POLL_MS = 1000;
const BATCH = 50;

/**
 * Webhooks to merchants: one event per end state of each intent a merchant created (succeeded,
 * failed, denied, expired, canceled) and per refund. The event row is written inside the same
 * transaction as the state change (through the intent hooks), so no end state is ever missed or
 * doubled; delivery happens after, signed with Ed25519, retried with backoff for
 * `retryHours`, and every request of one event carries the same event id for the receiver to
 * deduplicate. `GET /api/merchant/events` lists what is not delivered yet.
 */
export class MerchantWebhooks {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private rerun = false;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly keys: MerchantKeys,
    readonly signer: WebhookSigner,
    private readonly events: EventBus,
    private readonly logger: Logger,
    private readonly settings: WebhookSettings,
    private readonly post: typeof fetch = fetch,
  ) {}

  /** Queues the end-state events, inside the payment core's transactions. */
  readonly hooks: IntentHooks = {
    succeeded: (intent) => this.enqueueIntent(intent),
    ended: (intent) => this.enqueueIntent(intent),
  };

  start(): void {
    this.stopped = false;
    // End states are committed before intent.changed fires: deliver them right away.
    this.events.on(this, 'intent.changed', ({ intent }) => {
      if (intent.source.kind === 'merchant') void this.deliverDue();
    });
    this.timer = setInterval(() => void this.deliverDue(), POLL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.events.removeAllOf(this);
    await this.running;
  }

  /** The merchant of a merchant-created intent is its payee (the merchant API binds them). */
  merchantOf(intent: Pick<Intent, 'source' | 'payee'>): string | undefined {
    if (intent.source.kind !== 'merchant') return undefined;
    return this.keys.get(intent.payee.id)?.id;
  }

  enqueueRefund(payment: TransactionRecord, refund: LedgerTransaction): void {
    if (!payment.intentId || !payment.payee || payment.sourceKind !== 'merchant') return;
    const merchant = this.keys.get(payment.payee.id);
    if (!merchant) return;
    const amount = refund.postings.filter((p) => p.amount > 0).reduce((sum, p) => sum + p.amount, 0);
    this.enqueue(merchant.id, payment.intentId, 'intent.refunded', `refund:${refund.id}`, {
      intentId: payment.intentId,
      transactionId: payment.id,
      refund: { id: refund.id, amount, currency: payment.currency, createdAt: refund.createdAt },
    });
  }

  /** A merchant's events not delivered yet (waiting, retrying, given up), oldest first. */
  undelivered(merchantId: string, limit = 100): MerchantEvent[] {
    const rows = prepared(
      this.db,
      `SELECT * FROM merchant_events WHERE merchant_id = ? AND delivered_at IS NULL
         ORDER BY created_at, id LIMIT ?`,
    ).all(merchantId, limit) as EventRow[];
    return rows.map(toEvent);
  }

  /** Sends every event that is due; concurrent calls share one run. Returns how many were tried. */
  deliverDue(): Promise<number> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = this.run()
      .catch((err: unknown) => {
        // Called as `void deliverDue()` from a timer: a database error (a full disk) would be an
        // unhandled rejection and end the process. The events stay due; the next poll retries.
        this.logger.error({ err }, 'webhook delivery failed; trying again');
        return 0;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async run(): Promise<number> {
    let tried = 0;
    do {
      this.rerun = false;
      const due = prepared(
        this.db,
        'SELECT * FROM merchant_events WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?',
      ).all(isoNow(this.clock), BATCH) as EventRow[];
      await Promise.all(due.map((row) => this.attempt(row)));
      tried += due.length;
      if (due.length === BATCH) this.rerun = true;
    } while (this.rerun && !this.stopped);
    return tried;
  }

  private async attempt(row: EventRow): Promise<void> {
    const merchant = this.keys.get(row.merchant_id);
    const url = merchant && !merchant.revokedAt ? merchant.webhookUrl : null;
    if (!url) {
      // Nothing to call (no URL, or the merchant was revoked): the event waits to be listed.
      prepared(this.db, 'UPDATE merchant_events SET next_attempt_at = NULL WHERE id = ?').run(row.id);
      return;
    }
    const timestamp = Math.floor(this.clock.now() / 1000);
    let error: string | null = null;
    try {
      const response = await this.post(url, {
        method: 'POST',
        body: row.payload,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'homepay-webhooks',
          'homepay-event-id': row.id,
          'homepay-signature': this.signer.header(row.payload, timestamp),
        },
        // A redirect would send the signed body somewhere the merchant did not configure.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      await response.body?.cancel();
      if (response.status < 200 || response.status > 299) error = `HTTP ${response.status}`;
    } catch (err) {
      error = (err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message;
    }
    const attempts = row.attempts + 1;
    const now = this.clock.now();
    if (error === null) {
      prepared(
        this.db,
        'UPDATE merchant_events SET attempts = ?, delivered_at = ?, next_attempt_at = NULL, last_error = NULL WHERE id = ?',
      ).run(attempts, new Date(now).toISOString(), row.id);
      this.logger.debug({ eventId: row.id, merchantId: row.merchant_id, attempts }, 'webhook delivered');
      return;
    }
    const delay = (RETRY_DELAYS_S[Math.min(attempts - 1, RETRY_DELAYS_S.length - 1)] as number) * 1000;
    const deadline = Date.parse(row.created_at) + this.settings.retryHours * 3_600_000;
    const next = now + delay;
    if (next > deadline) {
      prepared(
        this.db,
        'UPDATE merchant_events SET attempts = ?, next_attempt_at = NULL, gave_up_at = ?, last_error = ? WHERE id = ?',
      ).run(attempts, new Date(now).toISOString(), error, row.id);
      this.logger.warn({ eventId: row.id, merchantId: row.merchant_id, attempts, error }, 'webhook given up');
      return;
    }
    prepared(
      this.db,
      'UPDATE merchant_events SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?',
    ).run(attempts, new Date(next).toISOString(), error, row.id);
    this.logger.info(
      { eventId: row.id, merchantId: row.merchant_id, attempts, error },
      'webhook failed; will retry',
    );
  }

  private enqueueIntent(intent: Intent): void {
    const merchantId = this.merchantOf(intent);
    if (!merchantId) return;
    this.enqueue(merchantId, intent.id, `intent.${intent.status}`, `${intent.id}:${intent.status}`, {
      intent: merchantView(intent),
    });
  }

  private enqueue(
    merchantId: string,
    intentId: string,
    type: string,
    dedupeKey: string,
    data: Record<string, unknown>,
  ): void {
    const id = newId('evt');
    const createdAt = isoNow(this.clock);
    const payload = JSON.stringify({ id, type, createdAt, data });
    prepared(
      this.db,
      `INSERT INTO merchant_events (id, merchant_id, dedupe_key, type, intent_id, payload, created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING`,
    ).run(id, merchantId, dedupeKey, type, intentId, payload, createdAt, createdAt);
  }
}

/**
 * What a merchant learns of its own intent: never the challenge (it binds the phone's signature),
 * the deciding phone or the household's funding source.
 */
function merchantView(intent: Intent): Record<string, unknown> {
  return {
    id: intent.id,
    status: intent.status,
    amount: intent.amount,
    currency: intent.currency,
    description: intent.description,
    pointsRedeemed: intent.pointsRedeemed,
    createdAt: intent.createdAt,
    updatedAt: intent.updatedAt,
    ...(intent.lastError ? { lastError: intent.lastError } : {}),
  };
}

function toEvent(row: EventRow): MerchantEvent {
  return {
    id: row.id,
    type: row.type,
    intentId: row.intent_id,
    createdAt: row.created_at,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.delivered_at,
    gaveUpAt: row.gave_up_at,
    lastError: row.last_error,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
  };
}
