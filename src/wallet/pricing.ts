import type { Discount, OrderItem } from '../payments/intent.js';

/**
 * How an order's amount is fixed before the phone signs it: list prices, then ecosystem offers and
 * redeemed points (the wallet issue fills these in). The voice domain and the merchant API call
 * this; the result goes into the intent as `amount`, `discounts` and `pointsRedeemed`.
 */
export interface OrderLine {
  sku: string;
  name: string;
  merchantId: string;
  category: string;
  quantity: number;
  /** Minor units per unit. */
  unitPrice: number;
}

export interface PricedOrder {
  items: OrderItem[];
  discounts: Discount[];
  pointsRedeemed: number;
  /** What the phone signs: the items' total minus the discounts, at least 1 minor unit. */
  amount: number;
  /** The order's spending category (the category of its largest line), for the intent. */
  category?: string;
}

export interface PricingContext {
  deviceId?: string;
  intentId?: string;
  reserve: boolean;
  /**
   * Points to redeem: a number, `'max'` for as many as allowed, 0 for none. Left out, the
   * household's `wallet.points.autoRedeem` setting decides. The redeemed points are taken when the
   * intent is created from the result (`pointsRedeemed`), and given back if it does not succeed.
   */
  redeemPoints?: number | 'max';
}

export interface OrderPricing {
  /**
   * Prices an order. `reserve` is true when an intent will be created from it now: limited offers
   * are then taken (and released again when the intent does not succeed).
   */
  price(lines: OrderLine[], context: PricingContext): PricedOrder;
}

/** List prices only: no offers, no points. */
export const listPricing: OrderPricing = {
  price(lines) {
    const items = lines.map((line) => ({
      sku: line.sku,
      name: line.name,
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      amount: line.unitPrice * line.quantity,
    }));
    const amount = items.reduce((sum, item) => sum + item.amount, 0);
    return { items, discounts: [], pointsRedeemed: 0, amount };
  },
};
