import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/paths.js';
import type { Intent } from '../../src/payments/intent.js';
import { WALLET_ACCOUNT } from '../../src/wallet/ledger.js';
import { ManualClock } from '../helpers/clock.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { eventually } from '../helpers/mqtt.js';
import { decide, fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';
import { connectSpeaker, logsWith, type TestSpeaker, voiceIntents } from './voice-helpers.js';

/**
 * Native homepay speakers end to end: a real broker, a real MQTT speaker client publishing what it
 * heard, a phone key deciding over HTTP, and the speaker's `say` topic as the only place the test
 * looks for answers.
 */

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
});

async function hubWithWallet(amount: number, overrides: Record<string, unknown> = {}, clock?: ManualClock) {
  const hub = await startHub({ overrides, ...(clock ? { clock } : {}) });
  cleanup.push(() => hub.stop());
  const phone = await pairPhone(hub);
  if (amount > 0) await fundWallet(hub, phone, amount);
  return { hub, phone };
}

async function speakerOn(hub: TestHub, name?: string): Promise<TestSpeaker> {
  const speaker = await connectSpeaker(hub, name);
  cleanup.push(() => speaker.inbox.close());
  return speaker;
}

/** The one intent a speaker's order made, once it exists. */
async function onlyIntent(hub: TestHub, speaker: TestSpeaker): Promise<Intent> {
  await eventually(() => voiceIntents(hub, speaker.id).length > 0);
  const intents = voiceIntents(hub, speaker.id);
  expect(intents).toHaveLength(1);
  return intents[0] as Intent;
}

