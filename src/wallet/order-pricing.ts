import type { Clock } from '../clock.js';
import { HubError } from '../errors.js';
import type { Discount, OrderItem } from '../payments/intent.js';
import { type Db, inTransaction } from '../store/database.js';
import { type Offers, unitDiscount } from './offers.js';
import type { Points } from './points.js';
import type { OrderLine, OrderPricing, PricedOrder, PricingContext } from './pricing.js';

/**
 * The wallet's `OrderPricing`: list prices, then the best ecosystem offer on each line, then
 * points. With `reserve`, the offer units are claimed in the same IMMEDIATE transaction that
 * counted them, so 100 orders racing for the last 5 units get exactly 5 discounts; the claim rides
 * in the discount (`claimId`) and is tied to the intent when it is created (see WalletHooks).
 */
export class WalletPricing implements OrderPricing {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly offers: Offers,
    private readonly points: Points,
  ) {}

  price(lines: OrderLine[], context: PricingContext): PricedOrder {
    if (lines.length === 0) throw new HubError('invalid_request', 'An order needs at least one line');
    for (const line of lines) {
      if (!Number.isSafeInteger(line.quantity) || line.quantity < 1) {
        throw new HubError('invalid_request', `Quantity of ${line.sku} must be a whole number from 1`);
      }
      if (!Number.isSafeInteger(line.unitPrice) || line.unitPrice < 0) {
        throw new HubError('invalid_request', `Price of ${line.sku} must be whole minor units`);
      }
    }
    const items: OrderItem[] = lines.map((line) => ({
      sku: line.sku,
      name: line.name,
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      amount: line.unitPrice * line.quantity,
    }));
    const subtotal = items.reduce((sum, item) => sum + item.amount, 0);
    if (subtotal < 1) throw new HubError('invalid_request', 'An order must cost at least one minor unit');

    return inTransaction(this.db, () => {
      const discounts = this.applyOffers(lines, subtotal, context);
      const afterOffers = subtotal - discounts.reduce((sum, d) => sum + d.amount, 0);
      const requested = context.redeemPoints ?? (this.points.settings.autoRedeem ? 'max' : 0);
      const pointsRedeemed = this.points.redeemable(afterOffers, requested);
      if (pointsRedeemed > 0) {
        const amount = pointsRedeemed * this.points.settings.redeemValue;
        discounts.push({
          kind: 'points',
          description: `积分抵扣 ${pointsRedeemed} points`,
          amount,
        });
      }
      const amount = afterOffers - pointsRedeemed * this.points.settings.redeemValue;
      return { items, discounts, pointsRedeemed, amount, category: mainCategory(lines) };
    });
  }

  private applyOffers(lines: OrderLine[], subtotal: number, context: PricingContext): Discount[] {
    const at = this.clock.now();
    const discounts: Discount[] = [];
    // What the offers may take in all: the phone never signs less than one minor unit.
    let room = subtotal - 1;
    for (const line of lines) {
      const candidates = this.offers.matching(
        { sku: line.sku, merchantId: line.merchantId, category: line.category, unitPrice: line.unitPrice },
        at,
      );
      // The best offer that still has units; a sold-out one gives way to the next best.
      for (const offer of candidates) {
        const perUnit = unitDiscount(offer, line.unitPrice);
        const units = Math.min(line.quantity, offer.perOrder ?? line.quantity, this.offers.remaining(offer));
        if (units <= 0 || perUnit <= 0 || room <= 0) continue;
        const amount = Math.min(perUnit * units, room);
        room -= amount;
        const claimId =
          context.reserve && offer.quantity !== undefined
            ? this.offers.claim(offer.id, units, context.intentId)
            : undefined;
        discounts.push({
          kind: 'offer',
          description: `${offer.name} (${line.name} ×${units})`,
          amount,
          offerId: offer.id,
          ...(claimId ? { claimId } : {}),
        });
        break;
      }
    }
    return discounts;
  }
}

/** The category of the line that costs most: what the order as a whole is spent on. */
function mainCategory(lines: OrderLine[]): string | undefined {
  let best: OrderLine | undefined;
  for (const line of lines) {
    if (!best || line.unitPrice * line.quantity > best.unitPrice * best.quantity) best = line;
  }
  return best?.category;
}
