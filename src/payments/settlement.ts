import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../logger.js';
import { type Db, inTransaction } from '../store/database.js';
import { type Ledger, type Posting, WALLET_ACCOUNT } from '../wallet/ledger.js';
import type { FundingSourceLookup } from './funding.js';
import type { Intent } from './intent.js';
import type { IntentHooks } from './intent-hooks.js';
import type { IntentRepository } from './intent-repository.js';
import { publicIntent, walletDebit } from './intents.js';
import {
  type PaymentProvider,
  type ProviderOutcome,
  type ProviderRequest,
  ProviderTimeoutError,
} from './provider/provider.js';

export interface SettlementContext {
  db: Db;
  ledger: Ledger;
  repository: IntentRepository;
  provider: PaymentProvider;
  fundingSources: FundingSourceLookup;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  /** The same hooks as PaymentIntents: points earned on success, offers released on a decline. */
  hooks?: IntentHooks;
}

/** Retry delays after a provider timeout; the last one repeats until the provider answers. */
const RETRY_DELAYS_MS = [500, 1000, 2000, 5000, 10_000, 30_000];

/**
 * Pays an approved (`processing`) intent through the provider, then records the outcome: on
 * success the wallet hold is posted (or a card payment is booked), on a decline the hold is voided.
 *
 * Exactly once, whatever happens: the intent id is the provider's idempotency key, so asking again
 * after a timeout, a crash or a restart can never move money twice; and the outcome is written by a
 * conditional state change (`processing` -> end state) in the same transaction as the ledger work,
 * so of two settlements racing for one intent only one books anything.
 */
