import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { HubError } from '../errors.js';
import type { EventBus } from '../events.js';
import { newId } from '../ids.js';
import { type Db, inTransaction } from '../store/database.js';
import { type Ledger, WALLET_ACCOUNT } from '../wallet/ledger.js';
import type { FundingSourceLookup } from './funding.js';
import { IDEMPOTENCY_KEY_RETENTION_MS, IdempotencyKeys } from './idempotency.js';
import type { Intent, IntentStatus, NewIntent } from './intent.js';
import type { IntentHooks } from './intent-hooks.js';
import { IntentRepository, type StoredIntent } from './intent-repository.js';

export interface PaymentIntentsContext {
  db: Db;
  ledger: Ledger;
  events: EventBus;
  clock: Clock;
  fundingSources: FundingSourceLookup;
  settings: { currency: string; intentTtlSeconds: number };
  /** The wallet's and the merchant API's part in an intent's life (intent-hooks.ts). */
  hooks?: IntentHooks;
}

/** Ten million yuan: far above any household payment, far below where integers lose precision. */
export const MAX_INTENT_AMOUNT = 1_000_000_000;

/**
 * Creating, reading, canceling and expiring payment intents. An intent paid from the wallet
 * reserves its amount (a ledger hold) when it is created, because the amount is fixed before the
 * phone signs it; the hold is posted on success and voided on any other end, each exactly once.
 * Approval lives in confirm/, settlement with the provider in settlement.ts.
 */
export class PaymentIntents {
  readonly repository: IntentRepository;
  private readonly idempotency: IdempotencyKeys;

  constructor(private readonly ctx: PaymentIntentsContext) {
    this.repository = new IntentRepository(ctx.db);
    this.idempotency = new IdempotencyKeys(ctx.db);
  }

  /**
   * Creates an intent in `requires_approval`. With an idempotency key, a repeat of the same request
   * returns the intent the first one made (`created: false`).
   */
  create(
    input: NewIntent,
    idempotency?: { scope: string; key: string },
  ): { intent: Intent; created: boolean } {
    this.validate(input);
    const result = inTransaction(this.ctx.db, () => {
      if (idempotency) {
        const existing = this.idempotency.find(idempotency.scope, idempotency.key, input);
        if (existing) return { intent: this.require(existing), created: false };
      }
      const now = this.ctx.clock.now();
      const nowIso = new Date(now).toISOString();
      const intent: Intent = {
        id: newId('pi'),
        status: 'requires_approval',
        amount: input.amount,
        currency: input.currency ?? this.ctx.settings.currency,
        payee: input.payee,
        description: input.description,
        source: input.source,
        ...(input.items ? { items: input.items } : {}),
        ...(input.discounts ? { discounts: input.discounts } : {}),
        ...(input.reason ? { reason: input.reason } : {}),
        ...(input.category ? { category: input.category } : {}),
        pointsRedeemed: input.pointsRedeemed ?? 0,
        pointsEarned: 0,
        fundingSourceId: input.fundingSourceId ?? null,
        challenge: randomBytes(32).toString('base64url'),
        expiresAt: new Date(now + this.ctx.settings.intentTtlSeconds * 1000).toISOString(),
        createdAt: nowIso,
        updatedAt: nowIso,
      };
      // The wallet names the category and marks an unusual intent before the phone ever sees it.
      Object.assign(intent, this.ctx.hooks?.review?.(intent));
      this.repository.insert(intent);
      const walletAmount = walletDebit(intent);
      if (walletAmount > 0) {
        this.ctx.ledger.ensureAccount(WALLET_ACCOUNT, 'wallet', 'Household wallet');
        this.ctx.ledger.hold(intent.id, WALLET_ACCOUNT, walletAmount);
      }
      this.ctx.hooks?.created?.(intent);
      if (idempotency)
        this.idempotency.remember(idempotency.scope, idempotency.key, input, intent.id, nowIso);
      return { intent, created: true };
    });
    if (result.created) this.announce(result.intent, null);
    return result;
  }

  get(id: string): Intent | undefined {
    const stored = this.repository.get(id);
    return stored ? publicIntent(stored) : undefined;
  }

  require(id: string): Intent {
    const intent = this.get(id);
    if (!intent) throw new HubError('intent_not_found', `No payment intent with id ${id}`);
    return intent;
  }

