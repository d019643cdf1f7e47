import type { Catalog, CatalogItem, Merchant } from '../catalog/schema.js';
import type { Clock } from '../clock.js';
import type { Settings } from '../config/schema.js';
import { HubError } from '../errors.js';
import type { EventBus, EventMap } from '../events.js';
import type { Logger } from '../logger.js';
import type { MqttTransport } from '../mqtt/topics.js';
import type { IntentStatus } from '../payments/intent.js';
import type { PaymentIntents } from '../payments/intents.js';
import type { Db } from '../store/database.js';
import { type Ledger, WALLET_ACCOUNT } from '../wallet/ledger.js';
import type { OrderPricing } from '../wallet/pricing.js';
import { CatalogNames } from './catalog-names.js';
import { HERMES_INTENTS, type Heard, heardFromHermes, heardFromSpeaker } from './heard.js';
import { HouseholdOrdering } from './household-ordering.js';
import { type Interpretation, Interpreter, MAX_UTTERANCE_CHARS, type RequestedLine } from './interpret.js';
import { normalizeText } from './language.js';
import { OpenQuestions, RecentAnswers } from './memory.js';
import { placeOrder } from './order-placement.js';
import { OrderStore, type VoiceOrder } from './orders.js';
import { phrases, type SpokenLine } from './phrases.js';
import { policyFor } from './policy.js';
import { type Conversation, VoiceReplies } from './replies.js';

export interface VoiceOrdersContext {
  db: Db;
  events: EventBus;
  transport: MqttTransport;
  logger: Logger;
  clock: Clock;
  catalog: Catalog;
  intents: PaymentIntents;
  ledger: Ledger;
  /** List prices, or the wallet's offers and points behind the same interface. */
  pricing: OrderPricing;
  settings: Settings['voice'];
  currency: string;
  timeZone: string;
  /** A device's name, for policies keyed by name ("kitchen"). */
  deviceName(deviceId: string): string | undefined;
  /** What the household spent this local month, for "这个月花了多少钱". */
  spentThisMonth(): number;
}

const ENDED: readonly IntentStatus[] = ['succeeded', 'denied', 'expired', 'failed', 'canceled'];

/**
 * Voice orders (SPEC "Voice orders"): listens to speakers and Hermes satellites, answers what they
 * ask (order, reorder, cancel, balance, spending, prices), and tells them how each payment ended.
 * Every request gets a spoken answer and a log line; nothing a device says can crash the hub or
 * make an intent without a phone's approval.
 */
export class VoiceOrders {
  readonly orders: OrderStore;
  /** The home-wide switch (child lock) checked before any speaker's own policy. */
  readonly ordering: HouseholdOrdering;
  private readonly names: CatalogNames;
  private readonly interpreter: Interpreter;
  private readonly replies: VoiceReplies;
  private readonly merchants: ReadonlyMap<string, Merchant>;
  private readonly questions = new OpenQuestions();
  private readonly recent = new RecentAnswers();
  /** Intents a speaker is canceling right now: its own answer says so, no announcement needed. */
  private readonly cancelingByVoice = new Set<string>();

  constructor(private readonly ctx: VoiceOrdersContext) {
    this.orders = new OrderStore(ctx.db);
    this.ordering = new HouseholdOrdering(ctx.db, ctx.clock);
    this.names = new CatalogNames(ctx.catalog);
    this.interpreter = new Interpreter(this.names, ctx.settings.defaultLanguage);
    this.replies = new VoiceReplies(ctx.transport, ctx.logger);
    this.merchants = new Map(ctx.catalog.merchants.map((merchant) => [merchant.id, merchant]));
  }

  start(): void {
    this.ctx.events.on(this, 'device.message', (event) => this.onDeviceMessage(event));
    this.ctx.events.on(this, 'intent.changed', (event) => this.onIntentChanged(event));
  }

  stop(): void {
    this.ctx.events.removeAllOf(this);
    this.questions.clear();
    this.recent.clear();
  }

