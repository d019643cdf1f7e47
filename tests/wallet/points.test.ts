import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WALLET_ACCOUNT } from '../../src/wallet/ledger.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { decide, fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';
import { approve, catFood, pay, placeOrder } from './wallet-helpers.js';

let hub: TestHub;
let phone: TestPhone;

beforeAll(async () => {
  hub = await startHub({
    overrides: {
      wallet: { points: { rates: { default: 1, pets: 2.5 }, redeemValue: 1, maxRedeemPercent: 50 } },
    },
  });
  phone = await pairPhone(hub);
  await fundWallet(hub, phone, 500_000);
});
afterAll(async () => {
  await hub.stop();
});

async function points(): Promise<{
  balance: number;
  history: Array<{ kind: string; points: number; intentId: string }>;
}> {
  const response = await hub.api({ method: 'GET', url: '/api/points', token: phone.token });
  expect(response.statusCode).toBe(200);
  return response.json();
}

describe('points', () => {
  it('earns nothing on a top-up, and the wallet starts with no points', async () => {
    const wallet = await hub.api({ method: 'GET', url: '/api/wallet' });
    expect(wallet.json()).toMatchObject({ points: 0 });
    expect((await points()).history).toEqual([]);
  });

  it("earns on a succeeded payment at its category's rate, rounded down, recorded on the intent", async () => {
    // 89.00 yuan of cat food at 2.5 points per yuan: 222.5 -> 222.
    const { intent } = placeOrder(hub, [{ ...catFood, quantity: 2 }]);
    expect(intent).toMatchObject({ category: 'pets', amount: 8900, pointsEarned: 0 });
    const paid = await approve(hub, phone, intent);
    expect(paid.pointsEarned).toBe(222);
    // An intent in another category earns the default rate: 12.34 yuan -> 12 points.
    const other = await pay(hub, phone, { amount: 1234 });
    expect(other).toMatchObject({ category: 'other', pointsEarned: 12 });

    const { balance, history } = await points();
    expect(balance).toBe(234);
    expect(history.map((h) => [h.kind, h.points, h.intentId])).toEqual([
      ['earned', 12, other.id],
      ['earned', 222, paid.id],
    ]);
    expect((await hub.api({ method: 'GET', url: '/api/wallet' })).json().points).toBe(234);
  });

  it('earns nothing on a payment that is denied', async () => {
    const { intent } = placeOrder(hub, [catFood]);
    expect((await decide(hub, phone, intent, 'deny')).json().status).toBe('denied');
    expect(hub.hub.intents.require(intent.id).pointsEarned).toBe(0);
    expect((await points()).balance).toBe(234);
  });

  it('redeems points as a discount fixed into the amount the phone signs, at most half the order', async () => {
    // 44.50 yuan of cat food; half is 22.25 yuan = 2225 points, but the household has 234.
    const { intent, priced } = placeOrder(hub, [catFood], { redeemPoints: 'max' });
    expect(priced.pointsRedeemed).toBe(234);
    expect(intent).toMatchObject({ amount: 4450 - 234, pointsRedeemed: 234 });
    expect(intent.discounts).toEqual([{ kind: 'points', description: expect.any(String), amount: 234 }]);
    // Taken when the intent was created, so two orders cannot spend the same points.
    expect((await points()).balance).toBe(0);
    expect(hub.hub.ledger.held(WALLET_ACCOUNT)).toBe(4450 - 234);

    // Denied: the points come back, once.
    await decide(hub, phone, intent, 'deny');
    const after = await points();
    expect(after.balance).toBe(234);
    expect(after.history.slice(0, 2).map((h) => [h.kind, h.points])).toEqual([
      ['restored', 234],
      ['redeemed', -234],
    ]);
  });

  it('keeps redeemed points spent when the payment succeeds, and earns on what was paid', async () => {
    const { intent } = placeOrder(hub, [catFood], { redeemPoints: 100 });
    expect(intent).toMatchObject({ amount: 4350, pointsRedeemed: 100 });
    const paid = await approve(hub, phone, intent);
    // 43.50 yuan at 2.5: 108.75 -> 108.
    expect(paid.pointsEarned).toBe(108);
    expect((await points()).balance).toBe(234 - 100 + 108);
  });

  it('never lets points make an order cost nothing, nor redeem more than it was asked to', async () => {
    const tiny = hub.hub.pricing.price([{ ...catFood, unitPrice: 1 }], {
      reserve: false,
      redeemPoints: 'max',
    });
    expect(tiny).toMatchObject({ amount: 1, pointsRedeemed: 0 });
    const none = hub.hub.pricing.price([catFood], { reserve: false });
    expect(none.pointsRedeemed).toBe(0);
  });

  it('refuses to create an intent that redeems more points than the household has', async () => {
    const before = (await points()).balance;
    expect(() =>
      hub.hub.intents.create({
        amount: 1000,
        payee: { id: 'mi_store', name: '小米商城' },
        description: 'too many points',
        source: { kind: 'voice' },
        pointsRedeemed: before + 1,
      }),
    ).toThrow(expect.objectContaining({ code: 'insufficient_points' }));
    // Nothing of it stayed: no intent row, no hold, the same points.
    expect(
      hub.hub.db.prepare("SELECT count(*) AS n FROM intents WHERE description = 'too many points'").get(),
    ).toEqual({
      n: 0,
    });
    expect((await points()).balance).toBe(before);
  });
});
