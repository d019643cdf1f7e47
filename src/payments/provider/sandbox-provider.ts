import { randomBytes } from 'node:crypto';
import { type Clock, isoNow } from '../../clock.js';
import { HubError } from '../../errors.js';
import { type Db, inTransaction, prepared } from '../../store/database.js';
import { last4, luhnValid, normalizeCardNumber } from '../../wallet/card-number.js';
import {
  type CardDetails,
  type PaymentProvider,
  type ProviderOutcome,
  type ProviderRequest,
  ProviderTimeoutError,
} from './provider.js';
import { seededHex, seededUnit } from './seeded-random.js';

export interface SandboxProviderOptions {
  db: Db;
  clock: Clock;
  /** How long the "bank" takes to answer each call. */
  latencyMs?: number;
  /** Share of requests declined, 0..1, chosen per idempotency key. */
  declineRate?: number;
  /** Share of deliveries that time out, 0..1, chosen per key and attempt. */
  timeoutRate?: number;
  /** Same seed, same decisions for the same keys; random when omitted. */
  seed?: string | number;
}

/** The same idempotency key came back with another operation, amount or currency. */
export class ProviderKeyReusedError extends Error {
  override name = 'ProviderKeyReusedError';
}

/**
 * Test cards, like Stripe's: a card number ending in these digits forces the outcome of every
 * request paid with its token, whatever `declineRate` says. Any Luhn-valid number works, e.g.
 * Visa 4000000000000002 / ICBC 6222020000050002 (always `card_declined`), 4000000000009995 /
 * 6222020000059995 (always `insufficient_funds`), 4242424242424242 / 6222020000074242 (always
 * succeeds). The behaviour rides in the token's suffix, so it survives a restart without a table.
 */
const TEST_CARD_ENDINGS: Readonly<Record<string, TestBehaviour>> = {
  '0002': 'card_declined',
  '9995': 'insufficient_funds',
  '4242': 'approved',
};
type TestBehaviour = 'card_declined' | 'insufficient_funds' | 'approved';

/** How one delivery went: answered, done but the answer lost, or never arrived. */
type Delivery = 'delivered' | 'answer_lost' | 'request_lost';

interface BookRow {
  operation: string;
  amount: number;
  currency: string;
  outcome: 'succeeded' | 'declined';
  reference: string;
  reason: string | null;
}

