import type { IPublishPacket, MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Intent } from '../../src/payments/intent.js';
import { type EventStream, openEventStream } from '../contracts/push-channel.js';
import { addDevice, startHub, type TestHub } from '../helpers/hub.js';
import { connectClient, eventually, subscribeGrants, topicMatches } from '../helpers/mqtt.js';
import { createIntent, decide, fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';

let hub: TestHub;
let phone: TestPhone;
const streams: EventStream[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  hub = await startHub();
  phone = await pairPhone(hub, '妈妈的手机');
  await fundWallet(hub, phone, 100_000);
});
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
});
afterAll(async () => {
  await hub.stop();
});

function eventsUrl(query = ''): string {
  return `${hub.hub.httpUrl()}/api/events${query}`;
}

async function stream(url: string, init: RequestInit = {}): Promise<EventStream> {
  const opened = await openEventStream(url, init);
  streams.push(opened);
  return opened;
}

function intentEvents(events: EventStream['events'], intentId: string) {
  return events
    .map((event) => ({ event: event.event, intent: JSON.parse(event.data) as Intent }))
    .filter(({ intent }) => intent.id === intentId);
}

describe('GET /api/events over real HTTP', () => {
  it('streams approval_needed with the intent JSON to a paired phone when an intent is created, and intent_updated when it is approved', async () => {
    const events = await stream(eventsUrl(), { headers: { authorization: `Bearer ${phone.token}` } });
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);

    const intent = await createIntent(hub, { amount: 3870, description: '两袋猫粮（三文鱼味）' });
    const asked = await events.next((e) => e.event === 'approval_needed' && e.data.includes(intent.id));
    expect(JSON.parse(asked.data)).toEqual(intent);

    const approved = await decide(hub, phone, intent, 'approve');
    expect(approved.statusCode).toBe(200);
    const updated = await events.next((e) => e.event === 'intent_updated' && e.data.includes(intent.id));
    expect(JSON.parse(updated.data)).toEqual(approved.json());
    expect(JSON.parse(updated.data)).toMatchObject({ status: 'succeeded', decidedBy: phone.phoneId });

    expect(intentEvents(events.events, intent.id).map(({ event, intent: i }) => [event, i.status])).toEqual([
      ['approval_needed', 'requires_approval'],
      ['intent_updated', 'succeeded'],
    ]);
  });

  it('accepts the phone token as ?token= for EventSource, which cannot send headers', async () => {
    const events = await stream(eventsUrl(`?token=${encodeURIComponent(phone.token)}`));
    expect(events.status).toBe(200);
    const intent = await createIntent(hub);
    const asked = await events.next((e) => e.event === 'approval_needed' && e.data.includes(intent.id));
    expect(JSON.parse(asked.data)).toEqual(intent);
  });

  it('streams a denial to the phone as intent_updated with status denied', async () => {
    const events = await stream(eventsUrl(), { headers: { authorization: `Bearer ${phone.token}` } });
    const intent = await createIntent(hub);
    await events.next((e) => e.event === 'approval_needed' && e.data.includes(intent.id));
    expect((await decide(hub, phone, intent, 'deny')).statusCode).toBe(200);
    const updated = await events.next((e) => e.event === 'intent_updated' && e.data.includes(intent.id));
    expect(JSON.parse(updated.data)).toMatchObject({ id: intent.id, status: 'denied' });
  });

  it('carries no bearer token in the stream', async () => {
    const events = await stream(eventsUrl(), { headers: { authorization: `Bearer ${phone.token}` } });
    const intent = await createIntent(hub);
    await events.next((e) => e.event === 'approval_needed' && e.data.includes(intent.id));
    expect(events.text()).not.toContain(phone.token);
    expect(events.text()).not.toContain(hub.adminToken);
    expect(events.text()).not.toMatch(/hp[ap]_/);
  });

  it('answers 401 unauthorized without a token, with a wrong token, and with a wrong ?token=', async () => {
    for (const [url, init] of [
      [eventsUrl(), {}],
      [eventsUrl(), { headers: { authorization: 'Bearer hpp_not_a_real_token' } }],
      [eventsUrl('?token=hpp_not_a_real_token'), {}],
    ] as const) {
      const response = await fetch(url, init);
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      expect(await response.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
  });

  it('takes ?token= on the event stream only, not on other routes', async () => {
    const response = await fetch(`${hub.hub.httpUrl()}/api/intents?token=${encodeURIComponent(phone.token)}`);
    expect(response.status).toBe(401);
    await response.body?.cancel();
  });

  it("ends a phone's open stream when the admin revokes that phone", async () => {
    const revoked = await pairPhone(hub, 'Lost phone');
    const events = await stream(eventsUrl(), { headers: { authorization: `Bearer ${revoked.token}` } });
    const removed = await hub.api({ method: 'DELETE', url: `/api/phones/${revoked.phoneId}` });
    expect(removed.statusCode).toBeLessThan(300);

    const intent = await createIntent(hub);
    // The revoked phone must hear nothing more: its stream ends instead of carrying the new intent.
    let ended = false;
    void events.ended.then(() => {
      ended = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect({ ended, heardNewIntent: events.text().includes(intent.id) }).toEqual({
      ended: true,
      heardNewIntent: false,
    });
  });
});

describe('hub events over MQTT for a homepay-integration client', () => {
  async function integration(name = 'Home Assistant'): Promise<MqttClient> {
    const device = await addDevice(hub, { profile: 'homepay-integration', name });
    const client = await connectClient(hub.mqttPort, {
      username: device.username,
      password: device.password,
    });
    clients.push(client);
    return client;
  }

  /** Every message on topics matching `filter` from now on, with the packet as it arrived. */
  function collect(client: MqttClient, filter: string) {
    const messages: Array<{ topic: string; payload: string; qos: number; retain: boolean }> = [];
    client.on('message', (topic: string, payload: Buffer, packet: IPublishPacket) => {
      if (topicMatches(filter, topic)) {
        messages.push({ topic, payload: payload.toString('utf8'), qos: packet.qos, retain: packet.retain });
      }
    });
    return messages;
  }

  /** Settles when the broker closes the client's connection, or fails after `timeoutMs`. */
  function closed(client: MqttClient, timeoutMs = 3000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`still connected after ${timeoutMs} ms`)), timeoutMs);
      client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  it('receives homepay/status as a retained "online"', async () => {
    const client = await integration();
    const messages = collect(client, 'homepay/status');
    expect(await client.subscribeAsync('homepay/status', { qos: 1 })).toEqual([
      { topic: 'homepay/status', qos: 1 },
    ]);
    await eventually(() => messages.length > 0);
    expect(messages[0]).toMatchObject({ topic: 'homepay/status', payload: 'online', retain: true });
  });

  it('receives homepay/intent/{id} at QoS 1 with the intent JSON for requires_approval, processing and succeeded, in order', async () => {
    const client = await integration();
    const messages = collect(client, 'homepay/intent/+');
    expect(await client.subscribeAsync('homepay/intent/+', { qos: 1 })).toEqual([
      { topic: 'homepay/intent/+', qos: 1 },
    ]);

    const intent = await createIntent(hub, { amount: 1250, payee: { id: 'hema', name: '盒马鲜生' } });
    const approved = await decide(hub, phone, intent, 'approve');
    expect(approved.statusCode).toBe(200);

    const mine = () => messages.filter((m) => m.topic === `homepay/intent/${intent.id}`);
    await eventually(() => mine().length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const received = mine();
    expect(received.map((m) => (JSON.parse(m.payload) as Intent).status)).toEqual([
      'requires_approval',
      'processing',
      'succeeded',
    ]);
    expect(received.map((m) => m.qos)).toEqual([1, 1, 1]);
    expect(JSON.parse(received[0]?.payload ?? '')).toEqual(intent);
    expect(JSON.parse(received[2]?.payload ?? '')).toEqual(approved.json());
    expect(JSON.parse(received[1]?.payload ?? '')).toMatchObject({
      id: intent.id,
      status: 'processing',
      decidedBy: phone.phoneId,
    });
    for (const message of received) expect(message.payload).not.toMatch(/hp[ap]_/);
  });

  it('is refused with SUBACK 128 on #, on a device topic such as tele/+/SENSOR, and stays connected', async () => {
    const client = await integration();
    expect(await subscribeGrants(client, ['#'])).toEqual({ '#': 128 });
    expect(await subscribeGrants(client, ['tele/+/SENSOR'])).toEqual({ 'tele/+/SENSOR': 128 });
    expect(await subscribeGrants(client, ['homepay/#', 'homepay/+/+'])).toEqual({
      'homepay/#': 128,
      'homepay/+/+': 128,
    });
    expect(client.connected).toBe(true);
    expect(await subscribeGrants(client, ['homepay/status'])).toEqual({ 'homepay/status': 0 });
    expect(hub.logs.some((line) => line.msg === 'mqtt refused' && line.topic === 'tele/+/SENSOR')).toBe(true);
  });

  it('is disconnected for publishing, even on a hub topic, and the hub status stays online', async () => {
    const rogue = await integration('Node-RED');
    const gone = closed(rogue);
    rogue.publish('homepay/status', 'offline', { qos: 1, retain: true });
    await gone;

    const watcher = await integration('Homebridge');
    const status = collect(watcher, 'homepay/status');
    await watcher.subscribeAsync('homepay/status', { qos: 1 });
    await eventually(() => status.length > 0);
    expect(status[0]).toMatchObject({ payload: 'online', retain: true });
  });

  it('is disconnected for publishing a forged intent, which no subscriber receives', async () => {
    const watcher = await integration('Home Assistant');
    const messages = collect(watcher, 'homepay/intent/+');
    await watcher.subscribeAsync('homepay/intent/+', { qos: 1 });

    const rogue = await integration('Script');
    const gone = closed(rogue);
    rogue.publish('homepay/intent/pi_forged', JSON.stringify({ id: 'pi_forged', status: 'succeeded' }), {
      qos: 1,
    });
    await gone;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(messages.filter((m) => m.topic === 'homepay/intent/pi_forged')).toEqual([]);
    expect(
      hub.logs.some(
        (line) =>
          line.msg === 'mqtt refused' &&
          line.topic === 'homepay/intent/pi_forged' &&
          line.action === 'publish',
      ),
    ).toBe(true);
  });
});

describe('stopping the hub', () => {
  it('ends open event streams', async () => {
    const own = await startHub();
    try {
      const ownPhone = await pairPhone(own, 'Kitchen tablet');
      const events = await openEventStream(`${own.hub.httpUrl()}/api/events`, {
        headers: { authorization: `Bearer ${ownPhone.token}` },
      });
      expect(events.status).toBe(200);
      await own.stop();
      await events.ended;
    } finally {
      await own.stop();
    }
  });
});
