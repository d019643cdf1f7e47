import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Intent } from '../../src/payments/intent.js';
import { WALLET_ACCOUNT } from '../../src/wallet/ledger.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { decide, fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';
import { approve, catFood, pay, paymentOf, placeOrder } from './wallet-helpers.js';

let hub: TestHub;
let phone: TestPhone;
let key = 0;

beforeAll(async () => {
  hub = await startHub();
  phone = await pairPhone(hub);
  await fundWallet(hub, phone, 100_000);
});
afterAll(async () => {
  await hub.stop();
});

function refund(
  transactionId: string,
  body: Record<string, unknown>,
  options: { key?: string; token?: string } = {},
) {
  return hub.api({
    method: 'POST',
    url: `/api/transactions/${transactionId}/refund`,
    headers: { 'idempotency-key': options.key ?? `refund-${++key}` },
    payload: body,
    ...(options.token ? { token: options.token } : {}),
  });
}

const pointsBalance = () => hub.hub.wallet.points.balance();

describe('refunds', () => {
  it('refunds part of a payment, then the rest, as reversing transactions that leave the payment as it was', async () => {
    const paid = await pay(hub, phone, { amount: 8900 });
    expect(paid.pointsEarned).toBe(89);
    const paymentId = paymentOf(hub, paid.id);
    const original = hub.hub.ledger.transaction(paymentId);
    const walletBefore = hub.hub.ledger.balance(WALLET_ACCOUNT);
    const points = pointsBalance();

    const partial = await refund(paymentId, { amount: 3000, reason: '少发了一袋' });
    expect(partial.statusCode).toBe(201);
    expect(partial.json()).toMatchObject({
      kind: 'refund',
      reverses: paymentId,
      amount: 3000,
      direction: 'in',
      intentId: paid.id,
      description: 'Refund: 少发了一袋',
    });
    expect(hub.hub.ledger.balance(WALLET_ACCOUNT)).toBe(walletBefore + 3000);
    expect(hub.hub.ledger.balance('payee:mi_store')).toBe(8900 - 3000);
    // Points earned on the payment go back in proportion: floor(89 * 3000 / 8900) = 30.
    expect(pointsBalance()).toBe(points - 30);
    expect((await hub.api({ method: 'GET', url: `/api/transactions/${paymentId}` })).json()).toMatchObject({
      kind: 'payment',
      amount: 8900,
      refunded: 3000,
    });

    const rest = await refund(paymentId, { reason: '整单退款' });
    expect(rest.statusCode).toBe(201);
    expect(rest.json()).toMatchObject({ amount: 5900, reverses: paymentId });
    expect(hub.hub.ledger.balance(WALLET_ACCOUNT)).toBe(walletBefore + 8900);
    expect(pointsBalance()).toBe(points - 89);

    // Never edits: the payment's own postings are what they were; two refund transactions exist.
    expect(hub.hub.ledger.transaction(paymentId)).toEqual(original);
    expect(hub.hub.ledger.transactionsOfIntent(paid.id).map((t) => t.kind)).toEqual([
      'payment',
      'refund',
      'refund',
    ]);

    const again = await refund(paymentId, { reason: 'once more' });
    expect(again.statusCode).toBe(400);
    expect(again.json().error.code).toBe('invalid_request');
  });

  it('refuses more than is left, a refund of a top-up, and an unknown transaction', async () => {
    const paid = await pay(hub, phone, { amount: 1000 });
    const paymentId = paymentOf(hub, paid.id);
    const tooMuch = await refund(paymentId, { amount: 1001, reason: 'x' });
    expect(tooMuch.json().error).toMatchObject({
      code: 'invalid_request',
      message: 'Only 1000 of 1000 is left to refund',
    });
    const topup = hub.hub.db
      .prepare("SELECT id FROM ledger_transactions WHERE kind = 'topup' LIMIT 1")
      .get() as { id: string };
    expect((await refund(topup.id, { reason: 'x' })).json().error.code).toBe('invalid_request');
    const unknown = await refund('tx_nope', { reason: 'x' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('transaction_not_found');
    expect(hub.hub.ledger.transactionsOfIntent(paid.id)).toHaveLength(1);
  });

  it('refunds once for a retried request with the same Idempotency-Key, and refuses the key for another refund', async () => {
    const paid = await pay(hub, phone, { amount: 2000 });
    const paymentId = paymentOf(hub, paid.id);
    const first = await refund(paymentId, { amount: 500, reason: 'damaged' }, { key: 'same' });
    const retry = await refund(paymentId, { amount: 500, reason: 'damaged' }, { key: 'same' });
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(200);
    expect(retry.json().id).toBe(first.json().id);
    expect(
      (await refund(paymentId, { amount: 600, reason: 'damaged' }, { key: 'same' })).json().error.code,
    ).toBe('idempotency_key_reused');
    expect(hub.hub.ledger.transactionsOfIntent(paid.id)).toHaveLength(2);
  });

  it('gives back the points redeemed on a payment when it is refunded in full', async () => {
    const before = pointsBalance();
    expect(before).toBeGreaterThanOrEqual(20);
    const { intent } = placeOrder(hub, [catFood], { redeemPoints: 20 });
    expect(intent.pointsRedeemed).toBe(20);
    const paid = await approve(hub, phone, intent);
    expect(pointsBalance()).toBe(before - 20 + paid.pointsEarned);
    await refund(paymentOf(hub, paid.id), { reason: '退货' });
    expect(pointsBalance()).toBe(before);
  });

  it("lets a merchant refund its own payments, tells it by an event, and nobody else's", async () => {
    const created = (
      await hub.api({ method: 'POST', url: '/api/merchants', payload: { name: '小米有品' } })
    ).json();
    const intent = (
      await hub.api({
        method: 'POST',
        url: '/api/intents',
        token: created.key,
        headers: { 'idempotency-key': 'm-1' },
        payload: { amount: 3900, payee: { id: 'x', name: 'x' }, description: '牙刷头' },
      })
    ).json() as Intent;
    await approve(hub, phone, intent);
    const own = await refund(
      paymentOf(hub, intent.id),
      { amount: 900, reason: '缺货' },
      { token: created.key },
    );
    expect(own.statusCode).toBe(201);
    const events = (await hub.api({ method: 'GET', url: '/api/merchant/events', token: created.key })).json();
    expect(events.map((e: { type: string }) => e.type)).toEqual(['intent.succeeded', 'intent.refunded']);
    expect(events[1].payload.data).toMatchObject({
      intentId: intent.id,
      refund: { id: own.json().id, amount: 900 },
    });

    const household = await pay(hub, phone, { amount: 700 });
    const other = await refund(paymentOf(hub, household.id), { reason: 'mine now' }, { token: created.key });
    expect(other.json().error.code).toBe('transaction_not_found');
    // A phone cannot refund: refunds come from the admin or the merchant who was paid.
    expect(
      (await refund(paymentOf(hub, household.id), { reason: 'x' }, { token: phone.token })).statusCode,
    ).toBe(403);
  });

  it('leaves a denied intent with nothing to refund', async () => {
    const intent = (
      await hub.api({
        method: 'POST',
        url: '/api/intents',
        headers: { 'idempotency-key': 'denied-1' },
        payload: { amount: 100, payee: { id: 'shop', name: 'Shop' }, description: 'no' },
      })
    ).json() as Intent;
    await decide(hub, phone, intent, 'deny');
    expect(hub.hub.ledger.transactionsOfIntent(intent.id)).toEqual([]);
  });
});
