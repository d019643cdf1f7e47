import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Intent } from '../../src/payments/intent.js';
import type { Offer } from '../../src/wallet/offers.js';
import type { OrderLine, PricingContext } from '../../src/wallet/pricing.js';
import type { TestHub } from '../helpers/hub.js';
import { createIntent, decide, type TestPhone } from '../helpers/phone.js';

/** Writes an offers file the way a household would (YAML) and returns its path. */
export function writeOffers(dir: string, offers: Offer[]): string {
  const file = path.join(dir, `offers-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify({ offers }));
  return file;
}

export const catFood: OrderLine = {
  sku: 'cat-food-2kg',
  name: '猫粮 2kg',
  merchantId: 'mi_store',
  category: 'pets',
  quantity: 1,
  unitPrice: 4450,
};

/**
 * What a voice order does (SPEC "Voice orders" step 3): price the lines (taking offer units), then
 * create the intent with the priced amount, discounts and points, before any phone sees it.
 */
export function placeOrder(
  hub: TestHub,
  lines: OrderLine[],
  context: Partial<PricingContext> = {},
): { intent: Intent; priced: ReturnType<TestHub['hub']['pricing']['price']> } {
  const priced = hub.hub.pricing.price(lines, { reserve: true, ...context });
  const { intent } = hub.hub.intents.create({
    amount: priced.amount,
    payee: { id: lines[0]?.merchantId ?? 'mi_store', name: '小米商城' },
    description: lines.map((line) => `${line.name} ×${line.quantity}`).join(', '),
    source: { kind: 'voice', ...(context.deviceId ? { deviceId: context.deviceId } : {}) },
    items: priced.items,
    discounts: priced.discounts,
    pointsRedeemed: priced.pointsRedeemed,
    ...(priced.category ? { category: priced.category } : {}),
  });
  return { intent, priced };
}

/** Creates an intent over HTTP and approves it on the phone; returns it succeeded. */
export async function pay(
  hub: TestHub,
  phone: TestPhone,
  body: Record<string, unknown> = {},
): Promise<Intent> {
  const intent = await createIntent(hub, body);
  return approve(hub, phone, intent);
}

export async function approve(hub: TestHub, phone: TestPhone, intent: Intent): Promise<Intent> {
  const response = await decide(hub, phone, intent, 'approve');
  const approved = response.json() as Intent;
  if (approved.status !== 'succeeded') throw new Error(`payment did not succeed: ${response.body}`);
  return approved;
}

/** The ledger transaction an intent's payment was booked as. */
export function paymentOf(hub: TestHub, intentId: string): string {
  const payment = hub.hub.ledger.transactionsOfIntent(intentId).find((t) => t.kind === 'payment');
  if (!payment) throw new Error(`intent ${intentId} has no payment`);
  return payment.id;
}
