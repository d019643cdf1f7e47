import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CATALOG, loadCatalog } from '../../src/catalog/load.js';
import type { VoiceIntentMessage } from '../../src/devices/types.js';
import { CatalogNames } from '../../src/voice/catalog-names.js';
import { heardFromHermes, heardFromSpeaker } from '../../src/voice/heard.js';
import { type Interpretation, Interpreter, MAX_UTTERANCE_CHARS } from '../../src/voice/interpret.js';
import { addDevice, startHub, type TestHub } from '../helpers/hub.js';
import { connectClient, eventually } from '../helpers/mqtt.js';
import { fundWallet, pairPhone } from '../helpers/phone.js';
import { checkDatabase } from './crash-harness/checker.js';
import { edgeStrings, FUZZ_SCALE, hostileValue } from './hostile.js';

/**
 * The utterance parser, fed anything a recognizer or a TV in the room could produce: it answers
 * with one of its request kinds, and an order always names catalog items in positive whole
 * quantities. Then the whole path over a real broker: hostile words to a speaker get a spoken
 * answer, never an intent for a wrong amount, never a crash.
 */

const catalog = loadCatalog(BUNDLED_CATALOG, 'CNY');
const interpreter = new Interpreter(new CatalogNames(catalog));
const skus = new Set(catalog.items.map((item) => item.sku));
const KINDS = new Set([
  'empty',
  'too_long',
  'order',
  'choose',
  'one_at_a_time',
  'unknown_item',
  'quantity_unclear',
  'price',
  'reorder',
  'cancel',
  'balance',
  'spending',
  'declined',
  'not_understood',
]);

/** Words a speaker might hear: catalog names, numbers and units in both languages, glued together. */
const fragments = [
  ...catalog.items.flatMap((item) => [...item.names.zh, ...item.names.en]),
  '帮我买',
  'order',
  'buy',
  '两',
  '俩',
  '十二',
  '一万亿亿',
  '九千九百九十九万亿',
  '负二',
  '零',
  '半',
  '0',
  '-2',
  '2.5',
  '1e9',
  '99999999999999999999',
  'a dozen',
  'a million billion',
  'zero',
  'minus three',
  'half a',
  '袋',
  '箱',
  'bags of',
  'packs',
  '和',
  'and',
  ',',
  '不对',
  '取消',
  '再来一单',
  '多少钱',
  'how much',
  '不要',
  ...edgeStrings.slice(0, 20),
];
const utterance = fc.oneof(
  fc.array(fc.constantFrom(...fragments), { maxLength: 12 }).map((parts) => parts.join(' ')),
  fc.array(fc.constantFrom(...fragments), { maxLength: 12 }).map((parts) => parts.join('')),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom(...edgeStrings),
);
const tag = fc.option(
  fc.oneof(fc.constantFrom('zh-CN', 'en-US', 'en', 'zh', '', 'xx', 'zh-Hant-TW'), fc.string()),
  {
    nil: undefined,
  },
);

function checkInterpretation(result: Interpretation): void {
  expect(KINDS.has(result.kind), result.kind).toBe(true);
  expect(['zh', 'en']).toContain(result.lang);
  if (result.kind === 'order' || result.kind === 'choose') {
    for (const line of result.lines) {
      expect(skus.has(line.item.sku)).toBe(true);
      expect(Number.isSafeInteger(line.quantity) && line.quantity > 0, `quantity ${line.quantity}`).toBe(
        true,
      );
    }
  }
  if (result.kind === 'choose')
    expect(Number.isSafeInteger(result.quantity) && result.quantity > 0, `quantity ${result.quantity}`).toBe(
      true,
    );
}

const VOICE_RUNS = 3000 * FUZZ_SCALE;

