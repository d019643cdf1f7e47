import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type PaymentProvider,
  type ProviderOutcome,
  type ProviderRequest,
  ProviderTimeoutError,
} from '../../src/payments/provider/provider.js';

/** What a provider's test file hands the suite: the provider and a view into its books. */
export interface ProviderHarness {
  provider: PaymentProvider;
  /** Makes the next `execute` throw ProviderTimeoutError; whether the work was done is the provider's business. */
  forceTimeout?(): void;
  /** How many times money moved for this key, by the provider's own books. */
  movements(idempotencyKey: string): number | Promise<number>;
  close?(): void | Promise<void>;
}

let keys = 0;
function freshKey(): string {
  keys += 1;
  return `pi_contract_${Date.now().toString(36)}_${keys}`;
}

function charge(idempotencyKey: string, amount = 8900): ProviderRequest {
  return {
    idempotencyKey,
    operation: 'charge',
    amount,
    currency: 'CNY',
    account: { kind: 'wallet' },
    payee: { id: 'mi_store', name: 'Xiaomi Store' },
    description: 'Contract test charge',
  };
}

/** Luhn-valid numbers of the networks a Chinese household carries. */
const CARD_NUMBERS = ['6222020000074242', '6217000000000000004', '4111111111111111', '5555555555554444'];

/**
 * The conformance suite every PaymentProvider must pass (ARCHITECTURE.md habit 14): the money-safety
 * rules of src/payments/provider/provider.ts, checked against the provider's own books.
 */
export function paymentProviderContract(name: string, makeProvider: () => Promise<ProviderHarness>): void {
  describe(`${name} keeps the payment provider contract`, () => {
    let harness: ProviderHarness;
    beforeEach(async () => {
      harness = await makeProvider();
    });
    afterEach(async () => {
      await harness.close?.();
    });

    it('gives the same outcome for the same key twice and moves money once', async () => {
      const key = freshKey();
      const first = await harness.provider.execute(charge(key));
      const second = await harness.provider.execute(charge(key));
      expect(second).toEqual(first);
      expect(await harness.movements(key)).toBe(1);
    });

    it('moves money once when the same key arrives twice at the same time', async () => {
      const key = freshKey();
      const [a, b] = await Promise.all([
        harness.provider.execute(charge(key)),
        harness.provider.execute(charge(key)),
      ]);
      expect(b).toEqual(a);
      expect(await harness.movements(key)).toBe(1);
    });

    it('answers a lookup of a key it never received with null', async () => {
      expect(await harness.provider.lookup(freshKey())).toBeNull();
    });

    it('answers a lookup after execute with the outcome execute gave', async () => {
      const key = freshKey();
      const outcome = await harness.provider.execute(charge(key));
      expect(await harness.provider.lookup(key)).toEqual(outcome);
    });

    it('refuses the same key with another amount and moves no more money', async () => {
      const key = freshKey();
      const outcome = await harness.provider.execute(charge(key, 8900));
      await expect(harness.provider.execute(charge(key, 9900))).rejects.toThrow();
      expect(await harness.movements(key)).toBe(1);
      expect(await harness.provider.lookup(key)).toEqual(outcome);
    });

    it('settles a timed-out request on exactly one outcome through lookup and a retry with the same key', async (context) => {
      const forceTimeout = harness.forceTimeout;
      if (!forceTimeout) return context.skip();
      const key = freshKey();
      forceTimeout();
      await expect(harness.provider.execute(charge(key))).rejects.toBeInstanceOf(ProviderTimeoutError);
      const known: ProviderOutcome | null = await harness.provider.lookup(key);
      expect(await harness.movements(key)).toBe(known ? 1 : 0);
      const retried = await harness.provider.execute(charge(key));
      if (known) expect(retried).toEqual(known);
      expect(await harness.provider.lookup(key)).toEqual(retried);
      expect(await harness.movements(key)).toBe(1);
    });

    it('refuses to tokenize a card number that fails the Luhn check', async () => {
      for (const valid of CARD_NUMBERS) {
        const last = Number(valid.at(-1));
        const mistyped = `${valid.slice(0, -1)}${(last + 1) % 10}`;
        await expect(harness.provider.tokenizeCard({ number: mistyped })).rejects.toThrow();
      }
    });

    it('never puts the card number into a token, and gives each card its own token', async () => {
      const tokens = new Set<string>();
      for (const number of CARD_NUMBERS) {
        const { token } = await harness.provider.tokenizeCard({ number, holder: 'Li Lei' });
        expect(token).not.toContain(number);
        expect(token).not.toContain(number.slice(0, 12));
        tokens.add(token);
      }
      expect(tokens.size).toBe(CARD_NUMBERS.length);
    });

    it('links an Alipay or WeChat Pay account without putting the account into the token', async () => {
      const alipay = await harness.provider.linkAccount('alipay', '13812345678');
      const wechat = await harness.provider.linkAccount('wechat_pay', 'lilei@example.com');
      expect(alipay.token).not.toContain('13812345678');
      expect(wechat.token).not.toContain('lilei');
      expect(alipay.token).not.toBe(wechat.token);
    });
  });
}
