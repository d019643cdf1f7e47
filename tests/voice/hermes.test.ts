import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Intent } from '../../src/payments/intent.js';
import { WALLET_ACCOUNT } from '../../src/wallet/ledger.js';
import { addDevice, startHub, type TestHub } from '../helpers/hub.js';
import { connectClient, eventually } from '../helpers/mqtt.js';
import { decide, fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';
import {
  connectSatellite,
  HERMES_REPLIES,
  Inbox,
  slots,
  type TestSatellite,
  voiceIntents,
} from './voice-helpers.js';

/**
 * Rhasspy satellites and base stations over the Hermes protocol, end to end: real payloads from
 * tests/fixtures/protocols, answers in the dialogue session (endSession, continueSession), and
 * the outcome by hermes/tts/say to the satellite's siteId, which the broker forwards to that
 * satellite only.
 */

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/protocols', name), 'utf8'));

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
});

let hub: TestHub;
let phone: TestPhone;
beforeAll(async () => {
  hub = await startHub();
  cleanup.push(() => hub.stop());
  phone = await pairPhone(hub);
  await fundWallet(hub, phone, 200_000);
});

let sites = 0;
async function satellite(siteId = `site${++sites}`): Promise<TestSatellite> {
  const connected = await connectSatellite(hub, siteId);
  cleanup.push(() => connected.inbox.close());
  return connected;
}

async function onlyIntent(deviceId: string): Promise<Intent> {
  await eventually(() => voiceIntents(hub, deviceId).length > 0);
  const intents = voiceIntents(hub, deviceId);
  expect(intents).toHaveLength(1);
  return intents[0] as Intent;
}

