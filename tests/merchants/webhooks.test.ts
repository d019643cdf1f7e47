import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Intent } from '../../src/payments/intent.js';
import { ManualClock } from '../helpers/clock.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { eventually } from '../helpers/mqtt.js';
import { decide, fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';

/**
 * An independent verifier, as a merchant would write it with node:crypto (no tweetnacl): the
 * public key as a JWK, the message `{t}.{body}`, the signature from `Homepay-Signature`.
 */
function verifyWebhook(
  publicKeyBase64: string,
  header: string,
  body: string,
): { ok: boolean; timestamp: number } {
  const match = /^t=(\d+),ed25519=([A-Za-z0-9+/=]+)$/.exec(header);
  if (!match) return { ok: false, timestamp: 0 };
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKeyBase64, 'base64').toString('base64url') },
    format: 'jwk',
  });
  const ok = verify(
    null,
    Buffer.from(`${match[1]}.${body}`, 'utf8'),
    key,
    Buffer.from(match[2] as string, 'base64'),
  );
  return { ok, timestamp: Number(match[1]) };
}

interface Delivery {
  eventId: string;
  header: string;
  signatureOk: boolean;
  timestamp: number;
  body: string;
}

/**
 * A merchant's webhook endpoint on a real local HTTP server. It fails the first request outright
 * (500), processes the second but loses the connection before answering (the hub sees a failure
 * and must retry), and answers the third. Processing is deduplicated by event id, as the docs
 * tell merchants to do.
 */
class Receiver {
  readonly deliveries: Delivery[] = [];
  readonly processed: Array<{ id: string; type: string; data: Record<string, unknown> }> = [];
  private readonly server: Server;

