import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Intent } from '../../src/payments/intent.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { decide, fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';
import { HEMA_DYNAMIC, HEMA_STATIC } from './payloads.js';

let hub: TestHub;
let phone: TestPhone;
let key = 0;

beforeAll(async () => {
  hub = await startHub();
  phone = await pairPhone(hub, '妈妈的手机');
  await fundWallet(hub, phone, 100_000);
});
afterAll(async () => {
  await hub.stop();
});

function scan(body: Record<string, unknown>, idempotencyKey = `qr-${++key}`) {
  return hub.api({
    method: 'POST',
    url: '/api/qr/parse',
    token: phone.token,
    headers: { 'idempotency-key': idempotencyKey },
    payload: body,
  });
}

describe('POST /api/qr/parse', () => {
  it('makes a dynamic code an intent for its amount and shop, which the phone then approves', async () => {
    const response = await scan({ payload: HEMA_DYNAMIC });
    expect(response.statusCode).toBe(201);
    const { qr, amountRequired, intent } = response.json() as {
      qr: Record<string, unknown>;
      amountRequired: boolean;
      intent: Intent;
    };
    expect(amountRequired).toBe(false);
    expect(qr).toMatchObject({
      merchantName: 'HEMA FRESH',
      merchantCity: 'SHANGHAI',
      category: 'groceries',
      amount: 8900,
    });
    expect(intent).toMatchObject({
      status: 'requires_approval',
      amount: 8900,
      currency: 'CNY',
      source: { kind: 'qr' },
      category: 'groceries',
      payee: { id: qr.payeeId, name: 'HEMA FRESH' },
      description: '扫码付款 HEMA FRESH #INV-2026-1127',
    });
    const approved = await decide(hub, phone, intent, 'approve');
    expect(approved.json()).toMatchObject({ status: 'succeeded' });
  });

  it('asks for the amount of a static code, then pays the shop by its Chinese name', async () => {
    const asked = await scan({ payload: HEMA_STATIC });
    expect(asked.statusCode).toBe(200);
    expect(asked.json()).toMatchObject({
      amountRequired: true,
      qr: { initiation: 'static', amount: null, alternateName: '盒马鲜生' },
    });
    expect(asked.json().intent).toBeUndefined();

    const paid = await scan({ payload: HEMA_STATIC, amount: 2350 });
    expect(paid.statusCode).toBe(201);
    expect(paid.json().intent).toMatchObject({
      amount: 2350,
      payee: { name: '盒马鲜生' },
      source: { kind: 'qr' },
    });
    // The static and dynamic codes of one shop name the same payee when they share the merchant id.
    expect(paid.json().qr.payeeId).toMatch(/^qr_[0-9a-f]{20}$/);
  });

  it('returns the same intent for the same Idempotency-Key and code', async () => {
    const first = await scan({ payload: HEMA_STATIC, amount: 990 }, 'same-scan');
    const again = await scan({ payload: HEMA_STATIC, amount: 990 }, 'same-scan');
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json().intent.id).toBe(first.json().intent.id);
  });

  it('answers a clear 400 with a code for a bad CRC, malformed TLV, another amount or currency', async () => {
    const badCrc = await scan({ payload: `${HEMA_DYNAMIC.slice(0, -4)}0000` });
    expect(badCrc.statusCode).toBe(400);
    expect(badCrc.json().error).toEqual({
      code: 'qr_crc_mismatch',
      message: expect.stringContaining('damaged or altered'),
    });

    const malformed = await scan({ payload: '000201010212garbage' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('invalid_qr');

    const otherAmount = await scan({ payload: HEMA_DYNAMIC, amount: 100 });
    expect(otherAmount.statusCode).toBe(400);
    expect(otherAmount.json().error.code).toBe('invalid_request');

    const noKey = await hub.api({
      method: 'POST',
      url: '/api/qr/parse',
      token: phone.token,
      payload: { payload: HEMA_STATIC },
    });
    expect(noKey.json().error.code).toBe('idempotency_key_required');
    expect(hub.hub.intents.list({}).filter((i) => i.amount === 100)).toEqual([]);
  });
});