describe('a native speaker ordering by voice', () => {
  let hub: TestHub;
  let phone: TestPhone;
  beforeAll(async () => {
    ({ hub, phone } = await hubWithWallet(100_000));
  });

  it('reads the order back, waits for the phone, pays once and tells the speaker it succeeded', async () => {
    const speaker = await speakerOn(hub);
    const before = hub.hub.ledger.balance(WALLET_ACCOUNT);
    await speaker.utter('帮我买两袋猫粮', 's-123', { lang: 'zh-CN', voiceProfile: 'alice' });

    const readBack = await speaker.inbox.next();
    expect(readBack.body).toEqual({
      text: '两袋猫粮,共89元,请在手机上确认',
      sessionId: 's-123',
      lang: 'zh-CN',
    });
    const intent = await onlyIntent(hub, speaker);
    expect(intent).toMatchObject({
      status: 'requires_approval',
      amount: 8900,
      currency: 'CNY',
      payee: { id: 'mi_store', name: '小米商城' },
      description: '两袋猫粮',
      source: { kind: 'voice', deviceId: speaker.id },
      reason: '帮我买两袋猫粮',
      items: [{ sku: 'cat-food-2kg', quantity: 2, unitPrice: 4450, amount: 8900 }],
    });
    // Nothing moves before the phone decides; the amount is only held.
    expect(hub.hub.ledger.balance(WALLET_ACCOUNT)).toBe(before);
    expect(hub.hub.ledger.held(WALLET_ACCOUNT)).toBe(8900);

    expect((await decide(hub, phone, intent, 'approve')).statusCode).toBe(200);
    expect(await speaker.inbox.nextText()).toBe('付款成功:两袋猫粮,共89元,已下单。');
    expect(hub.hub.ledger.transactionsOfIntent(intent.id)).toHaveLength(1);
    expect(hub.hub.ledger.balance(WALLET_ACCOUNT)).toBe(before - 8900);
    expect(hub.hub.voice.orders.byIntent(intent.id)).toMatchObject({ status: 'succeeded', amount: 8900 });
  });

  it('lists voice orders over HTTP for the admin and phones, with the state of their intent', async () => {
    const speaker = await speakerOn(hub);
    await speaker.utter('来一箱可乐', 's-api');
    await speaker.inbox.next();
    const intent = await onlyIntent(hub, speaker);
    const listed = await hub.api({
      method: 'GET',
      url: `/api/orders?deviceId=${speaker.id}`,
      token: phone.token,
    });
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toEqual([
      {
        id: expect.stringMatching(/^ord_/),
        deviceId: speaker.id,
        sessionId: 's-api',
        utterance: '来一箱可乐',
        intentId: intent.id,
        status: 'requires_approval',
        channel: 'speaker',
        siteId: null,
        lang: 'zh',
        lines: [{ sku: 'coke-24x330ml', quantity: 1 }],
        amount: 4990,
        currency: 'CNY',
        createdAt: expect.any(String),
      },
    ]);
    const id = (listed.json() as Array<{ id: string }>)[0]?.id;
    expect((await hub.api({ method: 'GET', url: `/api/orders/${id}` })).json()).toMatchObject({
      intentId: intent.id,
    });
    const missing = await hub.api({ method: 'GET', url: '/api/orders/ord_nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'order_not_found' } });
    expect((await hub.api({ method: 'GET', url: '/api/orders', token: null })).statusCode).toBe(401);
  });

  it('makes one intent when the same utterance arrives twice, and reads the same order back', async () => {
    const speaker = await speakerOn(hub);
    await speaker.utter('order two bags of cat food', 's-dup');
    await speaker.utter('order two bags of cat food', 's-dup');
    const first = await speaker.inbox.nextText();
    const second = await speaker.inbox.nextText();
    expect(first).toBe('Two bags of cat food, 89 yuan. Please confirm on your phone.');
    expect(second).toBe(first);
    expect(voiceIntents(hub, speaker.id)).toHaveLength(1);
  });

  it('makes one intent for a redelivery that comes after a restart', async () => {
    const { hub: own } = await hubWithWallet(20_000);
    const speaker = await speakerOn(own);
    await speaker.utter('帮我买一袋猫砂', 's-restart');
    expect(await speaker.inbox.nextText()).toBe('一袋猫砂,共39.9元,请在手机上确认');
    await own.restart();
    // The hub's memory is gone; the orders table still knows these words in this session.
    const again = await speaker.reconnect();
    cleanup.push(() => again.inbox.close());
    await again.utter('帮我买一袋猫砂', 's-restart');
    expect(await again.inbox.nextText()).toBe('一袋猫砂,共39.9元,请在手机上确认');
    expect(voiceIntents(own, speaker.id)).toHaveLength(1);
    expect(logsWith(own, 'voice order redelivered')).toHaveLength(1);
  });

  it('answers in English and says when the phone declines, without moving money', async () => {
    const speaker = await speakerOn(hub);
    const before = hub.hub.ledger.balance(WALLET_ACCOUNT);
    await speaker.utter('could you order a couple of bags of cat litter please', 's-deny');
    expect(await speaker.inbox.nextText()).toBe(
      'Two bags of cat litter, 79 yuan 80. Please confirm on your phone.',
    );
    const intent = await onlyIntent(hub, speaker);
    await decide(hub, phone, intent, 'deny');
    expect(await speaker.inbox.nextText()).toBe(
      'The payment for two bags of cat litter was declined on the phone; nothing was ordered.',
    );
    expect(hub.hub.ledger.transactionsOfIntent(intent.id)).toHaveLength(0);
    expect(hub.hub.ledger.balance(WALLET_ACCOUNT)).toBe(before);
    expect(hub.hub.ledger.holdOf(intent.id)?.status).toBe('voided');
  });

  it('cancels its own pending order when told to, and does not announce the cancel twice', async () => {
    const speaker = await speakerOn(hub);
    await speaker.utter('来一箱矿泉水', 's-c1');
    expect(await speaker.inbox.nextText()).toBe('一箱矿泉水,共28.8元,请在手机上确认');
    await speaker.utter('算了,取消订单吧', 's-c2');
    expect(await speaker.inbox.nextText()).toBe('好的,已取消一箱矿泉水的订单。');
    const intent = await onlyIntent(hub, speaker);
    expect(hub.hub.intents.require(intent.id).status).toBe('canceled');
    await speaker.utter('取消', 's-c3');
    expect(await speaker.inbox.nextText()).toBe('没有等待确认的订单。');
    expect(speaker.inbox.unread).toBe(0);
  });

  it("repeats that speaker's last succeeded order when asked to reorder", async () => {
    const speaker = await speakerOn(hub);
    await speaker.utter('帮我买两瓶生抽和一盒鸡蛋', 's-r1');
    expect(await speaker.inbox.nextText()).toBe('两瓶生抽、一盒鸡蛋,共61.7元,请在手机上确认');
    const first = await onlyIntent(hub, speaker);
    await decide(hub, phone, first, 'approve');
    expect(await speaker.inbox.nextText()).toMatch(/^付款成功/);

    await speaker.utter('再来一单', 's-r2');
    expect(await speaker.inbox.nextText()).toBe('两瓶生抽、一盒鸡蛋,共61.7元,请在手机上确认');
    const intents = voiceIntents(hub, speaker.id);
    expect(intents).toHaveLength(2);
    expect(intents.find((intent) => intent.id !== first.id)?.items).toEqual(first.items);
  });

  it('says there is nothing to repeat on a speaker that never ordered', async () => {
    const speaker = await speakerOn(hub);
    await speaker.utter('order the same as last time', 's-none');
    expect(await speaker.inbox.nextText()).toBe("There's no earlier order from this speaker to repeat.");
    expect(voiceIntents(hub, speaker.id)).toHaveLength(0);
  });

  it('asks which one when two items fit, and orders the one chosen in the next utterance', async () => {
    const speaker = await speakerOn(hub);
    await speaker.utter('买点牛奶', 's-m1');
    expect(await speaker.inbox.nextText()).toBe('你要的是纯牛奶还是脱脂牛奶?');
    expect(voiceIntents(hub, speaker.id)).toHaveLength(0);
    await speaker.utter('第二个', 's-m2');
    expect(await speaker.inbox.nextText()).toBe('一箱脱脂牛奶,共59.9元,请在手机上确认');
    expect((await onlyIntent(hub, speaker)).items?.[0]?.sku).toBe('milk-skim-12x250ml');
  });

  it('splits an order across merchants into one intent each and reads back the total', async () => {
    const speaker = await speakerOn(hub);
    await speaker.utter('两袋猫粮和一袋猫砂', 's-two');
    expect(await speaker.inbox.nextText()).toBe('两袋猫粮、一袋猫砂,共128.9元,分两笔付款,请在手机上确认');
    const intents = voiceIntents(hub, speaker.id);
    expect(intents.map((intent) => [intent.payee.id, intent.amount]).sort()).toEqual([
      ['jd_home', 3990],
      ['mi_store', 8900],
    ]);
    await speaker.utter('取消', 's-two-cancel');
    expect(await speaker.inbox.nextText()).toBe('好的,已取消两袋猫粮、一袋猫砂的订单。');
    expect(voiceIntents(hub, speaker.id).map((intent) => intent.status)).toEqual(['canceled', 'canceled']);
  });

  it('answers a price question without ordering', async () => {
    const speaker = await speakerOn(hub);
    await speaker.utter('猫粮多少钱一袋', 's-p');
    expect(await speaker.inbox.nextText()).toBe('猫粮44.5元一袋。');
    await speaker.utter('how much is a pack of AA batteries', 's-p2');
    expect(await speaker.inbox.nextText()).toBe('AA batteries is 29 yuan 90 a pack.');
    expect(voiceIntents(hub, speaker.id)).toHaveLength(0);
  });
});

describe('a speaker asking about money', () => {
  it('hears the wallet balance, and what is waiting for a phone', async () => {
    const { hub } = await hubWithWallet(12_345);
    const speaker = await speakerOn(hub);
    await speaker.utter('钱包还有多少钱', 'b-1');
    expect(await speaker.inbox.nextText()).toBe('钱包还有123.45元可用。');
    await speaker.utter('buy a bag of cat food', 'b-2');
    await speaker.inbox.next();
    await speaker.utter("what's my balance", 'b-3');
    expect(await speaker.inbox.nextText()).toBe(
      'The wallet has 78 yuan 95 available, with 44 yuan 50 more waiting for a phone.',
    );
  });

  it('hears what was spent this month, counting only paid orders', async () => {
    const { hub, phone } = await hubWithWallet(50_000);
    const speaker = await speakerOn(hub);
    await speaker.utter('how much did I spend this month', 'm-0');
    expect(await speaker.inbox.nextText()).toBe("You haven't spent anything this month.");
    await speaker.utter('帮我买两袋猫粮', 'm-1');
    await speaker.inbox.next();
    await decide(hub, phone, await onlyIntent(hub, speaker), 'approve');
    await speaker.inbox.next();
    await speaker.utter('这个月花了多少钱', 'm-2');
    expect(await speaker.inbox.nextText()).toBe('这个月已经花了89元。');
  });

  it('says the wallet is short instead of making an intent it cannot hold', async () => {
    const { hub } = await hubWithWallet(5000);
    const speaker = await speakerOn(hub);
    await speaker.utter('帮我买两袋猫粮', 'f-1');
    expect(await speaker.inbox.nextText()).toBe('钱包余额不够,还差39元,没有下单。');
    expect(voiceIntents(hub, speaker.id)).toHaveLength(0);
  });
});

describe('a voice order priced by the wallet', () => {
  it('applies an ecosystem offer before the read-back, so the phone signs the discounted amount', async () => {
    const clock = new ManualClock(Date.parse('2026-11-27T02:00:00.000Z'));
    const offers = path.join(projectRoot, 'config', 'offers.yaml');
    const { hub, phone } = await hubWithWallet(20_000, { wallet: { offers } }, clock);
    const speaker = await speakerOn(hub);
    await speaker.utter('帮我买两袋猫粮', 'o-1');
    expect(await speaker.inbox.nextText()).toBe('两袋猫粮,优惠8.9元,共80.1元,请在手机上确认');
    const intent = await onlyIntent(hub, speaker);
    expect(intent.amount).toBe(8010);
    expect(intent.discounts).toEqual([expect.objectContaining({ amount: 890 })]);
    await decide(hub, phone, intent, 'approve');
    expect(await speaker.inbox.nextText()).toBe('付款成功:两袋猫粮,共80.1元,已下单。');
    expect(hub.hub.ledger.balance(WALLET_ACCOUNT)).toBe(20_000 - 8010);
  });
});

describe('how a voice order ends', () => {
  it('tells the speaker when nobody approved in time', async () => {
    const clock = new ManualClock(Date.parse('2026-11-27T02:00:00.000Z'));
    const { hub } = await hubWithWallet(20_000, {}, clock);
    const speaker = await speakerOn(hub);
    await speaker.utter('order a box of eggs', 'e-1');
    expect(await speaker.inbox.nextText()).toBe('One box of eggs, 29 yuan 90. Please confirm on your phone.');
    clock.advance(601_000);
    expect(await speaker.inbox.nextText()).toBe(
      'Nobody confirmed on a phone in time, so the order for one box of eggs expired.',
    );
    expect(hub.hub.ledger.held(WALLET_ACCOUNT)).toBe(0);
  });

  it('tells the speaker when the bank declines the approved payment', async () => {
    // The sandbox bank declines every payment, except from a card ending 4242 (the top-up).
    const hub = await startHub({ overrides: { payments: { provider: { declineRate: 1 } } } });
    cleanup.push(() => hub.stop());
    const phone = await pairPhone(hub);
    const card = await hub.api({
      method: 'POST',
      url: '/api/funding-sources',
      payload: { kind: 'debit_card', number: '4242 4242 4242 4242', holder: 'Test' },
    });
    const topup = await hub.api({
      method: 'POST',
      url: '/api/wallet/topups',
      headers: { 'idempotency-key': 'voice-decline-topup' },
      payload: { amount: 20_000, fundingSourceId: (card.json() as { id: string }).id },
    });
    expect((await decide(hub, phone, topup.json() as Intent, 'approve')).json()).toMatchObject({
      status: 'succeeded',
    });

    const speaker = await speakerOn(hub);
    await speaker.utter('帮我买一盒鸡蛋', 'x-1');
    await speaker.inbox.next();
    const intent = await onlyIntent(hub, speaker);
    await decide(hub, phone, intent, 'approve');
    expect(await speaker.inbox.nextText()).toBe('付款失败,一盒鸡蛋没有下单,钱没有扣。');
    expect(hub.hub.intents.require(intent.id).status).toBe('failed');
    expect(hub.hub.ledger.balance(WALLET_ACCOUNT)).toBe(20_000);
  });
});

describe('what a speaker cannot order', () => {
  let hub: TestHub;
  let speaker: TestSpeaker;
  beforeAll(async () => {
    ({ hub } = await hubWithWallet(100_000));
    speaker = await speakerOn(hub);
  });

  it.each([
    ['empty text', '', '我没听清,请再说一遍。', 'voice request with no words'],
    ['only spaces', '   ', '我没听清,请再说一遍。', 'voice request with no words'],
    [
      '10,000 Chinese characters',
      '猫'.repeat(10_000),
      '这句话太长了,请简短地说要买什么。',
      'voice request too long to be speech',
    ],
    [
      '10 KB of latin text',
      'x'.repeat(10_240),
      'That was too long for me. Please tell me briefly what to order.',
      'voice request too long to be speech',
    ],
    [
      'an item nobody sells',
      '帮我买一台特斯拉',
      '没有找到"特斯拉",换个说法试试?',
      'voice order for an item not in the catalog',
    ],
    [
      'a question about the weather',
      '今天天气怎么样',
      '抱歉,我没听懂。可以说"帮我买两袋猫粮"。',
      'voice request not understood',
    ],
    [
      'a request for music',
      'play some jazz',
      `Sorry, I didn't understand. You can say "order two bags of cat food".`,
      'voice request not understood',
    ],
  ])('answers %s out loud, logs it, and makes no intent', async (_label, text, answer, logged) => {
    const logs = logsWith(hub, logged).length;
    await speaker.utter(text, `bad-${Math.random()}`);
    expect(await speaker.inbox.nextText()).toBe(answer);
    expect(logsWith(hub, logged).length).toBe(logs + 1);
    expect(voiceIntents(hub, speaker.id)).toHaveLength(0);
  });

  it('asks again out loud when the text is not a string, logs why, and keeps answering', async () => {
    const warned = logsWith(hub, 'speaker sent no readable text').length;
    await speaker.utter(42, 'wrong-type');
    expect(await speaker.inbox.nextText()).toBe('我没听清,请再说一遍。');
    await speaker.utter({ words: ['猫粮'] }, 'wrong-type-2', { lang: 'en-US' });
    expect(await speaker.inbox.nextText()).toBe("Sorry, I didn't catch that. Please say it again.");
    expect(logsWith(hub, 'speaker sent no readable text').slice(warned)).toEqual([
      expect.objectContaining({ sessionId: 'wrong-type', reason: 'text must be a string, got number 42' }),
      expect.objectContaining({ sessionId: 'wrong-type-2', reason: 'text must be a string, got object' }),
    ]);
    await speaker.utter('钱包还有多少钱', 'after-wrong-type');
    expect(await speaker.inbox.nextText()).toMatch(/^钱包还有/);
    expect(voiceIntents(hub, speaker.id)).toHaveLength(0);
  });

  it('drops a payload with no usable sessionId with a log line (no session to answer in)', async () => {
    const dropped = logsWith(hub, 'malformed device payload dropped').length;
    await speaker.client.publishAsync(
      `homepay/speaker/${speaker.id}/utterance`,
      '{"text":"猫粮","sessionId":7}',
      {
        qos: 1,
      },
    );
    await speaker.client.publishAsync(`homepay/speaker/${speaker.id}/utterance`, 'not json', { qos: 1 });
    await eventually(() => logsWith(hub, 'malformed device payload dropped').length === dropped + 2);
    expect(voiceIntents(hub, speaker.id)).toHaveLength(0);
  });

  it('asks for a number when the quantity is vague or the unit is not how the item is sold', async () => {
    await speaker.utter('买几袋猫粮', 'q-1');
    expect(await speaker.inbox.nextText()).toBe('猫粮要几袋?请说具体数量。');
    await speaker.utter('来一箱啤酒', 'q-2');
    expect(await speaker.inbox.nextText()).toBe('青岛啤酒按瓶卖,一瓶6.9元。要几瓶?');
    await speaker.utter('order a bottle of water', 'q-3');
    expect(await speaker.inbox.nextText()).toBe(
      'Bottled water comes by the case, 28 yuan 80 each. How many cases?',
    );
    await speaker.utter('order a few bags of cat food', 'q-4');
    expect(await speaker.inbox.nextText()).toBe('How many bags of cat food? Please say a number.');
    expect(voiceIntents(hub, speaker.id)).toHaveLength(0);
  });
});