describe('fuzzing the utterance parser', () => {
  it('answers every utterance with a request kind, and orders only catalog items in positive whole quantities', () => {
    fc.assert(
      fc.property(utterance, tag, (text, lang) => {
        checkInterpretation(interpreter.interpret(text, lang));
      }),
      { numRuns: VOICE_RUNS },
    );
  });

  it('refuses 1 MB of words as too long, quickly', () => {
    const started = performance.now();
    const result = interpreter.interpret('猫粮'.repeat(512 * 1024));
    expect(result.kind).toBe('too_long');
    expect(performance.now() - started).toBeLessThan(1000);
    expect([...'x'.repeat(MAX_UTTERANCE_CHARS + 1)].length).toBeGreaterThan(MAX_UTTERANCE_CHARS);
  });

  it('reads hostile Hermes slots (wrong types, unicode, huge and negative quantities) without throwing', () => {
    const slot = (slotName: string) =>
      fc.record({
        slotName: fc.constant(slotName),
        value: hostileValue,
        rawValue: fc.option(fc.string(), { nil: undefined }),
      });
    fc.assert(
      fc.property(
        fc.constantFrom(
          'PlaceOrder',
          'Reorder',
          'CancelOrder',
          'CheckBalance',
          'CheckSpending',
          'NotRecognized',
        ),
        utterance,
        fc.array(fc.oneof(slot('item'), slot('quantity'), slot('other')), { maxLength: 4 }),
        (intentName, input, slots) => {
          const message: VoiceIntentMessage = {
            kind: 'voice-intent',
            intentName,
            input,
            siteId: 'kitchen',
            sessionId: 's-1',
            slots,
          };
          checkInterpretation(heardFromHermes('dev_x', message, interpreter).interpret());
        },
      ),
      { numRuns: VOICE_RUNS / 3 },
    );
  });

  it('answers "which one?" with a choice, cancel or nothing for any reply', () => {
    const choices = catalog.items.filter((item) => item.names.zh.some((name) => name.includes('牛奶')));
    fc.assert(
      fc.property(utterance, tag, (text, lang) => {
        const choice = interpreter.choose(text, choices, lang);
        if (choice !== undefined && choice !== 'cancel') expect(choices).toContain(choice);
        heardFromSpeaker('dev_x', { kind: 'utterance', text, sessionId: 's' }, interpreter).interpret();
      }),
      { numRuns: VOICE_RUNS / 3 },
    );
  });
});

describe('hostile words to a real speaker', () => {
  let hub: TestHub;
  let client: MqttClient;
  let speakerId: string;
  const said: Array<{ text: string; sessionId: string }> = [];

  beforeAll(async () => {
    hub = await startHub();
    const phone = await pairPhone(hub);
    await fundWallet(hub, phone, 100_000);
    const speaker = await addDevice(hub, { profile: 'homepay-speaker', name: 'Living room TV speaker' });
    speakerId = speaker.id;
    client = await connectClient(hub.mqttPort, { username: speaker.username, password: speaker.password });
    client.on('message', (_topic, payload) =>
      said.push(JSON.parse(payload.toString()) as (typeof said)[number]),
    );
    await client.subscribeAsync(`homepay/speaker/${speaker.id}/say`, { qos: 1 });
  });
  afterAll(async () => {
    await client?.endAsync();
    await hub?.stop();
  });

  it('answers every one (or logs why not), makes intents only for catalog prices, and never moves money', async () => {
    const samples = fc.sample(utterance, { numRuns: 120, seed: 42 });
    const odd = [
      '帮我买99999999999999999999袋猫粮',
      '帮我买负二袋猫粮',
      '帮我买2.5袋猫粮',
      '买零袋猫粮',
      'order -3 bags of cat food',
      'order 1e9 bags of cat food',
      'order a million billion bags of cat food',
      '帮我买一万亿亿袋猫粮',
    ];
    const texts = [...odd, ...samples];
    const walletBefore = checkDatabase(hubDb(hub)).stats;
    let sent = 0;
    for (const [i, text] of texts.entries()) {
      await client.publishAsync(
        `homepay/speaker/${speakerId}/utterance`,
        JSON.stringify({ text, sessionId: `fuzz-${i}` }),
        { qos: 1 },
      );
      sent++;
      // Under the broker's rate limit (50 a second).
      if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 450));
    }
    // A payload whose text is not a string is answered too (asked to say it again), and logged.
    await client.publishAsync(
      `homepay/speaker/${speakerId}/utterance`,
      JSON.stringify({ text: 12, sessionId: 'fuzz-typed' }),
      { qos: 1 },
    );
    sent++;
    await eventually(() => new Set(said.map((s) => s.sessionId)).size >= sent, 20_000);
    expect(said.some((answer) => answer.sessionId === 'fuzz-typed')).toBe(true);
    expect(hub.logs.some((line) => line.msg === 'speaker sent no readable text')).toBe(true);
    expect(said.every((answer) => typeof answer.text === 'string' && answer.text.length > 0)).toBe(true);
    const report = checkDatabase(hubDb(hub));
    expect(report.violations).toEqual([]);
    // Orders may be placed (waiting for the phone), but nothing was paid and the balance is as it was.
    expect(report.stats.walletBalance).toBe(walletBefore.walletBalance);
    expect(report.stats.transactions).toBe(walletBefore.transactions);
    const voiceIntents = hub.hub.intents
      .list({ limit: 500 })
      .filter((intent) => intent.source.kind === 'voice');
    for (const intent of voiceIntents) {
      expect(Number.isSafeInteger(intent.amount) && intent.amount > 0).toBe(true);
      // voice.policy.maxPerOrder
      expect(intent.amount).toBeLessThanOrEqual(50_000);
      expect(['requires_approval', 'canceled']).toContain(intent.status);
    }
    expect(hub.logs.filter((line) => line.level >= 50)).toEqual([]);
  }, 60_000);
});

function hubDb(hub: TestHub): string {
  return `${hub.dataDir}/homepay.db`;
}