export class Settlement {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly ctx: SettlementContext) {}

  /** Settles one intent; concurrent calls for the same intent share one attempt. */
  settle(intentId: string): Promise<void> {
    const running = this.inFlight.get(intentId);
    if (running) return running;
    const attempt = this.attempt(intentId, 0).finally(() => this.inFlight.delete(intentId));
    this.inFlight.set(intentId, attempt);
    return attempt;
  }

  /** At start: every intent left `processing` by a crash or a stop is asked about again. */
  recover(): number {
    const stuck = this.ctx.repository.list({ status: 'processing', limit: 10_000 });
    for (const intent of stuck) void this.settle(intent.id);
    if (stuck.length > 0) this.ctx.logger.info({ count: stuck.length }, 'settling intents left processing');
    return stuck.length;
  }

  /** Stops retrying and waits for the provider calls under way, so none is cut in half. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async attempt(intentId: string, retry: number): Promise<void> {
    try {
      await this.ask(intentId, retry);
    } catch (err) {
      // The database refused a read or the booking (disk full, I/O error). The provider keeps its
      // answer under the same key, so asking again later books it then; never leave the intent
      // processing with no retry, and never let the rejection reach recover()'s `void` (a crash).
      this.ctx.logger.error(
        { intentId, retry, err: (err as Error).message },
        'recording the provider answer failed; asking again',
      );
      this.scheduleRetry(intentId, retry);
    }
  }

  private async ask(intentId: string, retry: number): Promise<void> {
    const intent = this.ctx.repository.get(intentId);
    if (intent?.status !== 'processing') return;
    let outcome: ProviderOutcome;
    try {
      outcome = await this.ctx.provider.execute(this.providerRequest(intent));
    } catch (err) {
      const timeout = err instanceof ProviderTimeoutError;
      const at = new Date(this.ctx.clock.now()).toISOString();
      this.ctx.repository.noteError(intentId, timeout ? 'provider_timeout' : 'provider_error', at);
      this.ctx.logger.warn(
        { intentId, retry, err: (err as Error).message },
        timeout ? 'provider timed out; asking again with the same key' : 'provider failed; asking again',
      );
      this.scheduleRetry(intentId, retry);
      return;
    }
    this.record(intent, outcome);
  }

  private scheduleRetry(intentId: string, retry: number): void {
    if (this.stopped) return;
    const delay = RETRY_DELAYS_MS[Math.min(retry, RETRY_DELAYS_MS.length - 1)] as number;
    const timer = setTimeout(() => {
      this.retryTimers.delete(intentId);
      const attempt = this.attempt(intentId, retry + 1).finally(() => this.inFlight.delete(intentId));
      this.inFlight.set(intentId, attempt);
    }, delay);
    timer.unref();
    this.retryTimers.set(intentId, timer);
  }

  private record(intent: Intent, outcome: ProviderOutcome): void {
    const at = new Date(this.ctx.clock.now()).toISOString();
    const { ledger, repository } = this.ctx;
    const recorded = inTransaction(this.ctx.db, () => {
      if (outcome.status === 'declined') {
        if (
          !repository.transition(
            intent.id,
            'processing',
            'failed',
            at,
            { lastError: outcome.reason },
            { reason: outcome.reason },
          )
        ) {
          return false;
        }
        ledger.voidHold(intent.id);
        this.afterTransition(intent.id, 'ended');
        return true;
      }
      // Points are fixed in the same state change that makes the intent succeeded.
      const pointsEarned = this.ctx.hooks?.pointsEarned?.(intent) ?? 0;
      if (
        !repository.transition(
          intent.id,
          'processing',
          'succeeded',
          at,
          { lastError: null, pointsEarned },
          { reference: outcome.reference },
        )
      ) {
        return false;
      }
      this.book(intent);
      this.afterTransition(intent.id, 'succeeded');
      return true;
    });
    const log = { intentId: intent.id, amount: intent.amount };
    if (!recorded) {
      // A second answer for the same request (a retry's, a second worker's): the first one won.
      this.ctx.logger.info(log, 'provider answer for an intent already settled; nothing booked');
      return;
    }
    if (outcome.status === 'declined')
      this.ctx.logger.info({ ...log, reason: outcome.reason }, 'payment declined by the provider');
    else this.ctx.logger.info({ ...log, reference: outcome.reference }, 'payment settled');
    const updated = repository.get(intent.id);
    if (updated)
      this.ctx.events.emit('intent.changed', { intent: publicIntent(updated), from: 'processing' });
  }

  /** Hands the intent as now stored to the wallet's hooks, inside the caller's transaction. */
  private afterTransition(intentId: string, hook: 'succeeded' | 'ended'): void {
    const stored = this.ctx.repository.get(intentId);
    if (stored) this.ctx.hooks?.[hook]?.(publicIntent(stored));
  }

  /** The ledger transaction of a succeeded intent (inside the caller's transaction). */
  private book(intent: Intent): void {
    const { ledger } = this.ctx;
    const amount = intent.amount;
    const fundingAccount = intent.fundingSourceId ? this.fundingAccount(intent.fundingSourceId) : undefined;
    let kind: 'payment' | 'topup' | 'withdrawal';
    let postings: Posting[];
    if (intent.source.kind === 'topup') {
      kind = 'topup';
      ledger.ensureAccount(WALLET_ACCOUNT, 'wallet', 'Household wallet');
      postings = [
        { accountId: fundingAccount as string, amount: -amount },
        { accountId: WALLET_ACCOUNT, amount },
      ];
    } else if (intent.source.kind === 'withdrawal') {
      kind = 'withdrawal';
      postings = [
        { accountId: WALLET_ACCOUNT, amount: -amount },
        { accountId: fundingAccount as string, amount },
      ];
    } else {
      kind = 'payment';
      const payeeAccount = `payee:${intent.payee.id}`;
      ledger.ensureAccount(payeeAccount, 'payee', intent.payee.name);
      postings = [
        { accountId: fundingAccount ?? WALLET_ACCOUNT, amount: -amount },
        { accountId: payeeAccount, amount },
      ];
    }
    const transaction = { kind, intentId: intent.id, description: intent.description, postings };
    if (walletDebit(intent) > 0) ledger.postHold(intent.id, transaction);
    else ledger.post(transaction);
  }

  private fundingAccount(fundingSourceId: string): string {
    const source = this.ctx.fundingSources.find(fundingSourceId);
    const id = `funding:${fundingSourceId}`;
    this.ctx.ledger.ensureAccount(id, 'funding', source?.label ?? fundingSourceId);
    return id;
  }

  private providerRequest(intent: Intent): ProviderRequest {
    const kind = intent.source.kind;
    const fundingSource = intent.fundingSourceId
      ? {
          kind: 'funding_source' as const,
          token: this.ctx.fundingSources.providerToken(intent.fundingSourceId),
        }
      : { kind: 'wallet' as const };
    return {
      idempotencyKey: intent.id,
      operation: kind === 'topup' ? 'topup' : kind === 'withdrawal' ? 'payout' : 'charge',
      amount: intent.amount,
      currency: intent.currency,
      account: fundingSource,
      payee: intent.payee,
      description: intent.description,
    };
  }
}