  private async onDeviceMessage({ deviceId, message }: EventMap['device.message']): Promise<void> {
    if (message.kind === 'utterance') {
      if (message.unreadable)
        this.ctx.logger.warn(
          { deviceId, sessionId: message.sessionId, reason: message.unreadable },
          'speaker sent no readable text',
        );
      await this.respond(heardFromSpeaker(deviceId, message, this.interpreter));
    } else if (message.kind === 'voice-intent') {
      if (!HERMES_INTENTS.has(message.intentName)) {
        this.ctx.logger.debug({ deviceId, intentName: message.intentName }, 'Hermes intent for another app');
        return;
      }
      await this.respond(heardFromHermes(deviceId, message, this.interpreter));
    }
  }

  /**
   * One request, start to answer. Synchronous from the redelivery check to the order's creation,
   * so two deliveries of the same words cannot both get past the check.
   */
  private async respond(heard: Heard): Promise<void> {
    const { conversation } = heard;
    const now = this.ctx.clock.now();
    const utterance = [...normalizeText(heard.said)].slice(0, MAX_UTTERANCE_CHARS).join('');
    const memo = `${conversation.deviceId}\u0000${heard.sessionKey}\u0000${utterance}`;
    try {
      const repeated = this.recent.find(memo, now);
      if (repeated) {
        this.ctx.logger.info(
          { deviceId: conversation.deviceId, sessionId: heard.sessionKey },
          'voice request repeated, same answer',
        );
        await (repeated.question
          ? this.replies.ask(conversation, repeated.text)
          : this.replies.answer(conversation, repeated.text));
        return;
      }
      const earlier = this.orders.bySession(conversation.deviceId, heard.sessionKey, utterance);
      if (earlier.length > 0) {
        this.ctx.logger.info(
          { deviceId: conversation.deviceId, orders: earlier.map((o) => o.id) },
          'voice order redelivered',
        );
        await this.say(memo, conversation, this.alreadyOrdered(earlier));
        return;
      }
      const answer = this.decide(heard, utterance, now);
      await (answer.question
        ? this.ask(memo, conversation, answer.text)
        : this.say(memo, conversation, answer.text));
    } catch (err) {
      this.ctx.logger.error({ err, deviceId: conversation.deviceId }, 'voice request failed');
      await this.replies.answer(conversation, phrases.failed(conversation.lang));
    }
  }

  /** What to say to a request, having done what it asked. */
  private decide(heard: Heard, utterance: string, now: number): { text: string; question?: boolean } {
    const { conversation } = heard;
    const log = this.ctx.logger;
    const device = { deviceId: conversation.deviceId, sessionId: heard.sessionKey };

    const question = this.questions.take(conversation.deviceId, now);
    if (question) {
      const choice = this.interpreter.choose(heard.answerText, question.choices, conversation.tag);
      if (choice === 'cancel') {
        log.info(device, 'voice question dropped');
        return { text: phrases.choiceDropped(conversation.lang) };
      }
      if (choice) {
        const lines = [...question.lines, { item: choice, quantity: question.quantity }];
        return { text: this.order({ ...heard, said: `${question.said} / ${heard.said}` }, utterance, lines) };
      }
    }

    const request = heard.interpret();
    conversation.lang = request.lang;
    const lang = request.lang;
    const currency = this.ctx.currency;
    log.info({ ...device, kind: request.kind, lang }, 'voice request');
    switch (request.kind) {
      case 'empty':
        log.warn(device, 'voice request with no words');
        return { text: phrases.empty(lang) };
      case 'too_long':
        log.warn({ ...device, length: request.length }, 'voice request too long to be speech');
        return { text: phrases.tooLong(lang) };
      case 'not_understood':
        log.info({ ...device, text: excerpt(heard.said) }, 'voice request not understood');
        return { text: phrases.notUnderstood(lang) };
      case 'unknown_item':
        log.info(
          { ...device, phrase: excerpt(request.phrase) },
          'voice order for an item not in the catalog',
        );
        return { text: phrases.unknownItem(request.phrase, lang) };
      case 'quantity_unclear':
        return { text: phrases.quantityUnclear(request.item, request.reason, lang, currency) };
      case 'one_at_a_time':
        return { text: phrases.oneAtATime(lang) };
      case 'declined':
        return { text: phrases.declined(lang) };
      case 'price':
        return { text: phrases.price(request.items, lang, currency) };
      case 'balance': {
        const { ledger } = this.ctx;
        return {
          text: phrases.balance(
            ledger.available(WALLET_ACCOUNT),
            ledger.held(WALLET_ACCOUNT),
            lang,
            currency,
          ),
        };
      }
      case 'spending':
        return { text: phrases.spending(this.ctx.spentThisMonth(), lang, currency) };
      case 'cancel':
        return { text: this.cancel(conversation.deviceId, lang) };
      case 'reorder':
        return { text: this.reorder(heard, utterance) };
      case 'choose':
        this.questions.ask(conversation.deviceId, {
          choices: request.choices,
          quantity: request.quantity,
          lines: request.lines,
          said: heard.said,
          askedAt: now,
        });
        return { text: phrases.choose(request.choices, lang), question: true };
      case 'order':
        return { text: this.order(heard, utterance, request.lines) };
    }
  }

