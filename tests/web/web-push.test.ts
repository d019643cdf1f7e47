import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureVapidKeys, PushSubscriptions, WebPushChannel } from '../../src/confirm/push/web-push.js';
import { openDatabase } from '../../src/store/database.js';
import {
  notificationFor,
  type PushHarness,
  pushChannelContract,
  realisticIntent,
} from '../contracts/push-channel.js';
import { ManualClock } from '../helpers/clock.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { eventually } from '../helpers/mqtt.js';
import { createIntent, fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';
import { decryptPush, startPushService, verifyVapid } from './push-service.js';

const SUBJECT = 'mailto:admin@homepay.example.cn';

/** A channel over a real database with one paired phone subscribed at a local push service. */
async function channelWithSubscriber() {
  const dir = mkdtempSync(path.join(tmpdir(), 'homepay-webpush-'));
  const db = openDatabase(path.join(dir, 'homepay.db'));
  db.prepare(
    "INSERT INTO phones (id, name, public_key, token_hash, created_at) VALUES ('ph_kitchen', 'Kitchen', 'x', 'h', 'now')",
  ).run();
  const service = await startPushService();
  const subscriber = service.subscriber('kitchen');
  const subscriptions = new PushSubscriptions(db, new ManualClock());
  subscriptions.save('ph_kitchen', subscriber);
  const vapid = ensureVapidKeys(dir);
  const channel = new WebPushChannel({ subscriptions, vapid, subject: SUBJECT, timeoutMs: 1500 });
  return {
    db,
    service,
    subscriber,
    subscriptions,
    vapid,
    channel,
    payloads: () => service.requests.map((request) => JSON.parse(decryptPush(request.body, subscriber))),
    async close() {
      await service.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

pushChannelContract('WebPushChannel', async (): Promise<PushHarness> => {
  const setup = await channelWithSubscriber();
  return {
    channel: setup.channel,
    received: async () => setup.payloads(),
    raw: async () =>
      setup.service.requests
        .map((request) => {
          const headers = Object.entries(request.headers).map(([key, value]) => `${key}: ${value}`);
          return `POST ${request.path}\n${headers.join('\n')}\n\n${decryptPush(request.body, setup.subscriber)}`;
        })
        .join('\n\n'),
    failReceiver: () => setup.service.answer(500),
    close: () => setup.close(),
  };
});

describe('Web Push on the wire', () => {
  let setup: Awaited<ReturnType<typeof channelWithSubscriber>>;
  afterEach(async () => {
    await setup?.close();
  });

  it('encrypts for the subscriber alone (aes128gcm) and signs with VAPID for the push service origin', async () => {
    setup = await channelWithSubscriber();
    const sent = notificationFor(realisticIntent(), null);
    await setup.channel.send(sent);
    const [request] = setup.service.requests;
    expect(request?.path).toBe('/push/kitchen');
    expect(request?.headers['content-encoding']).toBe('aes128gcm');
    expect(request?.body.toString('utf8')).not.toContain('小米商城');
    const { claims, publicKey } = verifyVapid(request?.headers.authorization);
    expect(publicKey).toBe(setup.vapid.publicKey);
    expect(claims.aud).toBe(setup.service.url);
    expect(claims.sub).toBe(SUBJECT);
    expect(Number(claims.exp) * 1000).toBeGreaterThan(Date.now());
    expect(Number(claims.exp) * 1000).toBeLessThanOrEqual(Date.now() + 24 * 3600_000);
  });

  it('asks for fast delivery of an approval while it can still be approved, and carries only what the notification shows', async () => {
    setup = await channelWithSubscriber();
    const intent = realisticIntent();
    await setup.channel.send(notificationFor(intent, null));
    const [request] = setup.service.requests;
    expect(request?.headers.urgency).toBe('high');
    expect(Number(request?.headers.ttl)).toBe(600);
    expect(setup.payloads()[0]).toEqual({
      kind: 'approval_needed',
      intentId: intent.id,
      title: 'Approve ¥38.70 to 小米商城?',
      body: expect.stringContaining('两袋猫粮'),
      url: `https://homepay.example.cn:8443/approve/${intent.id}`,
      amount: 3870,
      currency: 'CNY',
      payeeName: '小米商城',
      description: '两袋猫粮（三文鱼味）',
      status: 'requires_approval',
    });
    expect(JSON.stringify(setup.payloads()[0])).not.toContain(intent.challenge);
  });

  it('forgets a subscription the push service says is gone (410), without failing the send', async () => {
    setup = await channelWithSubscriber();
    setup.service.answer(410);
    await setup.channel.send(notificationFor(realisticIntent(), null));
    expect(setup.subscriptions.active()).toEqual([]);
  });

  it('sends nothing to a revoked phone', async () => {
    setup = await channelWithSubscriber();
    setup.db.prepare("UPDATE phones SET revoked_at = 'now' WHERE id = 'ph_kitchen'").run();
    await setup.channel.send(notificationFor(realisticIntent(), null));
    expect(setup.service.requests).toEqual([]);
  });

  it('keeps the VAPID key pair in the data dir, readable by the hub only, and the same across restarts', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'homepay-vapid-'));
    const first = ensureVapidKeys(dir);
    expect(first.publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect(statSync(path.join(dir, 'vapid-keys.json')).mode & 0o777).toBe(0o600);
    expect(ensureVapidKeys(dir)).toEqual(first);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('POST /api/phones/{id}/push-subscription', () => {
  let hub: TestHub;
  let phone: TestPhone;
  let other: TestPhone;
  let service: Awaited<ReturnType<typeof startPushService>>;

  beforeAll(async () => {
    hub = await startHub({ overrides: { push: { webPush: { subject: SUBJECT } } } });
    phone = await pairPhone(hub, '妈妈的手机');
    other = await pairPhone(hub, 'Kitchen tablet');
    await fundWallet(hub, phone, 100_000);
    service = await startPushService();
  });
  afterAll(async () => {
    await service.close();
    await hub.stop();
  });

  const subscribe = (who: TestPhone, body: Record<string, unknown>, phoneId = who.phoneId) =>
    hub.api({
      method: 'POST',
      url: `/api/phones/${phoneId}/push-subscription`,
      token: who.token,
      payload: body,
    });

  it('gives the web app the VAPID public key to subscribe with', async () => {
    const config = (await hub.api({ method: 'GET', url: '/api/web/config', token: phone.token })).json();
    expect(config.webPush.publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect(config.pushSubscriptions).toBe(0);
  });

  it('keeps a browser subscription for the phone that sent it, and forgets it on DELETE', async () => {
    const browser = { ...service.subscriber(), endpoint: 'https://fcm.googleapis.com/fcm/send/abc:def' };
    const body = { endpoint: browser.endpoint, expirationTime: null, keys: browser.keys };
    const created = await subscribe(phone, body);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toEqual({ endpoint: browser.endpoint, subscriptions: 1 });
    expect((await subscribe(phone, body)).json()).toEqual({ endpoint: browser.endpoint, subscriptions: 1 });
    const removed = await hub.api({
      method: 'DELETE',
      url: `/api/phones/${phone.phoneId}/push-subscription`,
      token: phone.token,
      payload: { endpoint: browser.endpoint },
    });
    expect(removed.json()).toEqual({ endpoint: browser.endpoint, subscriptions: 0 });
  });

  it('refuses a push service that is not https, keys of the wrong size, and another phone', async () => {
    const { keys } = service.subscriber();
    expect((await subscribe(phone, { endpoint: 'http://10.0.0.1/push', keys })).statusCode).toBe(400);
    const short = await subscribe(phone, {
      endpoint: 'https://push.example/x',
      keys: { ...keys, auth: 'AAAA' },
    });
    expect(short.statusCode).toBe(400);
    const theirs = await subscribe(other, { endpoint: 'https://push.example/y', keys }, phone.phoneId);
    expect(theirs.statusCode).toBe(403);
    expect(theirs.json()).toMatchObject({ error: { code: 'phone_mismatch' } });
    const admin = await hub.api({
      method: 'POST',
      url: `/api/phones/${phone.phoneId}/push-subscription`,
      payload: { endpoint: 'https://push.example/z', keys },
    });
    expect(admin.statusCode).toBe(403);
  });

  it('pushes a new intent to the subscribed phone, and its end state after the approval', async () => {
    // The route takes only https push services; this local one stands in for FCM, entered as the
    // service worker's subscription would be.
    const subscriber = service.subscriber('mum');
    hub.hub.db
      .prepare(
        'INSERT INTO push_subscriptions (endpoint, phone_id, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(
        subscriber.endpoint,
        phone.phoneId,
        subscriber.keys.p256dh,
        subscriber.keys.auth,
        new Date().toISOString(),
      );
    const intent = await createIntent(hub, { amount: 3870, description: '两袋猫粮' });
    await eventually(() => service.requests.some((r) => r.path === '/push/mum'));
    const first = JSON.parse(
      decryptPush(service.requests.find((r) => r.path === '/push/mum')?.body as Buffer, subscriber),
    );
    expect(first).toMatchObject({
      kind: 'approval_needed',
      intentId: intent.id,
      amount: 3870,
      payeeName: '小米商城',
    });
    expect(first.url).toMatch(new RegExp(`/approve/${intent.id}$`));
    expect(verifyVapid(service.requests.at(-1)?.headers.authorization).claims.sub).toBe(SUBJECT);

    await hub.api({
      method: 'POST',
      url: `/api/intents/${intent.id}/approve`,
      token: phone.token,
      payload: { phoneId: phone.phoneId, signature: phone.sign(intent, 'approve') },
    });
    await eventually(() => service.requests.filter((r) => r.path === '/push/mum').length === 2);
    const second = JSON.parse(
      decryptPush(service.requests.filter((r) => r.path === '/push/mum')[1]?.body as Buffer, subscriber),
    );
    expect(second).toMatchObject({ kind: 'intent_updated', intentId: intent.id, status: 'succeeded' });
  });
});