describe('a Rhasspy satellite ordering over Hermes', () => {
  it("reads Rhasspy's own PlaceOrder back in the session, and speaks the outcome by tts/say", async () => {
    const kitchen = await satellite('kitchen');
    const payload: Record<string, unknown> = { ...fixture('hermes-intent.json'), siteId: 'kitchen' };
    const before = hub.hub.ledger.balance(WALLET_ACCOUNT);
    await kitchen.publish('hermes/intent/PlaceOrder', payload);

    const readBack = await kitchen.inbox.next();
    expect(readBack.topic).toBe('hermes/dialogueManager/endSession');
    expect(readBack.body).toEqual({
      sessionId: payload.sessionId,
      text: 'Two bags of cat food, 89 yuan. Please confirm on your phone.',
      customData: null,
    });
    const intent = await onlyIntent(kitchen.id);
    expect(intent).toMatchObject({ amount: 8900, status: 'requires_approval', source: { kind: 'voice' } });

    await decide(hub, phone, intent, 'approve');
    const outcome = await kitchen.inbox.next();
    expect(outcome.topic).toBe('hermes/tts/say');
    expect(outcome.body).toMatchObject({
      text: "Payment succeeded: two bags of cat food, 89 yuan. It's on its way.",
      siteId: 'kitchen',
      sessionId: null,
    });
    expect(typeof outcome.body.id).toBe('string');
    expect(hub.hub.ledger.transactionsOfIntent(intent.id)).toHaveLength(1);
    expect(hub.hub.ledger.balance(WALLET_ACCOUNT)).toBe(before - 8900);
  });

  it('answers the Chinese PlaceOrder with the endSession text SPEC shows', async () => {
    const livingroom = await satellite('livingroom');
    await livingroom.publish('hermes/intent/PlaceOrder', fixture('hermes-intent-zh.json'));
    const readBack = await livingroom.inbox.next();
    const expected = fixture('hermes-endSession-zh.json');
    expect(readBack).toEqual({ topic: 'hermes/dialogueManager/endSession', body: expected });
    const intent = await onlyIntent(livingroom.id);
    await decide(hub, phone, intent, 'deny');
    expect(await livingroom.inbox.next()).toMatchObject({
      topic: 'hermes/tts/say',
      body: { text: '手机上拒绝了这笔付款,两袋猫粮没有下单。', siteId: 'livingroom' },
    });
  });

  it('makes one intent when Rhasspy redelivers the same intent in the same session', async () => {
    const site = await satellite();
    const body = { input: 'order 3 boxes of eggs', sessionId: 'dup-session', slots: slots('eggs', 3) };
    await site.intent('PlaceOrder', body);
    await site.intent('PlaceOrder', body);
    expect((await site.inbox.next()).body.text).toBe(
      'Three boxes of eggs, 89 yuan 70. Please confirm on your phone.',
    );
    expect((await site.inbox.next()).body.text).toBe(
      'Three boxes of eggs, 89 yuan 70. Please confirm on your phone.',
    );
    expect(voiceIntents(hub, site.id)).toHaveLength(1);
  });

  it('asks which item with continueSession when two fit, then orders the one named in the same session', async () => {
    const site = await satellite();
    await site.intent('PlaceOrder', { input: 'order some milk', sessionId: 'milk-1', slots: slots('milk') });
    const question = await site.inbox.next();
    expect(question).toEqual({
      topic: 'hermes/dialogueManager/continueSession',
      body: {
        sessionId: 'milk-1',
        text: 'Did you mean whole milk or skim milk?',
        intentFilter: ['PlaceOrder', 'CancelOrder'],
        sendIntentNotRecognized: false,
        customData: null,
        slot: null,
        lang: null,
      },
    });
    expect(voiceIntents(hub, site.id)).toHaveLength(0);
    await site.intent('PlaceOrder', { input: 'skim milk', sessionId: 'milk-1', slots: slots('skim milk') });
    expect(await site.inbox.next()).toEqual({
      topic: 'hermes/dialogueManager/endSession',
      body: {
        sessionId: 'milk-1',
        text: 'One case of skim milk, 59 yuan 90. Please confirm on your phone.',
        customData: null,
      },
    });
    expect((await onlyIntent(site.id)).items?.[0]?.sku).toBe('milk-skim-12x250ml');
  });

  it('takes a catalog sku in the item slot and a quantity said in words', async () => {
    const site = await satellite();
    await site.intent('PlaceOrder', {
      input: '来俩充电宝',
      sessionId: 'sku-1',
      lang: 'zh',
      slots: slots('mi-power-bank-10000', '俩'),
    });
    expect((await site.inbox.next()).body.text).toBe('两个小米充电宝,共198元,请在手机上确认');
  });

  it('answers with tts/say to the site when the intent came without a session', async () => {
    const site = await satellite();
    await site.intent('PlaceOrder', {
      input: 'order a bag of rice',
      sessionId: null,
      slots: slots('rice', 1),
    });
    expect(await site.inbox.next()).toMatchObject({
      topic: 'hermes/tts/say',
      body: {
        text: 'One bag of rice, 69 yuan 90. Please confirm on your phone.',
        siteId: site.siteId,
        sessionId: null,
      },
    });
    expect(voiceIntents(hub, site.id)).toHaveLength(1);
  });

  it('answers Reorder, CancelOrder, CheckBalance and CheckSpending in the language of the words', async () => {
    const site = await satellite();
    await site.intent('Reorder', { input: 'order the same again', sessionId: 'r-0', slots: [] });
    expect((await site.inbox.next()).body.text).toBe("There's no earlier order from this speaker to repeat.");

    await site.intent('PlaceOrder', {
      input: '帮我买两包垃圾袋',
      sessionId: 'r-1',
      slots: slots('垃圾袋', 2),
    });
    expect((await site.inbox.next()).body.text).toBe('两包垃圾袋,共31.8元,请在手机上确认');
    await site.intent('CancelOrder', { input: '取消订单', sessionId: 'r-2', slots: [] });
    expect((await site.inbox.next()).body).toEqual({
      sessionId: 'r-2',
      text: '好的,已取消两包垃圾袋的订单。',
      customData: null,
    });
    await site.intent('CheckBalance', { input: '钱包还有多少钱', sessionId: 'r-3', slots: [] });
    expect(String((await site.inbox.next()).body.text)).toMatch(
      /^钱包还有\d+(\.\d{1,2})?元可用(,另有.+在等手机确认)?。$/,
    );
    await site.intent('CheckSpending', {
      input: 'how much did we spend this month',
      sessionId: 'r-4',
      slots: [],
    });
    expect(String((await site.inbox.next()).body.text)).toMatch(
      /^You've spent \d+ yuan( \d+)? this month\.$/,
    );
    expect(voiceIntents(hub, site.id).map((intent) => intent.status)).toEqual(['canceled']);
  });

  it("answers NLU's intentNotRecognized by tts/say, since Rhasspy already ended that session", async () => {
    const site = await satellite();
    await site.publish('hermes/nlu/intentNotRecognized', {
      ...fixture('hermes-nlu-intentNotRecognized.json'),
      siteId: site.siteId,
    });
    const answer = await site.inbox.next();
    expect(answer.topic).toBe('hermes/tts/say');
    expect(answer.body).toMatchObject({ siteId: site.siteId, sessionId: null });
    expect(String(answer.body.text)).toMatch(/^(Sorry, I didn't understand|抱歉,我没听懂)/);
  });

  it('asks for a number when the quantity slot holds something that is not one, and makes no intent', async () => {
    const site = await satellite();
    const strange = [
      { slotName: 'quantity', value: { kind: 'Number', value: 2.5 }, rawValue: '2.5' },
      { slotName: 'item', value: { kind: 'Unknown', value: 'cat food' }, rawValue: 'cat food' },
    ];
    await site.intent('PlaceOrder', {
      input: 'order 2.5 bags of cat food',
      sessionId: 'w-1',
      slots: strange,
    });
    expect((await site.inbox.next()).body.text).toBe('How many bags of cat food? Please say a number.');
    const objectQuantity = [
      { slotName: 'quantity', value: { kind: 'Custom', value: { many: true } } },
      { slotName: 'item', value: { kind: 'Unknown', value: '猫粮' }, rawValue: '猫粮' },
    ];
    await site.intent('PlaceOrder', { input: '买猫粮', sessionId: 'w-2', slots: objectQuantity });
    expect((await site.inbox.next()).body.text).toBe('猫粮要几袋?请说具体数量。');
    await site.intent('PlaceOrder', { input: '', sessionId: 'w-3', slots: [] });
    expect((await site.inbox.next()).body.text).toBe('我没听清,请再说一遍。');
    await site.intent('PlaceOrder', { input: 'x'.repeat(10_240), sessionId: 'w-4', slots: [] });
    expect((await site.inbox.next()).body.text).toBe(
      'That was too long for me. Please tell me briefly what to order.',
    );
    expect(voiceIntents(hub, site.id)).toHaveLength(0);
  });

  it('leaves intents of other Hermes apps to them', async () => {
    const site = await satellite();
    await site.intent('GetTime', { input: 'what time is it', sessionId: 't-1', slots: [] });
    await site.intent('CheckBalance', { input: 'whats my balance', sessionId: 't-2', slots: [] });
    const first = await site.inbox.next();
    expect(first.body.sessionId).toBe('t-2');
    expect(
      hub.logs.some((line) => line.msg === 'Hermes intent for another app' && line.intentName === 'GetTime'),
    ).toBe(true);
  });
});

describe('Hermes replies reach only the satellite they are for', () => {
  it('forwards endSession to the session satellite and tts/say to the named site, never to the others', async () => {
    const hall = await satellite('hall');
    const study = await satellite('study');
    await hall.intent('PlaceOrder', {
      input: 'order a bag of cat litter',
      sessionId: 'hall-1',
      slots: slots('cat litter', 1),
    });
    expect((await hall.inbox.next()).body.sessionId).toBe('hall-1');
    await decide(hub, phone, await onlyIntent(hall.id), 'approve');
    expect((await hall.inbox.next()).body).toMatchObject({ siteId: 'hall' });

    // The study's first message is its own answer: neither of the hall's replies reached it.
    await study.intent('CheckBalance', { input: 'whats my balance', sessionId: 'study-1', slots: [] });
    expect(await study.inbox.next()).toMatchObject({
      topic: 'hermes/dialogueManager/endSession',
      body: { sessionId: 'study-1' },
    });
    expect(study.inbox.messages).toHaveLength(1);
  });

  it("forwards a base station's replies for its child site to the base, and not to a satellite", async () => {
    const base = await addDevice(hub, { profile: 'rhasspy-base', name: 'Rhasspy base', identity: 'base' });
    const client = await connectClient(hub.mqttPort, { username: base.username, password: base.password });
    const inbox = await Inbox.open(client, HERMES_REPLIES);
    cleanup.push(() => inbox.close());
    const attic = await satellite('attic');

    await client.publishAsync(
      'hermes/intent/PlaceOrder',
      JSON.stringify({
        input: 'order a box of coffee capsules',
        intent: { intentName: 'PlaceOrder', confidenceScore: 1 },
        siteId: 'bedroom',
        sessionId: 'bedroom-1',
        slots: slots('coffee capsules', 1),
      }),
      { qos: 1 },
    );
    expect(await inbox.next()).toMatchObject({
      topic: 'hermes/dialogueManager/endSession',
      body: {
        sessionId: 'bedroom-1',
        text: 'One box of coffee capsules, 69 yuan. Please confirm on your phone.',
      },
    });
    const child = hub.hub.registry.children(base.id).find((device) => device.identity === 'bedroom');
    expect(child).toBeDefined();
    const intent = await onlyIntent(child?.id as string);
    await decide(hub, phone, intent, 'approve');
    expect(await inbox.next()).toMatchObject({ topic: 'hermes/tts/say', body: { siteId: 'bedroom' } });

    await attic.intent('CheckBalance', { input: 'whats my balance', sessionId: 'attic-1', slots: [] });
    expect((await attic.inbox.next()).body.sessionId).toBe('attic-1');
    expect(attic.inbox.messages).toHaveLength(1);
  });

  it('applies the policy named by a base child siteId', async () => {
    hub.settings.voice.speakers.nursery = { ordering: false };
    const base = await addDevice(hub, {
      profile: 'rhasspy-base',
      name: 'Upstairs base',
      identity: 'upstairs',
    });
    const client = await connectClient(hub.mqttPort, { username: base.username, password: base.password });
    const inbox = await Inbox.open(client, HERMES_REPLIES);
    cleanup.push(() => inbox.close());
    await client.publishAsync(
      'hermes/intent/PlaceOrder',
      JSON.stringify({
        input: 'order diapers',
        intent: { intentName: 'PlaceOrder', confidenceScore: 1 },
        siteId: 'nursery',
        sessionId: 'nursery-1',
        slots: slots('diapers'),
      }),
      { qos: 1 },
    );
    expect((await inbox.next()).body.text).toBe('Ordering is turned off on this speaker.');
    delete hub.settings.voice.speakers.nursery;
  });
});