  list(filter: { status?: IntentStatus; limit?: number } = {}): Intent[] {
    return this.repository.list(filter).map(publicIntent);
  }

  cancel(id: string, by: string): Intent {
    this.require(id);
    const moved = this.end(id, 'canceled', { by });
    if (!moved)
      throw new HubError(
        'intent_not_pending',
        `Intent ${id} is ${this.require(id).status}, not requires_approval`,
      );
    return moved;
  }

  /** Ends every intent whose approval time is up; the sweeper calls it, and so does start-up. */
  expireDue(): number {
    const nowIso = new Date(this.ctx.clock.now()).toISOString();
    let expired = 0;
    for (const intent of this.repository.dueToExpire(nowIso)) {
      if (this.end(intent.id, 'expired', {})) expired++;
    }
    this.idempotency.forgetOlderThan(
      new Date(this.ctx.clock.now() - IDEMPOTENCY_KEY_RETENTION_MS).toISOString(),
    );
    return expired;
  }

  /**
   * Moves a pending intent to an end state without payment (denied, expired, canceled) and voids
   * its hold in the same transaction. Returns the new intent, or undefined when it was not pending.
   */
  end(
    id: string,
    to: 'denied' | 'expired' | 'canceled',
    detail: Record<string, unknown>,
    change: { decidedBy?: string; challengeUsed?: boolean } = {},
  ): Intent | undefined {
    const at = new Date(this.ctx.clock.now()).toISOString();
    const moved = inTransaction(this.ctx.db, () => {
      if (!this.repository.transition(id, 'requires_approval', to, at, change, detail)) return false;
      this.ctx.ledger.voidHold(id);
      // Redeemed points come back and offer units are released, with the state change.
      const ended = this.repository.get(id);
      if (ended) this.ctx.hooks?.ended?.(publicIntent(ended));
      return true;
    });
    if (!moved) return undefined;
    const intent = this.require(id);
    this.announce(intent, 'requires_approval');
    return intent;
  }

  /** Tells the rest of the hub (MQTT, phones, speakers) that an intent changed. */
  announce(intent: Intent, from: IntentStatus | null): void {
    this.ctx.events.emit('intent.changed', { intent, from });
  }

  private validate(input: NewIntent): void {
    if (!Number.isSafeInteger(input.amount) || input.amount <= 0 || input.amount > MAX_INTENT_AMOUNT) {
      throw new HubError(
        'invalid_request',
        `amount must be a whole number of minor units from 1 to ${MAX_INTENT_AMOUNT}`,
      );
    }
    const currency = input.currency ?? this.ctx.settings.currency;
    if (currency !== this.ctx.settings.currency) {
      throw new HubError(
        'invalid_request',
        `This wallet pays in ${this.ctx.settings.currency}, not ${currency}`,
      );
    }
    const kind = input.source.kind;
    if ((kind === 'topup' || kind === 'withdrawal') && !input.fundingSourceId) {
      throw new HubError('invalid_request', `A ${kind} needs a fundingSourceId`);
    }
    if (input.fundingSourceId) {
      const source = this.ctx.fundingSources.find(input.fundingSourceId);
      if (!source || source.status === 'removed') {
        throw new HubError('funding_source_not_found', `No funding source ${input.fundingSourceId}`);
      }
      if (source.status === 'frozen') {
        throw new HubError('funding_source_frozen', `Funding source ${source.id} is frozen after a report`);
      }
      if (kind === 'withdrawal' && source.kind !== 'debit_card') {
        throw new HubError('invalid_request', 'Withdrawals go to a debit card');
      }
    }
  }
}

/**
 * How much of an intent comes out of the household wallet, and so must be held: a payment with
 * no funding source, or a withdrawal. A top-up or a card payment takes nothing from the wallet.
 */
export function walletDebit(intent: Pick<Intent, 'amount' | 'source' | 'fundingSourceId'>): number {
  if (intent.source.kind === 'topup') return 0;
  if (intent.source.kind === 'withdrawal') return intent.amount;
  return intent.fundingSourceId ? 0 : intent.amount;
}

/** The intent as clients see it: without the row's bookkeeping. */
export function publicIntent(stored: StoredIntent): Intent {
  const { challengeUsedAt: _used, ...intent } = stored;
  return intent;
}
