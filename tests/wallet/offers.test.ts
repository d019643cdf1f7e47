import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Intent } from '../../src/payments/intent.js';
import { type Offer, UNLINKED_CLAIM_TTL_MS, validateOffers } from '../../src/wallet/offers.js';
import { ManualClock } from '../helpers/clock.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { decide, fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';
import { approve, catFood, placeOrder, writeOffers } from './wallet-helpers.js';

const run = promisify(execFile);

// The manual clock starts at 2026-11-27T08:00Z (16:00 in Shanghai).
const LAST_UNITS: Offer = {
  id: 'cat-food-last-5',
  name: '猫粮九折（限量）',
  match: { skus: ['cat-food-2kg'] },
  discount: { percent: 10 },
  starts: '2026-11-01T00:00:00+08:00',
  ends: '2026-12-01T00:00:00+08:00',
  quantity: 5,
};
const FILTERS: Offer = {
  id: 'mi-smart-home-5-off',
  name: '米家立减5元',
  match: { merchants: ['mi_store'], categories: ['smart_home'] },
  discount: { amount: 500 },
};
const LATER: Offer = {
  id: 'starts-next-month',
  name: '十二月特惠',
  match: { categories: ['pets'] },
  discount: { percent: 50 },
  starts: '2026-12-01T00:00:00+08:00',
};

const clock = new ManualClock();
let hub: TestHub;
let phone: TestPhone;

/** A hub reading `offers` from its offers file, as a household configures it, with money in the wallet. */
async function hubWithOffers(offers: Offer[]): Promise<TestHub> {
  const file = writeOffers(mkdtempSync(path.join(tmpdir(), 'homepay-offers-')), offers);
  const started = await startHub({ clock, overrides: { wallet: { offers: file } } });
  await fundWallet(started, await pairPhone(started), 1_000_000);
  return started;
}

beforeAll(async () => {
  hub = await hubWithOffers([LAST_UNITS, FILTERS, LATER]);
  phone = await pairPhone(hub);
});
afterAll(async () => {
  await hub.stop();
});

function offerDiscounts(intent: Intent) {
  return (intent.discounts ?? []).filter((d) => d.kind === 'offer');
}

