import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WALLET_ACCOUNT } from '../../src/wallet/ledger.js';
import { ManualClock } from '../helpers/clock.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { createIntent, decide, fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';

let hub: TestHub;
let phone: TestPhone;
const clock = new ManualClock();
beforeAll(async () => {
  hub = await startHub({ clock });
  phone = await pairPhone(hub);
  await fundWallet(hub, phone, 20_000);
});
afterAll(async () => {
  await hub.stop();
});

const body = { amount: 4450, payee: { id: 'mi_store', name: '小米商城' }, description: '一袋猫粮' };

describe('POST /api/intents', () => {
  it('returns the same intent for the same Idempotency-Key and body, and holds once', async () => {
    const first = await hub.api({
      method: 'POST',
      url: '/api/intents',
      headers: { 'idempotency-key': 'k-1' },
      payload: body,
    });
    const again = await hub.api({
      method: 'POST',
      url: '/api/intents',
      headers: { 'idempotency-key': 'k-1' },
      // Same body, keys in another order.
      payload: { description: body.description, payee: { name: '小米商城', id: 'mi_store' }, amount: 4450 },
    });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    expect(hub.hub.ledger.held(WALLET_ACCOUNT)).toBe(4450);
  });

  it('refuses the same key with another body: 409 idempotency_key_reused', async () => {
    const response = await hub.api({
      method: 'POST',
      url: '/api/intents',
      headers: { 'idempotency-key': 'k-1' },
      payload: { ...body, amount: 1 },
    });
    expect(response.statusCode).toBe(409);
    expect(response.json().error.code).toBe('idempotency_key_reused');
  });

  it('needs an Idempotency-Key', async () => {
    const response = await hub.api({ method: 'POST', url: '/api/intents', payload: body });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('idempotency_key_required');
  });

  it('refuses float, string, negative, zero and huge amounts, and another currency, with clear 400s', async () => {
    for (const amount of [44.5, '4450', -1, 0, 1e12, null]) {
      const response = await hub.api({
        method: 'POST',
        url: '/api/intents',
        headers: { 'idempotency-key': `bad-${String(amount)}` },
        payload: { ...body, amount },
      });
      expect({ amount, status: response.statusCode, code: response.json().error.code }).toEqual({
        amount,
        status: 400,
        code: 'invalid_request',
      });
    }
    const usd = await hub.api({
      method: 'POST',
      url: '/api/intents',
      headers: { 'idempotency-key': 'usd' },
      payload: { ...body, currency: 'USD' },
    });
    expect(usd.json().error.code).toBe('invalid_request');
  });

  it('refuses more than the wallet has available with 402 insufficient_funds', async () => {
    const response = await hub.api({
      method: 'POST',
      url: '/api/intents',
      headers: { 'idempotency-key': 'too-much' },
      payload: { ...body, amount: 1_000_000 },
    });
    expect(response.statusCode).toBe(402);
    expect(response.json().error.code).toBe('insufficient_funds');
  });

  it('is for admins and merchants: a phone token cannot create one', async () => {
    const response = await hub.api({
      method: 'POST',
      url: '/api/intents',
      token: phone.token,
      headers: { 'idempotency-key': 'p' },
      payload: body,
    });
    expect(response.statusCode).toBe(403);
  });
});

describe('reading and ending intents', () => {
  it('lists intents by status, newest first, for the admin and the phone', async () => {
    const a = await createIntent(hub, { amount: 100 });
    clock.advance(1000);
    const b = await createIntent(hub, { amount: 200 });
    const listed = await hub.api({
      method: 'GET',
      url: '/api/intents?status=requires_approval',
      token: phone.token,
    });
    const ids = (listed.json() as Array<{ id: string }>).map((i) => i.id);
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
    expect((await hub.api({ method: 'GET', url: `/api/intents/${a.id}` })).json()).toMatchObject({
      id: a.id,
      amount: 100,
    });
    expect((await hub.api({ method: 'GET', url: '/api/intents?status=bogus' })).statusCode).toBe(400);
  });

  it('cancels a pending intent and releases its hold; a second cancel is intent_not_pending', async () => {
    const intent = await createIntent(hub, { amount: 700 });
    const held = hub.hub.ledger.held(WALLET_ACCOUNT);
    const canceled = await hub.api({ method: 'POST', url: `/api/intents/${intent.id}/cancel` });
    expect(canceled.json().status).toBe('canceled');
    expect(hub.hub.ledger.held(WALLET_ACCOUNT)).toBe(held - 700);
    const again = await hub.api({ method: 'POST', url: `/api/intents/${intent.id}/cancel` });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('intent_not_pending');
  });

  it('expires intents after the configured time through the sweeper, voiding their holds', async () => {
    const intent = await createIntent(hub, { amount: 900 });
    clock.advance(600_000);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(hub.hub.intents.require(intent.id).status).toBe('expired');
    expect(hub.hub.ledger.holdOf(intent.id)?.status).toBe('voided');
    // End states never change.
    expect((await decide(hub, phone, intent, 'approve')).statusCode).toBe(409);
  });
});

describe('top-up and withdrawal', () => {
  it('withdraws to a debit card only after the phone approves, holding the amount meanwhile', async () => {
    const card = (
      await hub.api({
        method: 'POST',
        url: '/api/funding-sources',
        payload: { kind: 'debit_card', number: '6222021234567890128' },
      })
    ).json() as { id: string };
    const balance = hub.hub.ledger.balance(WALLET_ACCOUNT);
    const response = await hub.api({
      method: 'POST',
      url: '/api/wallet/withdrawals',
      token: phone.token,
      headers: { 'idempotency-key': 'wd-1' },
      payload: { amount: 1000, fundingSourceId: card.id },
    });
    expect(response.statusCode).toBe(201);
    const intent = response.json();
    expect(intent).toMatchObject({
      status: 'requires_approval',
      source: { kind: 'withdrawal' },
      fundingSourceId: card.id,
    });
    expect(hub.hub.ledger.balance(WALLET_ACCOUNT)).toBe(balance);
    expect((await decide(hub, phone, intent, 'approve')).json().status).toBe('succeeded');
    expect(hub.hub.ledger.balance(WALLET_ACCOUNT)).toBe(balance - 1000);
    const wallet = (await hub.api({ method: 'GET', url: '/api/wallet', token: phone.token })).json();
    expect(wallet).toMatchObject({ balance: balance - 1000, currency: 'CNY', points: 0 });
    expect(JSON.stringify(wallet)).not.toContain('6222021234567890128');
  });

  it('refuses a withdrawal to a credit card', async () => {
    const credit = (
      await hub.api({
        method: 'POST',
        url: '/api/funding-sources',
        payload: { kind: 'credit_card', number: '4111111111111111' },
      })
    ).json() as { id: string };
    const response = await hub.api({
      method: 'POST',
      url: '/api/wallet/withdrawals',
      headers: { 'idempotency-key': 'wd-credit' },
      payload: { amount: 100, fundingSourceId: credit.id },
    });
    expect(response.statusCode).toBe(400);
  });
});
