/**
 * A payment provider moves real money in and out of the household: it charges a card or an
 * Alipay / WeChat Pay account, pays a payee, and pays out to a debit card. The hub talks to it only
 * through this interface; the sandbox provider is the default, and any other must pass the same
 * conformance suite (tests/contracts/payment-provider.ts).
 *
 * The one rule that keeps money safe: every call carries an idempotency key, and the same key
 * never moves money twice. After a timeout the hub asks again with the same key (`lookup`, then
 * the same call), never with a new one.
 */

/** Where the money comes from or goes to, as the provider knows it. */
export type ProviderAccount = { kind: 'wallet' } | { kind: 'funding_source'; token: string };

export interface ProviderRequest {
  /** One key per movement of money; the hub uses the intent id. */
  idempotencyKey: string;
  /** `charge`: from `account` to `payee`; `topup`: from `account` into the wallet; `payout`: wallet to `account`. */
  operation: 'charge' | 'topup' | 'payout';
  amount: number;
  currency: string;
  account: ProviderAccount;
  payee: { id: string; name: string };
  description: string;
}

export type ProviderOutcome =
  | { status: 'succeeded'; reference: string }
  | { status: 'declined'; reason: string };

/** The provider did not answer in time: the outcome is unknown until `lookup` says. */
export class ProviderTimeoutError extends Error {
  override name = 'ProviderTimeoutError';
}

export interface CardDetails {
  number: string;
  holder?: string;
}

export interface PaymentProvider {
  readonly name: string;
  /** Moves the money, or declines. Idempotent by `idempotencyKey`. May throw ProviderTimeoutError. */
  execute(request: ProviderRequest): Promise<ProviderOutcome>;
  /** What became of an earlier request, or `null` when the provider never received it. */
  lookup(idempotencyKey: string): Promise<ProviderOutcome | null>;
  /** Exchanges card details for a token; the hub keeps the token and the last four digits only. */
  tokenizeCard(card: CardDetails): Promise<{ token: string }>;
  /** Links an Alipay or WeChat Pay account (sandbox: any well-formed account id). */
  linkAccount(kind: 'alipay' | 'wechat_pay', account: string): Promise<{ token: string }>;
}