  constructor(private readonly publicKey: () => string) {
    this.server = createServer(async (request, response) => {
      const body = await readBody(request);
      const verified = verifyWebhook(this.publicKey(), String(request.headers['homepay-signature']), body);
      const eventId = String(request.headers['homepay-event-id']);
      const header = String(request.headers['homepay-signature']);
      this.deliveries.push({
        eventId,
        header,
        signatureOk: verified.ok,
        timestamp: verified.timestamp,
        body,
      });
      if (!verified.ok) return response.writeHead(401).end();
      const attempt = this.deliveries.filter((d) => d.eventId === eventId).length;
      if (attempt === 1) return response.writeHead(500).end('not today');
      const event = JSON.parse(body) as { id: string; type: string; data: Record<string, unknown> };
      if (event.id !== eventId) return response.writeHead(400).end();
      if (!this.processed.some((p) => p.id === event.id)) this.processed.push(event);
      if (attempt === 2) return request.socket.destroy();
      response.writeHead(200).end('ok');
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/homepay`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

const clock = new ManualClock();
let hub: TestHub;
let phone: TestPhone;
let receiver: Receiver;
let merchant: { id: string; key: string; publicKey: string };

beforeAll(async () => {
  hub = await startHub({ clock });
  phone = await pairPhone(hub);
  await fundWallet(hub, phone, 100_000);
  receiver = new Receiver(() => merchant.publicKey);
  const webhookUrl = await receiver.start();
  const created = await hub.api({
    method: 'POST',
    url: '/api/merchants',
    payload: { name: '小米商城', category: 'electronics', webhookUrl },
  });
  expect(created.statusCode).toBe(201);
  const body = created.json();
  merchant = { id: body.merchant.id, key: body.key, publicKey: body.webhookPublicKey };
});
afterAll(async () => {
  await hub.stop();
  await receiver.stop();
});

function asMerchant(request: Parameters<TestHub['api']>[0]) {
  return hub.api({ ...request, token: merchant.key });
}

async function merchantIntent(idempotencyKey: string, amount = 4990): Promise<Intent> {
  const response = await asMerchant({
    method: 'POST',
    url: '/api/intents',
    headers: { 'idempotency-key': idempotencyKey },
    payload: { amount, payee: { id: 'someone_else', name: 'Not me' }, description: '小米手环 8' },
  });
  expect(response.statusCode).toBe(201);
  return response.json() as Intent;
}

describe('merchant keys', () => {
  it('shows the key once and stores only its digest', async () => {
    expect(merchant.key).toMatch(/^hpm_/);
    const listed = await hub.api({ method: 'GET', url: '/api/merchants' });
    expect(listed.body).not.toContain(merchant.key);
    expect(listed.json()[0]).toMatchObject({
      id: merchant.id,
      name: '小米商城',
      keyPrefix: merchant.key.slice(0, 12),
    });
    const db = readFileSync(path.join(hub.dataDir, 'homepay.db'));
    expect(db.includes(Buffer.from(merchant.key))).toBe(false);
    expect(JSON.stringify(hub.logs)).not.toContain(merchant.key);
    // The signing key stays in its 0600 file, never in a response.
    const seed = readFileSync(path.join(hub.dataDir, 'webhook-signing-key'), 'utf8').trim();
    expect(listed.body).not.toContain(seed);
  });

  it('binds the merchant as the payee of its intents and keeps each idempotency key to one intent', async () => {
    const intent = await merchantIntent('order-1001');
    expect(intent).toMatchObject({
      payee: { id: merchant.id, name: '小米商城' },
      source: { kind: 'merchant' },
      category: 'electronics',
    });
    const again = await asMerchant({
      method: 'POST',
      url: '/api/intents',
      headers: { 'idempotency-key': 'order-1001' },
      payload: { amount: 4990, payee: { id: 'someone_else', name: 'Not me' }, description: '小米手环 8' },
    });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(intent.id);
    const reused = await asMerchant({
      method: 'POST',
      url: '/api/intents',
      headers: { 'idempotency-key': 'order-1001' },
      payload: { amount: 1, payee: { id: 'x', name: 'x' }, description: 'other' },
    });
    expect(reused.json().error.code).toBe('idempotency_key_reused');
    // A merchant may not read the household's intents, nor cancel one that is not its own.
    expect((await asMerchant({ method: 'GET', url: `/api/intents/${intent.id}` })).statusCode).toBe(403);
    const household = (
      await hub.api({
        method: 'POST',
        url: '/api/intents',
        headers: { 'idempotency-key': 'household-1' },
        payload: { amount: 100, payee: { id: 'shop', name: 'Shop' }, description: 'mine' },
      })
    ).json() as Intent;
    const cancel = await asMerchant({ method: 'POST', url: `/api/intents/${household.id}/cancel` });
    expect(cancel.json().error.code).toBe('intent_not_found');
    expect(hub.hub.intents.require(household.id).status).toBe('requires_approval');
  });

  it('refuses a revoked key', async () => {
    const other = (
      await hub.api({ method: 'POST', url: '/api/merchants', payload: { name: 'Gone' } })
    ).json();
    expect((await hub.api({ method: 'GET', url: '/api/merchant/events', token: other.key })).statusCode).toBe(
      200,
    );
    await hub.api({ method: 'DELETE', url: `/api/merchants/${other.merchant.id}` });
    const refused = await hub.api({ method: 'GET', url: '/api/merchant/events', token: other.key });
    expect(refused.statusCode).toBe(401);
  });
});

describe('merchant webhooks', () => {
  it('delivers the end state signed (verified with node:crypto), retries with backoff, and the receiver gets it exactly once', async () => {
    const intent = await merchantIntent('order-2002');
    const approved = await decide(hub, phone, intent, 'approve');
    expect(approved.json().status).toBe('succeeded');

    // First attempt right away: the receiver fails it.
    await eventually(() => receiver.deliveries.length === 1);
    await eventually(
      async () =>
        (await asMerchant({ method: 'GET', url: '/api/merchant/events' })).json()[0]?.attempts === 1,
    );
    const pending = (await asMerchant({ method: 'GET', url: '/api/merchant/events' })).json();
    expect(pending).toEqual([
      expect.objectContaining({
        type: 'intent.succeeded',
        intentId: intent.id,
        attempts: 1,
        lastError: 'HTTP 500',
        deliveredAt: null,
        nextAttemptAt: new Date(clock.now() + 10_000).toISOString(),
      }),
    ]);
    const eventId = pending[0].id as string;

    // Nothing more until the backoff has passed.
    await hub.hub.merchantWebhooks.deliverDue();
    expect(receiver.deliveries).toHaveLength(1);

    clock.advance(10_000);
    await hub.hub.merchantWebhooks.deliverDue();
    await eventually(() => receiver.deliveries.length === 2);
    const afterSecond = (await asMerchant({ method: 'GET', url: '/api/merchant/events' })).json();
    expect(afterSecond[0]).toMatchObject({ id: eventId, attempts: 2, deliveredAt: null });
    expect(afterSecond[0].nextAttemptAt).toBe(new Date(clock.now() + 30_000).toISOString());

    clock.advance(30_000);
    await hub.hub.merchantWebhooks.deliverDue();
    await eventually(() => receiver.deliveries.length === 3);
    await eventually(
      async () => (await asMerchant({ method: 'GET', url: '/api/merchant/events' })).json().length === 0,
    );

    // Three requests, one event id, every signature good and stamped with the hub's clock.
    expect(receiver.deliveries.map((d) => d.eventId)).toEqual([eventId, eventId, eventId]);
    expect(receiver.deliveries.every((d) => d.signatureOk)).toBe(true);
    expect(receiver.deliveries.map((d) => d.timestamp)).toEqual([
      Math.floor((clock.now() - 40_000) / 1000),
      Math.floor((clock.now() - 30_000) / 1000),
      Math.floor(clock.now() / 1000),
    ]);
    // Processed exactly once after deduplication.
    expect(receiver.processed).toHaveLength(1);
    expect(receiver.processed[0]).toMatchObject({
      id: eventId,
      type: 'intent.succeeded',
      data: { intent: { id: intent.id, status: 'succeeded', amount: 4990, currency: 'CNY' } },
    });
    // The merchant learns nothing that binds the phone's signature or the household's sources.
    const body = receiver.deliveries[0]?.body ?? '';
    expect(body).not.toContain(intent.challenge);
    expect(body).not.toContain('fundingSourceId');
  });

  it('sends one event per end state, also for a cancel, signed so that a tampered body or old timestamp fails', async () => {
    const before = receiver.processed.length;
    const intent = await merchantIntent('order-3003', 1200);
    const canceled = await asMerchant({ method: 'POST', url: `/api/intents/${intent.id}/cancel` });
    expect(canceled.json().status).toBe('canceled');
    await eventually(() => receiver.deliveries.filter((d) => d.body.includes(intent.id)).length === 1);
    const first = receiver.deliveries.find((d) => d.body.includes(intent.id)) as Delivery;
    expect(verifyWebhook(merchant.publicKey, first.header, first.body).ok).toBe(true);
    // The verifier is real: another amount, another timestamp or a header without a signature fail.
    expect(verifyWebhook(merchant.publicKey, first.header, first.body.replace('1200', '12')).ok).toBe(false);
    const [, signature] = first.header.split(',ed25519=');
    expect(
      verifyWebhook(merchant.publicKey, `t=${first.timestamp + 1},ed25519=${signature}`, first.body).ok,
    ).toBe(false);
    expect(verifyWebhook(merchant.publicKey, `t=${first.timestamp},ed25519=`, first.body).ok).toBe(false);
    expect(JSON.parse(first.body)).toMatchObject({
      type: 'intent.canceled',
      data: { intent: { id: intent.id } },
    });
    clock.advance(10_000);
    await hub.hub.merchantWebhooks.deliverDue();
    clock.advance(30_000);
    await hub.hub.merchantWebhooks.deliverDue();
    await eventually(() => receiver.processed.length === before + 1);
    const events = hub.hub.db.prepare('SELECT type FROM merchant_events WHERE intent_id = ?').all(intent.id);
    expect(events).toEqual([{ type: 'intent.canceled' }]);
  });

  it('gives up after the retry period and keeps listing the event as undelivered', async () => {
    const dead = (
      await hub.api({
        method: 'POST',
        url: '/api/merchants',
        payload: { name: 'Offline shop', webhookUrl: 'http://127.0.0.1:9/hooks' },
      })
    ).json();
    const created = await hub.api({
      method: 'POST',
      url: '/api/intents',
      token: dead.key,
      headers: { 'idempotency-key': 'dead-1' },
      payload: { amount: 300, payee: { id: 'x', name: 'x' }, description: 'never delivered' },
    });
    await decide(hub, phone, created.json() as Intent, 'deny');
    const events = () => hub.api({ method: 'GET', url: '/api/merchant/events', token: dead.key });
    await eventually(async () => (await events()).json()[0]?.attempts === 1);
    // Three days of backoff, the clock moved one retry at a time.
    for (let i = 0; i < 40; i++) {
      const [event] = (await events()).json() as Array<{ nextAttemptAt: string | null }>;
      if (!event?.nextAttemptAt) break;
      clock.advance(Date.parse(event.nextAttemptAt) - clock.now());
      await hub.hub.merchantWebhooks.deliverDue();
    }
    const [event] = (await events()).json();
    expect(event).toMatchObject({ type: 'intent.denied', deliveredAt: null, nextAttemptAt: null });
    expect(event.gaveUpAt).not.toBeNull();
    const createdAt = Date.parse(event.createdAt);
    expect(Date.parse(event.gaveUpAt) - createdAt).toBeLessThanOrEqual(72 * 3_600_000);
    expect(Date.parse(event.gaveUpAt) - createdAt).toBeGreaterThan(60 * 3_600_000);
    expect(event.attempts).toBeGreaterThan(10);
  });
});
