import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettingsSchema } from '../../src/config/schema.js';
import type { Intent } from '../../src/payments/intent.js';
import { inWindow, policyFor } from '../../src/voice/policy.js';
import { WALLET_ACCOUNT } from '../../src/wallet/ledger.js';
import { ManualClock } from '../helpers/clock.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { eventually } from '../helpers/mqtt.js';
import { decide, fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';
import { connectSpeaker, type TestSpeaker, voiceIntents } from './voice-helpers.js';

/**
 * Speaker policies (SPEC "Voice orders" step 2), through a running hub: each refusal is spoken
 * with its reason and leaves no intent; an allowed order still waits for the phone.
 */

// 2026-11-27 23:00 in Shanghai: inside the kids' room quiet hours, outside the kitchen's.
const clock = new ManualClock(Date.parse('2026-11-27T15:00:00.000Z'));
let hub: TestHub;
let phone: TestPhone;
const speakers: TestSpeaker[] = [];

beforeAll(async () => {
  hub = await startHub({
    clock,
    overrides: {
      voice: {
        policy: { maxPerOrder: 20_000, dailyCap: 30_000, maxQuantity: 10 },
        speakers: {
          'Guest room': { ordering: false },
          'Kids room': { categories: ['groceries', 'drinks'], quietHours: { from: '21:00', to: '07:00' } },
          Study: { voiceProfiles: ['alice', 'bob'] },
          Garage: { categories: ['household'] },
        },
      },
    },
  });
  phone = await pairPhone(hub);
  await fundWallet(hub, phone, 500_000);
});

afterAll(async () => {
  for (const speaker of speakers) await speaker.inbox.close().catch(() => {});
  await hub.stop();
});

async function speaker(name: string): Promise<TestSpeaker> {
  const connected = await connectSpeaker(hub, name);
  speakers.push(connected);
  return connected;
}

let session = 0;
async function ask(on: TestSpeaker, text: string, extra: Record<string, unknown> = {}): Promise<string> {
  await on.utter(text, `p-${++session}`, extra);
  return on.inbox.nextText();
}

describe('a speaker policy', () => {
  it('turns ordering off on one speaker by its name, and still answers other questions there', async () => {
    const guest = await speaker('Guest room');
    expect(await ask(guest, '帮我买两袋猫粮')).toBe('这个音箱不能下单。');
    expect(await ask(guest, 'order a bag of cat food')).toBe('Ordering is turned off on this speaker.');
    expect(await ask(guest, '钱包还有多少钱')).toMatch(/^钱包还有/);
    expect(voiceIntents(hub, guest.id)).toHaveLength(0);
  });

  it('refuses categories the speaker may not order, naming the category', async () => {
    const garage = await speaker('Garage');
    expect(await ask(garage, '帮我买两袋猫粮')).toBe('这个音箱不能买宠物用品。');
    expect(await ask(garage, 'order two bottles of beer')).toBe(
      "This speaker isn't allowed to order alcohol.",
    );
    expect(await ask(garage, 'order a pack of trash bags')).toBe(
      'One pack of trash bags, 15 yuan 90. Please confirm on your phone.',
    );
    expect(voiceIntents(hub, garage.id)).toHaveLength(1);
  });

  it('refuses during quiet hours with the hours, and orders again once they are over', async () => {
    const kids = await speaker('Kids room');
    expect(await ask(kids, '买一箱纯牛奶吧')).toBe('现在是免打扰时间(21:00到07:00),不能下单。');
    expect(voiceIntents(hub, kids.id)).toHaveLength(0);
    clock.advance(9 * 3600_000); // 08:00 the next morning
    try {
      expect(await ask(kids, '买一箱纯牛奶')).toBe('一箱纯牛奶,共65.9元,请在手机上确认');
      expect(await ask(kids, '买一盒猫条')).toBe('这个音箱不能买宠物用品。');
    } finally {
      clock.advance(-9 * 3600_000);
    }
  });

  it('takes orders only from the listed voice profiles where a list is set', async () => {
    const study = await speaker('Study');
    const refusal = "Sorry, this speaker only takes orders from the household's registered voices.";
    expect(await ask(study, 'order a box of eggs', { voiceProfile: 'mallory' })).toBe(refusal);
    expect(await ask(study, 'order a box of eggs')).toBe(refusal);
    expect(await ask(study, 'order a box of eggs', { voiceProfile: 'alice' })).toBe(
      'One box of eggs, 29 yuan 90. Please confirm on your phone.',
    );
  });

  it('limits units per item, the amount of one order, and what a speaker orders in a day', async () => {
    const kitchen = await speaker('Kitchen');
    expect(await ask(kitchen, '买十一袋猫粮')).toBe('猫粮一次最多买十袋。');
    expect(await ask(kitchen, '买五袋猫粮')).toBe('这单共222.5元,超过了这个音箱每单200元的上限。');
    expect(await ask(kitchen, 'order four bags of cat food')).toBe(
      'Four bags of cat food, 178 yuan. Please confirm on your phone.',
    );
    expect(await ask(kitchen, '买两袋猫粮')).toBe('两袋猫粮,共89元,请在手机上确认');
    // 267 of 300 yuan used today: another 44.5 would pass the cap.
    expect(await ask(kitchen, '买一袋猫粮')).toBe(
      '今天这个音箱已经下单267元,再买44.5元就超过每天300元的上限了。',
    );
    // A denied order gives its share of the cap back.
    const [first] = voiceIntents(hub, kitchen.id).filter((intent) => intent.amount === 17_800);
    await decide(hub, phone, first as Intent, 'deny');
    expect(await kitchen.inbox.nextText()).toMatch(/declined/);
    expect(await ask(kitchen, '买一袋猫粮')).toBe('一袋猫粮,共44.5元,请在手机上确认');
  });

  it('prefers an override keyed by device id to one keyed by its name', async () => {
    const twin = await speaker('Guest room');
    hub.settings.voice.speakers[twin.id] = { ordering: true };
    try {
      expect(await ask(twin, 'order a box of eggs')).toBe(
        'One box of eggs, 29 yuan 90. Please confirm on your phone.',
      );
    } finally {
      delete hub.settings.voice.speakers[twin.id];
    }
  });

  it('never lets an order skip the phone: the most permissive policy still makes an intent waiting for approval', async () => {
    const open = await speaker('Open plan');
    const balance = hub.hub.ledger.balance(WALLET_ACCOUNT);
    expect(await ask(open, 'order a box of eggs')).toBe(
      'One box of eggs, 29 yuan 90. Please confirm on your phone.',
    );
    await eventually(() => voiceIntents(hub, open.id).length === 1);
    expect(voiceIntents(hub, open.id)[0]?.status).toBe('requires_approval');
    expect(hub.hub.ledger.balance(WALLET_ACCOUNT)).toBe(balance);
    // No setting could say otherwise: a policy has only keys that refuse.
    expect(Object.keys(SettingsSchema.properties.voice.properties.policy.properties).sort()).toEqual([
      'categories',
      'dailyCap',
      'maxPerOrder',
      'maxQuantity',
      'ordering',
      'quietHours',
      'voiceProfiles',
    ]);
  });
});

describe('policy rules', () => {
  it('takes quiet hours across midnight, within a day, and from = to as none', () => {
    const at = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
    expect(inWindow(at('23:30'), at('22:00'), at('07:00'))).toBe(true);
    expect(inWindow(at('06:59'), at('22:00'), at('07:00'))).toBe(true);
    expect(inWindow(at('07:00'), at('22:00'), at('07:00'))).toBe(false);
    expect(inWindow(at('12:00'), at('12:00'), at('14:00'))).toBe(true);
    expect(inWindow(at('14:00'), at('12:00'), at('14:00'))).toBe(false);
    expect(inWindow(at('03:00'), at('00:00'), at('00:00'))).toBe(false);
  });

  it('merges the default, then the name override, then the id override, key by key', () => {
    const voice = {
      defaultLanguage: 'zh' as const,
      policy: { ordering: true, maxPerOrder: 100, maxQuantity: 5, dailyCap: 1000, categories: ['*'] },
      speakers: { kitchen: { maxQuantity: 2, dailyCap: 50 }, dev_1: { dailyCap: 70 } },
    };
    expect(policyFor(voice, { id: 'dev_1', name: 'kitchen' })).toEqual({
      ordering: true,
      maxPerOrder: 100,
      maxQuantity: 2,
      dailyCap: 70,
      categories: ['*'],
    });
    expect(policyFor(voice, { id: 'dev_2' })).toEqual(voice.policy);
  });
});
