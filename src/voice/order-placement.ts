import type { CatalogItem, Merchant } from '../catalog/schema.js';
import type { Clock } from '../clock.js';
import { newId } from '../ids.js';
import type { PaymentIntents } from '../payments/intents.js';
import { type Db, inTransaction } from '../store/database.js';
import { localTime } from '../time/zoned-time.js';
import { zonedToInstant } from '../wallet/calendar.js';
import { type Ledger, WALLET_ACCOUNT } from '../wallet/ledger.js';
import type { OrderLine, OrderPricing } from '../wallet/pricing.js';
import type { RequestedLine } from './interpret.js';
import type { Lang } from './language.js';
import type { OrderStore, VoiceChannel, VoiceOrder } from './orders.js';
import { spokenLines } from './phrases.js';
import { type PolicyRefusal, refusalBeforePricing, refusalOfAmount, type SpeakerPolicy } from './policy.js';

export interface PlacementContext {
  db: Db;
  intents: PaymentIntents;
  ledger: Ledger;
  pricing: OrderPricing;
  orders: OrderStore;
  merchants: ReadonlyMap<string, Merchant>;
  clock: Clock;
  currency: string;
  /** The household's zone: a daily cap and quiet hours are about the local day. */
  timeZone: string;
}

export interface PlacementRequest {
  deviceId: string;
  channel: VoiceChannel;
  siteId: string | null;
  /** The session the order belongs to, its idempotency key. */
  sessionKey: string;
  /** The words as said, for the phone ("why was this asked for"). */
  said: string;
  /** The words normalized: with the device and session, what makes a redelivery recognizable. */
  utterance: string;
  lang: Lang;
  lines: RequestedLine[];
  policy: SpeakerPolicy;
  voiceProfile?: string;
}

export type Placement =
  | { kind: 'placed'; orders: VoiceOrder[]; lines: RequestedLine[]; amount: number; discount: number }
  | { kind: 'refused'; refusal: PolicyRefusal }
  | { kind: 'insufficient_funds'; short: number };

/** Leaves the transaction with an answer instead of an intent; throwing rolls back offer claims. */
class NotPlaced extends Error {
  constructor(readonly placement: Placement) {
    super(placement.kind);
  }
}

/**
 * Turns the lines a speaker asked for into orders and payment intents in `requires_approval`:
 * policy first, then prices (offers and points, fixed before the phone signs), then one intent
 * per merchant, all in one transaction so either every intent of the order exists or none does.
 * Every intent still waits for a phone; nothing here can approve one.
 */
export function placeOrder(ctx: PlacementContext, request: PlacementRequest): Placement {
  const now = ctx.clock.now();
  const local = localTime(now, ctx.timeZone);
  const early = refusalBeforePricing(request.policy, {
    items: request.lines,
    ...(request.voiceProfile === undefined ? {} : { voiceProfile: request.voiceProfile }),
    minuteOfDay: local.hour * 60 + local.minute,
  });
  if (early) return { kind: 'refused', refusal: early };
  const dayStart = new Date(
    zonedToInstant(local.year, local.month, local.day, 0, 0, ctx.timeZone),
  ).toISOString();

  try {
    return inTransaction(ctx.db, () => {
      const groups = byMerchant(request.lines).map((lines) => {
        const merchant = ctx.merchants.get((lines[0] as RequestedLine).item.merchant) as Merchant;
        const priced = ctx.pricing.price(
          lines.map((line) => orderLine(line, request.lang)),
          {
            deviceId: request.deviceId,
            reserve: true,
          },
        );
        return { merchant, lines, priced };
      });
      const amount = groups.reduce((sum, group) => sum + group.priced.amount, 0);
      const discount = groups.reduce(
        (sum, group) => sum + group.priced.discounts.reduce((total, d) => total + d.amount, 0),
        0,
      );
      // Checked before any intent exists: a created intent is announced to phones at once, so a
      // later refusal could not take that back.
      const refusal = refusalOfAmount(
        request.policy,
        amount,
        ctx.orders.amountSince(request.deviceId, dayStart),
      );
      if (refusal) throw new NotPlaced({ kind: 'refused', refusal });
      const available = ctx.ledger.available(WALLET_ACCOUNT);
      if (available < amount) throw new NotPlaced({ kind: 'insufficient_funds', short: amount - available });

      const earlier = ctx.orders.countInSession(request.deviceId, request.sessionKey);
      const key = earlier === 0 ? request.sessionKey : `${request.sessionKey}#${earlier + 1}`;
      const createdAt = new Date(now).toISOString();
      const orders = groups.map((group, index) => {
        const { intent } = ctx.intents.create(
          {
            amount: group.priced.amount,
            currency: ctx.currency,
            payee: { id: group.merchant.id, name: group.merchant.name },
            description: spokenLines(group.lines, request.lang),
            source: { kind: 'voice', deviceId: request.deviceId },
            items: group.priced.items,
            discounts: group.priced.discounts,
            pointsRedeemed: group.priced.pointsRedeemed,
            reason: request.said,
            ...(group.priced.category ? { category: group.priced.category } : {}),
          },
          { scope: `voice:${request.deviceId}`, key: index === 0 ? key : `${key}:${group.merchant.id}` },
        );
        const order: Omit<VoiceOrder, 'status'> = {
          id: newId('ord'),
          deviceId: request.deviceId,
          sessionId: request.sessionKey,
          utterance: request.utterance,
          intentId: intent.id,
          channel: request.channel,
          siteId: request.siteId,
          lang: request.lang,
          lines: group.lines.map((line) => ({ sku: line.item.sku, quantity: line.quantity })),
          amount: intent.amount,
          currency: intent.currency,
          createdAt,
        };
        ctx.orders.insert(order);
        return { ...order, status: intent.status };
      });
      return { kind: 'placed', orders, lines: request.lines, amount, discount };
    });
  } catch (err) {
    if (err instanceof NotPlaced) return err.placement;
    throw err;
  }
}

/** One intent pays one payee: lines are grouped by merchant, in the order they were said. */
function byMerchant(lines: RequestedLine[]): RequestedLine[][] {
  const groups = new Map<string, RequestedLine[]>();
  for (const line of lines) {
    const group = groups.get(line.item.merchant) ?? [];
    group.push(line);
    groups.set(line.item.merchant, group);
  }
  return [...groups.values()];
}

function orderLine(line: RequestedLine, lang: Lang): OrderLine {
  const item: CatalogItem = line.item;
  return {
    sku: item.sku,
    name: (lang === 'zh' ? item.names.zh[0] : item.names.en[0]) as string,
    merchantId: item.merchant,
    category: item.category,
    quantity: line.quantity,
    unitPrice: item.price,
  };
}