  /** Places an order and says what happened: the read-back, or why not. */
  private order(heard: Heard, utterance: string, lines: RequestedLine[]): string {
    const { conversation } = heard;
    const { lang, deviceId } = conversation;
    const currency = this.ctx.currency;
    if (!this.ordering.enabled()) {
      this.ctx.logger.info({ deviceId }, 'voice order refused: voice ordering is off for the home');
      return phrases.refusal({ reason: 'household_off' }, lang, currency);
    }
    const policy = policyFor(this.ctx.settings, { id: deviceId, name: this.ctx.deviceName(deviceId) });
    let placement: ReturnType<typeof placeOrder>;
    try {
      placement = placeOrder(
        { ...this.ctx, orders: this.orders, merchants: this.merchants },
        {
          deviceId,
          channel: conversation.channel,
          siteId: conversation.siteId ?? null,
          sessionKey: heard.sessionKey,
          said: [...heard.said.trim()].slice(0, MAX_UTTERANCE_CHARS).join(''),
          utterance,
          lang,
          lines,
          policy,
          ...(heard.voiceProfile === undefined ? {} : { voiceProfile: heard.voiceProfile }),
        },
      );
    } catch (err) {
      if (!(err instanceof HubError)) throw err;
      this.ctx.logger.warn({ deviceId, code: err.code, reason: err.message }, 'voice order not placed');
      return phrases.failed(lang);
    }
    switch (placement.kind) {
      case 'refused':
        this.ctx.logger.info({ deviceId, reason: placement.refusal.reason }, 'voice order refused by policy');
        return phrases.refusal(placement.refusal, lang, currency);
      case 'insufficient_funds':
        this.ctx.logger.info({ deviceId, short: placement.short }, 'voice order refused: wallet too low');
        return phrases.insufficientFunds(placement.short, lang, currency);
      case 'placed':
        for (const order of placement.orders) this.ctx.events.emit('order.created', { order });
        this.ctx.logger.info(
          { deviceId, orders: placement.orders.map((o) => o.id), amount: placement.amount },
          'voice order placed, waiting for a phone',
        );
        return phrases.readBack(
          placement.lines,
          placement.amount,
          placement.discount,
          lang,
          currency,
          placement.orders.length,
        );
    }
  }

