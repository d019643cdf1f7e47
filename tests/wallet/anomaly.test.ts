import { afterEach, describe, expect, it } from 'vitest';
import type { Intent } from '../../src/payments/intent.js';
import { ManualClock } from '../helpers/clock.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { createIntent, decide, fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';
import { approve, catFood, placeOrder } from './wallet-helpers.js';

const OFF = { enabled: false };
const hubs: TestHub[] = [];
afterEach(async () => {
  for (const hub of hubs.splice(0)) await hub.stop();
});

/** A funded hub with only `rules` of the anomaly rules on, at 16:00 Shanghai time. */
async function hubWith(rules: Record<string, unknown>, clock = new ManualClock()) {
  const hub = await startHub({
    clock,
    overrides: { wallet: { anomaly: { amountSpike: OFF, burst: OFF, newPayeeAtNight: OFF, ...rules } } },
  });
  hubs.push(hub);
  const phone = await pairPhone(hub);
  await fundWallet(hub, phone, 1_000_000);
  return { hub, phone, clock };
}

/** An anomalous intent is refused without the biometric step, and stays as it was. */
async function expectBiometricRequired(hub: TestHub, phone: TestPhone, intent: Intent) {
  const response = await decide(hub, phone, intent, 'approve');
  expect(response.statusCode).toBe(403);
  expect(response.json().error).toEqual({
    code: 'biometric_required',
    message: expect.stringContaining('looks unusual'),
  });
  expect(hub.hub.intents.require(intent.id).status).toBe('requires_approval');
}

describe('anomaly holds', () => {
  it('marks an amount far above the category history, and explains it in English and Chinese', async () => {
    const { hub, phone } = await hubWith({
      amountSpike: { enabled: true, multiple: 3, minHistory: 3, lookbackDays: 90 },
    });
    // Two pets payments are not enough history yet.
    for (let i = 0; i < 2; i++) await approve(hub, phone, placeOrder(hub, [catFood]).intent);
    expect(placeOrder(hub, [{ ...catFood, unitPrice: 50_000 }]).intent.anomaly).toBeUndefined();
    await approve(hub, phone, placeOrder(hub, [catFood]).intent);

    // Average 44.50 yuan over three payments: 133.50 is not above three times it, 133.51 is.
    expect(placeOrder(hub, [{ ...catFood, unitPrice: 13_350 }]).intent.anomaly).toBeUndefined();
    const spike = placeOrder(hub, [{ ...catFood, unitPrice: 13_351 }]).intent;
    expect(spike.anomaly).toEqual({
      rules: ['amount_spike'],
      explanation: "¥133.51 is more than 3× this household's average pets payment (¥44.50)",
      explanationZh: '¥133.51 超过本家庭宠物类平均支付（¥44.50）的3倍',
    });
    // The phone sees it on the intent, and cannot approve it without WebAuthn, although it is small.
    expect(
      (await hub.api({ method: 'GET', url: `/api/intents/${spike.id}`, token: phone.token })).json().anomaly
        .rules,
    ).toEqual(['amount_spike']);
    await expectBiometricRequired(hub, phone, spike);
    // Denying needs no biometric step.
    expect((await decide(hub, phone, spike, 'deny')).json().status).toBe('denied');
    // Another category has no history: a large amount there is not marked by this rule.
    expect((await createIntent(hub, { amount: 900_000 })).anomaly).toBeUndefined();
  });

  it('marks an intent that follows many others in a short time, and not once the window has passed', async () => {
    const { hub, phone, clock } = await hubWith({
      burst: { enabled: true, maxIntents: 3, windowMinutes: 10 },
    });
    const first = [await createIntent(hub), await createIntent(hub), await createIntent(hub)];
    expect(first.map((i) => i.anomaly)).toEqual([undefined, undefined, undefined]);
    const fourth = await createIntent(hub, { amount: 100 });
    expect(fourth.anomaly).toMatchObject({
      rules: ['burst'],
      explanation: '3 other payment requests in the last 10 minutes',
      explanationZh: '过去10分钟内已有3笔其他支付请求',
    });
    await expectBiometricRequired(hub, phone, fourth);
    clock.advance(10 * 60_000 + 1000);
    const later = await createIntent(hub, { amount: 100 });
    expect(later.anomaly).toBeUndefined();
    expect((await decide(hub, phone, later, 'approve')).json().status).toBe('succeeded');
  });

  it('marks a first payment to a payee at night (local time), not a known payee, not by day', async () => {
    // 01:30 in Shanghai.
    const clock = new ManualClock(Date.parse('2026-11-27T17:30:00.000Z'));
    const { hub, phone } = await hubWith(
      { newPayeeAtNight: { enabled: true, from: '23:00', to: '06:00' } },
      clock,
    );
    const stranger = await createIntent(hub, { payee: { id: 'night_shop', name: '深夜商店' } });
    expect(stranger.anomaly).toEqual({
      rules: ['new_payee_at_night'],
      explanation: 'first payment to 深夜商店, at 01:30 at night',
      explanationZh: '深夜01:30首次向深夜商店付款',
    });
    await expectBiometricRequired(hub, phone, stranger);

    // By day (10:00 local) the same new payee is fine, and once paid it is known at night too.
    clock.advance(Date.parse('2026-11-28T02:00:00.000Z') - clock.now());
    const byDay = await createIntent(hub, { payee: { id: 'night_shop', name: '深夜商店' } });
    expect(byDay.anomaly).toBeUndefined();
    await approve(hub, phone, byDay);
    clock.advance(Date.parse('2026-11-28T15:05:00.000Z') - clock.now()); // 23:05 local
    expect(
      (await createIntent(hub, { payee: { id: 'night_shop', name: '深夜商店' } })).anomaly,
    ).toBeUndefined();
    expect((await createIntent(hub, { payee: { id: 'other_shop', name: 'Other' } })).anomaly?.rules).toEqual([
      'new_payee_at_night',
    ]);
  });

  it('lists every rule that applies, and marks nothing with the rules off', async () => {
    const clock = new ManualClock(Date.parse('2026-11-27T17:30:00.000Z'));
    const { hub } = await hubWith(
      {
        burst: { enabled: true, maxIntents: 1, windowMinutes: 10 },
        newPayeeAtNight: { enabled: true, from: '23:00', to: '06:00' },
      },
      clock,
    );
    await createIntent(hub, { payee: { id: 'mi_store', name: '小米商城' } });
    const both = await createIntent(hub, { payee: { id: 'new_one', name: 'New' } });
    expect(both.anomaly?.rules).toEqual(['burst', 'new_payee_at_night']);
    expect(both.anomaly?.explanation).toContain('; ');

    const { hub: quiet } = await hubWith({}, clock);
    for (let i = 0; i < 6; i++)
      expect((await createIntent(quiet, { payee: { id: `p${i}`, name: 'P' } })).anomaly).toBeUndefined();
  });
});