describe('ecosystem offers', () => {
  it('gives exactly 5 discounts to 100 concurrent orders for the last 5 units', async () => {
    // Each order prices (taking units), yields to the others, then creates its intent: the gap a
    // real voice order has between pricing and creating its intent.
    const orders = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        await new Promise((resolve) => setImmediate(resolve));
        const priced = hub.hub.pricing.price([catFood], { reserve: true, deviceId: `dev_${i}` });
        await new Promise((resolve) => setTimeout(resolve, i % 7));
        return hub.hub.intents.create({
          amount: priced.amount,
          payee: { id: 'mi_store', name: '小米商城' },
          description: `order ${i}`,
          source: { kind: 'voice' },
          items: priced.items,
          discounts: priced.discounts,
          category: priced.category,
        }).intent;
      }),
    );
    const discounted = orders.filter((intent) => offerDiscounts(intent).length > 0);
    expect(discounted).toHaveLength(5);
    for (const intent of discounted) {
      expect(intent.amount).toBe(4450 - 445);
      expect(offerDiscounts(intent)).toEqual([
        expect.objectContaining({
          offerId: LAST_UNITS.id,
          amount: 445,
          description: expect.stringContaining('猫粮九折'),
        }),
      ]);
    }
    expect(orders.filter((intent) => intent.amount === 4450)).toHaveLength(95);
    const offer = (await hub.api({ method: 'GET', url: '/api/offers' })).json() as Array<{
      id: string;
      remaining: number;
    }>;
    expect(offer.find((o) => o.id === LAST_UNITS.id)?.remaining).toBe(0);

    // A discounted order that is denied gives its unit back; the next order gets it.
    const [first, second] = discounted as [Intent, Intent];
    await decide(hub, phone, first, 'deny');
    // One that succeeds keeps it for good.
    await approve(hub, phone, second);
    const next = placeOrder(hub, [catFood]).intent;
    expect(offerDiscounts(next)).toHaveLength(1);
    expect(offerDiscounts(placeOrder(hub, [catFood]).intent)).toHaveLength(0);
    const statuses = hub.hub.db
      .prepare('SELECT status, count(*) AS n FROM offer_claims GROUP BY status ORDER BY status')
      .all();
    expect(statuses).toEqual([
      { status: 'held', n: 4 },
      { status: 'released', n: 1 },
      { status: 'used', n: 1 },
    ]);
  });

  it('discounts only the units left when an order wants more than there are', async () => {
    const other = await hubWithOffers([{ ...LAST_UNITS, quantity: 3 }]);
    try {
      const first = placeOrder(other, [{ ...catFood, quantity: 2 }]).intent;
      expect(first.amount).toBe(2 * 4450 - 2 * 445);
      const second = placeOrder(other, [{ ...catFood, quantity: 4 }]).intent;
      expect(offerDiscounts(second)).toEqual([expect.objectContaining({ amount: 445 })]);
      expect(second.amount).toBe(4 * 4450 - 445);
    } finally {
      await other.stop();
    }
  });

  it('matches merchant and category together, and only within its time window', () => {
    const filter = {
      sku: 'mi-air-purifier-filter',
      name: '滤芯',
      merchantId: 'mi_store',
      category: 'smart_home',
      quantity: 2,
      unitPrice: 14_900,
    };
    const priced = hub.hub.pricing.price([filter], { reserve: false });
    expect(priced.discounts).toEqual([expect.objectContaining({ offerId: FILTERS.id, amount: 1000 })]);
    // Same category at another merchant: no discount.
    expect(
      hub.hub.pricing.price([{ ...filter, merchantId: 'jd_home' }], { reserve: false }).discounts,
    ).toEqual([]);
    // The 50% pets offer starts on 1 December (local); on 27 November it does not apply.
    const dogFood = { ...catFood, sku: 'dog-food-5kg' };
    expect(hub.hub.pricing.price([dogFood], { reserve: false }).discounts).toEqual([]);
  });

  it('gives units back when an order is priced but its intent is never created', async () => {
    const other = await hubWithOffers([{ ...LAST_UNITS, quantity: 1 }]);
    try {
      const abandoned = other.hub.pricing.price([catFood], { reserve: true });
      expect(abandoned.discounts).toHaveLength(1);
      expect(other.hub.pricing.price([catFood], { reserve: true }).discounts).toEqual([]);
      clock.advance(UNLINKED_CLAIM_TTL_MS + 1000);
      other.hub.wallet.offers.releaseUnlinked();
      expect(other.hub.pricing.price([catFood], { reserve: false }).discounts).toHaveLength(1);
      // The late intent can no longer use the claim: it would be priced below what is held.
      expect(() =>
        other.hub.intents.create({
          amount: abandoned.amount,
          payee: { id: 'mi_store', name: '小米商城' },
          description: 'too late',
          source: { kind: 'voice' },
          discounts: abandoned.discounts,
        }),
      ).toThrow(expect.objectContaining({ code: 'offer_unavailable' }));
    } finally {
      await other.stop();
    }
  });

  it('never oversells across processes sharing the database file', async () => {
    const other = await hubWithOffers([{ ...LAST_UNITS, quantity: 7 }]);
    const dbFile = path.join(other.dataDir, 'homepay.db');
    const file = writeOffers(other.dataDir, [
      { ...LAST_UNITS, quantity: 7, starts: undefined, ends: undefined },
    ]);
    const script = path.join(import.meta.dirname, 'fixtures', 'price-orders.ts');
    try {
      const results = await Promise.all(
        [0, 1, 2].map(() =>
          run(process.execPath, ['--import', 'tsx', script, dbFile, file, '30'], { timeout: 60_000 }),
        ),
      );
      const discounted = results.map((r) => (JSON.parse(r.stdout) as { discounted: number }).discounted);
      expect(discounted.reduce((a, b) => a + b, 0)).toBe(7);
      const taken = other.hub.db
        .prepare("SELECT SUM(quantity) AS n FROM offer_claims WHERE offer_id = ? AND status != 'released'")
        .get(LAST_UNITS.id);
      expect(taken).toEqual({ n: 7 });
    } finally {
      await other.stop();
    }
  });

  it('refuses an offers file with every problem listed', () => {
    expect(() =>
      validateOffers(
        {
          offers: [
            { id: 'a', name: 'x', match: {}, discount: { percent: 120 } },
            {
              id: 'b',
              name: 'y',
              match: { skus: ['s'] },
              discount: { amount: 5 },
              starts: '2026-12-01T00:00:00Z',
              ends: '2026-11-01T00:00:00Z',
            },
          ],
        },
        'offers.yaml',
      ),
    ).toThrow(/offers\.0\.match.*\n.*offers\.0\.discount/s);
    expect(() =>
      validateOffers(
        {
          offers: [
            {
              id: 'b',
              name: 'y',
              match: { skus: ['s'] },
              discount: { amount: 5 },
              starts: '2026-12-01T00:00:00Z',
              ends: '2026-11-01T00:00:00Z',
            },
          ],
        },
        'offers.yaml',
      ),
    ).toThrow('offers.b: ends must be after starts');
  });
});