  /** "取消": the device's newest order still waiting for a phone (all its merchants' intents). */
  private cancel(deviceId: string, lang: Interpretation['lang']): string {
    const pending = this.orders.lastPending(deviceId);
    if (!pending) return phrases.nothingToCancel(lang);
    const canceled: VoiceOrder[] = [];
    for (const order of this.orders.bySession(deviceId, pending.sessionId, pending.utterance)) {
      if (order.status !== 'requires_approval') continue;
      this.cancelingByVoice.add(order.intentId);
      try {
        this.ctx.intents.cancel(order.intentId, `voice:${deviceId}`);
        canceled.push(order);
      } catch (err) {
        // Decided on a phone a moment ago: that outcome is announced on its own.
        if (!(err instanceof HubError && err.code === 'intent_not_pending')) throw err;
      } finally {
        this.cancelingByVoice.delete(order.intentId);
      }
    }
    if (canceled.length === 0) return phrases.nothingToCancel(lang);
    this.ctx.logger.info({ deviceId, orders: canceled.map((o) => o.id) }, 'voice order canceled by voice');
    return phrases.canceled(this.spokenLines(canceled), lang);
  }

  /** "再来一单": that device's last succeeded order, priced and checked again as a new order. */
  private reorder(heard: Heard, utterance: string): string {
    const { deviceId, lang } = heard.conversation;
    const last = this.orders.lastSucceeded(deviceId);
    if (!last) return phrases.nothingToReorder(lang);
    const refs = this.orders
      .bySession(deviceId, last.sessionId, last.utterance)
      .filter((order) => order.status === 'succeeded')
      .flatMap((order) => order.lines);
    const lines = refs.map((ref) => ({ item: this.names.item(ref.sku), quantity: ref.quantity }));
    if (lines.some((line) => line.item === undefined)) return phrases.reorderItemGone(lang);
    return this.order(heard, utterance, lines as RequestedLine[]);
  }

  /** When a voice order's payment ends, the device that ordered hears how. */
  private async onIntentChanged({ intent, from }: EventMap['intent.changed']): Promise<void> {
    if (from === null || intent.source.kind !== 'voice' || !ENDED.includes(intent.status)) return;
    if (intent.status === 'canceled' && this.cancelingByVoice.has(intent.id)) return;
    const order = this.orders.byIntent(intent.id);
    if (!order) return;
    const text = phrases.outcome(
      intent.status,
      this.spokenLines([order]),
      intent.amount,
      order.lang,
      intent.currency,
    );
    this.ctx.logger.info(
      { deviceId: order.deviceId, orderId: order.id, status: intent.status },
      'voice order ended',
    );
    await this.replies.announce(
      {
        deviceId: order.deviceId,
        channel: order.channel,
        sessionId: order.sessionId,
        ...(order.siteId === null ? {} : { siteId: order.siteId }),
        lang: order.lang,
      },
      text,
    );
  }

  private alreadyOrdered(orders: VoiceOrder[]): string {
    const first = orders[0] as VoiceOrder;
    const amount = orders.reduce((sum, order) => sum + order.amount, 0);
    const pending = orders.some((order) => order.status === 'requires_approval');
    const status = pending ? 'requires_approval' : first.status;
    return phrases.alreadyOrdered(status, this.spokenLines(orders), amount, first.lang, first.currency);
  }

  /** An order's lines for speech; items since removed from the catalog are left out. */
  private spokenLines(orders: VoiceOrder[]): SpokenLine[] {
    return orders
      .flatMap((order) => order.lines)
      .flatMap((ref) => {
        const item: CatalogItem | undefined = this.names.item(ref.sku);
        return item ? [{ item, quantity: ref.quantity }] : [];
      });
  }

  private say(memo: string, to: Conversation, text: string): Promise<void> {
    this.recent.remember(memo, text, false, this.ctx.clock.now());
    return this.replies.answer(to, text);
  }

  private ask(memo: string, to: Conversation, text: string): Promise<void> {
    this.recent.remember(memo, text, true, this.ctx.clock.now());
    return this.replies.ask(to, text);
  }
}

/** Enough of what was said to recognize it in a log, never 10 KB of it. */
function excerpt(text: string): string {
  const chars = [...text];
  return chars.length > 80 ? `${chars.slice(0, 80).join('')}…` : text;
}