/**
 * A pretend bank for development and tests. Its books (`sandbox_provider_requests`) remember
 * every request it executed by idempotency key, so a retry gets the recorded answer and never
 * moves money twice. Decisions come from a keyed hash of the seed and the key, so a run can be
 * replayed exactly. Timeouts are the two real kinds: the bank did the work and the answer was
 * lost, or the request never reached it; only `lookup` tells them apart.
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox';
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly latencyMs: number;
  private readonly declineRate: number;
  private readonly timeoutRate: number;
  private readonly seed: string;
  /** Failed deliveries in a row per key: a retry is a new delivery, with its own chance to time out. */
  private readonly attempts = new Map<string, number>();
  private readonly forcedTimeouts: Array<Exclude<Delivery, 'delivered'>> = [];
  /** Faults queued by tests (issue 10's fault injection), taken one per `execute`. */
  private readonly forcedFailures: string[] = [];
  private readonly forcedDelays: number[] = [];
  private readonly forcedDeclines: string[] = [];

  constructor(options: SandboxProviderOptions) {
    this.db = options.db;
    this.clock = options.clock;
    this.latencyMs = options.latencyMs ?? 0;
    this.declineRate = rate('declineRate', options.declineRate ?? 0);
    this.timeoutRate = rate('timeoutRate', options.timeoutRate ?? 0);
    this.seed = String(options.seed ?? randomBytes(16).toString('hex'));
    if (!Number.isFinite(this.latencyMs) || this.latencyMs < 0)
      throw new RangeError('latencyMs must be >= 0');
  }

  /** Makes the next `execute` time out, after doing the work (`answer_lost`) or before (`request_lost`). */
  timeOutNextExecute(how: 'answer_lost' | 'request_lost'): void {
    this.forcedTimeouts.push(how);
  }

  /**
   * Makes the next `execute` fail the way a broken connection does (refused, reset, a 502 from a
   * gateway): a plain error, not a timeout, and the request never reached the bank.
   */
  failNextExecute(message = 'connection to the sandbox bank was reset'): void {
    this.forcedFailures.push(message);
  }

  /**
   * Makes the next `execute` answer late: the bank books the request at once, as usual, but the
   * answer reaches the caller only after `ms`. Meanwhile the same key asked again (a second worker,
   * a restarted hub) gets the recorded answer at once, so one request is answered twice.
   */
  delayNextAnswer(ms: number): void {
    this.forcedDelays.push(ms);
  }

  /** Makes the bank decline the next request it has not seen yet, whatever `declineRate` says. */
  declineNextRequest(reason = 'card_declined'): void {
    this.forcedDeclines.push(reason);
  }

  async execute(request: ProviderRequest): Promise<ProviderOutcome> {
    checkRequest(request);
    await this.travel();
    const failure = this.forcedFailures.shift();
    if (failure !== undefined) throw new Error(failure);
    const delay = this.forcedDelays.shift();
    if (delay !== undefined) {
      const outcome = this.book(request);
      await new Promise((resolve) => setTimeout(resolve, delay));
      return outcome;
    }
    const key = request.idempotencyKey;
    const attempt = this.attempts.get(key) ?? 0;
    const delivery = this.forcedTimeouts.shift() ?? this.deliveryOf(key, attempt);
    if (delivery === 'request_lost') {
      this.attempts.set(key, attempt + 1);
      throw new ProviderTimeoutError(`The sandbox bank did not answer request ${key}`);
    }
    const outcome = this.book(request);
    if (delivery === 'answer_lost') {
      this.attempts.set(key, attempt + 1);
      throw new ProviderTimeoutError(`The sandbox bank did not answer request ${key}`);
    }
    this.attempts.delete(key);
    return outcome;
  }

  async lookup(idempotencyKey: string): Promise<ProviderOutcome | null> {
    await this.travel();
    const row = prepared(this.db, 'SELECT * FROM sandbox_provider_requests WHERE idempotency_key = ?').get(
      idempotencyKey,
    ) as BookRow | undefined;
    return row ? toOutcome(row) : null;
  }

  async tokenizeCard(card: CardDetails): Promise<{ token: string }> {
    const number = normalizeCardNumber(card.number);
    // The message never repeats the number: it may end up in a log or a response.
    if (!number || !luhnValid(number))
      throw new HubError('invalid_card_number', 'That is not a valid card number');
    await this.travel();
    const behaviour = TEST_CARD_ENDINGS[last4(number)];
    const token = `tok_${randomBytes(10).toString('hex')}`;
    return { token: behaviour ? `${token}_${behaviour}` : token };
  }

  async linkAccount(kind: 'alipay' | 'wechat_pay', account: string): Promise<{ token: string }> {
    const id = account.trim();
    if (id.length === 0 || id.length > 128 || /\s/.test(id)) {
      throw new HubError(
        'invalid_account',
        `That is not a ${kind === 'alipay' ? 'Alipay' : 'WeChat Pay'} account`,
      );
    }
    await this.travel();
    return { token: `acct_${randomBytes(10).toString('hex')}` };
  }

  private async travel(): Promise<void> {
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
  }

  private deliveryOf(key: string, attempt: number): Delivery {
    if (seededUnit(this.seed, 'delivery', key, attempt) >= this.timeoutRate) return 'delivered';
    return seededUnit(this.seed, 'lost', key, attempt) < 0.5 ? 'answer_lost' : 'request_lost';
  }

  /** The bank's side of a delivered request: the recorded outcome, or a new one written down. */
  private book(request: ProviderRequest): ProviderOutcome {
    const key = request.idempotencyKey;
    return inTransaction(this.db, () => {
      const row = prepared(this.db, 'SELECT * FROM sandbox_provider_requests WHERE idempotency_key = ?').get(
        key,
      ) as BookRow | undefined;
      if (row) {
        if (
          row.operation !== request.operation ||
          row.amount !== request.amount ||
          row.currency !== request.currency
        ) {
          throw new ProviderKeyReusedError(
            `Request ${key} was already used for a different ${row.operation}`,
          );
        }
        return toOutcome(row);
      }
      const outcome = this.decide(request);
      prepared(
        this.db,
        `INSERT INTO sandbox_provider_requests
             (idempotency_key, operation, amount, currency, outcome, reference, reason, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        key,
        request.operation,
        request.amount,
        request.currency,
        outcome.status,
        outcome.status === 'succeeded' ? outcome.reference : seededReference(this.seed, key),
        outcome.status === 'declined' ? outcome.reason : null,
        isoNow(this.clock),
      );
      return outcome;
    });
  }

  private decide(request: ProviderRequest): ProviderOutcome {
    const forcedDecline = this.forcedDeclines.shift();
    if (forcedDecline !== undefined) return { status: 'declined', reason: forcedDecline };
    const key = request.idempotencyKey;
    const forced =
      request.account.kind === 'funding_source' ? testBehaviour(request.account.token) : undefined;
    const declined = forced
      ? forced !== 'approved'
      : seededUnit(this.seed, 'decline', key) < this.declineRate;
    if (!declined) return { status: 'succeeded', reference: seededReference(this.seed, key) };
    const reason =
      forced && forced !== 'approved'
        ? forced
        : seededUnit(this.seed, 'reason', key) < 0.5
          ? 'insufficient_funds'
          : 'card_declined';
    return { status: 'declined', reason };
  }
}

function rate(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`${name} must be between 0 and 1`);
  return value;
}

/** Amounts are integer fen; anything else is a bug in the caller, not a decline. */
function checkRequest(request: ProviderRequest): void {
  if (request.idempotencyKey.length === 0) throw new RangeError('idempotencyKey is empty');
  if (!Number.isSafeInteger(request.amount) || request.amount <= 0) {
    throw new RangeError('amount must be a positive integer in minor units');
  }
  if (!/^[A-Z]{3}$/.test(request.currency)) throw new RangeError('currency must be an ISO 4217 code');
}

function testBehaviour(token: string): TestBehaviour | undefined {
  return Object.values(TEST_CARD_ENDINGS).find((behaviour) => token.endsWith(`_${behaviour}`));
}

function seededReference(seed: string, key: string): string {
  return `sbx_${seededHex(seed, 24, 'reference', key)}`;
}

function toOutcome(row: BookRow): ProviderOutcome {
  return row.outcome === 'succeeded'
    ? { status: 'succeeded', reference: row.reference }
    : { status: 'declined', reason: row.reason ?? 'card_declined' };
}
