import { afterEach, describe, expect, it } from 'vitest';
import type { Intent } from '../../src/payments/intent.js';
import type { TestHub } from '../helpers/hub.js';
import { startHub } from '../helpers/hub.js';
import { fundWallet, pairPhone } from '../helpers/phone.js';
import { connectSpeaker, type TestSpeaker } from '../voice/voice-helpers.js';

const opened: Array<{ hub: TestHub; speakers: TestSpeaker[] }> = [];
afterEach(async () => {
  for (const { hub, speakers } of opened.splice(0)) {
    for (const speaker of speakers) await speaker.inbox.close().catch(() => {});
    await hub.stop();
  }
});

async function householdWithSpeaker() {
  const hub = await startHub({ overrides: { tls: { enabled: false } } });
  const phone = await pairPhone(hub);
  await fundWallet(hub, phone, 50_000);
  const speaker = await connectSpeaker(hub);
  const entry = { hub, speakers: [speaker] };
  opened.push(entry);
  return { hub, phone, speaker, entry };
}

async function waitingIntents(hub: TestHub): Promise<Intent[]> {
  return (await hub.api({ method: 'GET', url: '/api/intents?status=requires_approval' })).json() as Intent[];
}

describe('the home-wide voice ordering switch (PUT /api/voice/ordering)', () => {
  it('is on until someone turns it off, and only the admin may change it', async () => {
    const { hub, phone } = await householdWithSpeaker();
    expect((await hub.api({ method: 'GET', url: '/api/voice/ordering' })).json()).toEqual({
      enabled: true,
      changedAt: null,
    });
    const asPhone = await hub.api({
      method: 'PUT',
      url: '/api/voice/ordering',
      token: phone.token,
      payload: { enabled: false },
    });
    expect(asPhone.statusCode).toBe(403);
    expect(asPhone.json()).toMatchObject({ error: { code: 'forbidden' } });
    // A phone may read it: the web app can show why a speaker refuses.
    const read = await hub.api({ method: 'GET', url: '/api/voice/ordering', token: phone.token });
    expect(read.json()).toMatchObject({ enabled: true });
    const bad = await hub.api({ method: 'PUT', url: '/api/voice/ordering', payload: { enabled: 'no' } });
    expect(bad.statusCode).toBe(400);
    const extra = await hub.api({
      method: 'PUT',
      url: '/api/voice/ordering',
      payload: { enabled: false, x: 1 },
    });
    expect(extra.statusCode).toBe(400);
    const anonymous = await hub.api({ method: 'GET', url: '/api/voice/ordering', token: null });
    expect(anonymous.statusCode).toBe(401);
  });

  it('off, every speaker hears why and no intent is made; balance still answers; on again, orders work', async () => {
    const { hub, speaker } = await householdWithSpeaker();
    const off = await hub.api({ method: 'PUT', url: '/api/voice/ordering', payload: { enabled: false } });
    expect(off.json()).toMatchObject({ enabled: false, changedAt: expect.any(String) });

    await speaker.utter('帮我买两袋猫粮', 's-off-1');
    expect(await speaker.inbox.nextText()).toBe('家里的语音下单已关闭。');
    await speaker.utter('order two bags of cat food', 's-off-2');
    expect(await speaker.inbox.nextText()).toBe('Voice ordering is turned off for the whole home.');
    await speaker.utter('余额还有多少', 's-off-3');
    expect(await speaker.inbox.nextText()).toBe('钱包还有500元可用。');
    expect(await waitingIntents(hub)).toEqual([]);
    expect(
      hub.logs.some((line) => line.msg === 'voice order refused: voice ordering is off for the home'),
    ).toBe(true);

    const on = await hub.api({ method: 'PUT', url: '/api/voice/ordering', payload: { enabled: true } });
    expect(on.json()).toMatchObject({ enabled: true });
    await speaker.utter('帮我买两袋猫粮', 's-on-1');
    expect(await speaker.inbox.nextText()).toContain('请在手机上确认');
    expect(await waitingIntents(hub)).toHaveLength(1);
  });

  it('stays off across a restart, and setting it to what it is changes nothing', async () => {
    const { hub, entry } = await householdWithSpeaker();
    const off = (
      await hub.api({ method: 'PUT', url: '/api/voice/ordering', payload: { enabled: false } })
    ).json() as {
      changedAt: string;
    };
    const again = (
      await hub.api({ method: 'PUT', url: '/api/voice/ordering', payload: { enabled: false } })
    ).json();
    expect(again).toEqual({ enabled: false, changedAt: off.changedAt });
    await hub.restart();
    expect((await hub.api({ method: 'GET', url: '/api/voice/ordering' })).json()).toEqual({
      enabled: false,
      changedAt: off.changedAt,
    });
    const speaker = await (entry.speakers[0] as TestSpeaker).reconnect();
    entry.speakers.push(speaker);
    await speaker.utter('帮我买两袋猫粮', 's-restart');
    expect(await speaker.inbox.nextText()).toBe('家里的语音下单已关闭。');
  });
});
