import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Intent } from '../../src/payments/intent.js';
import { eventually } from '../helpers/mqtt.js';
import { decide } from '../helpers/phone.js';
import { createEnergyRule, type IntegrationHub, meterUses, startIntegrationHub } from './integration-hub.js';
import { helper, homepayNodes, type RedNode } from './node-red-helper.js';

let home: IntegrationHub;

beforeAll(async () => {
  home = await startIntegrationHub();
  await helper.startServer();
});

afterEach(async () => {
  await helper.unload();
});

afterAll(async () => {
  await helper.stopServer();
  await home.hub.stop();
});

/** The config node as a person fills it in, with its secrets in Node-RED's credentials. */
function hubConfig(overrides: Record<string, unknown> = {}) {
  return {
    id: 'hub',
    type: 'homepay-hub',
    name: 'home',
    hubUrl: home.hubUrl,
    eventsDeviceId: home.events.id,
    speakerDeviceId: home.speaker.id,
    retrySeconds: 0.2,
    ...overrides,
  };
}

function credentials() {
  return {
    hub: {
      token: home.hub.adminToken,
      eventsSecret: home.events.password,
      speakerSecret: home.speaker.password,
    },
  };
}

/** Resolves with the next message a helper node receives. */
function nextMessage(node: RedNode, timeoutMs = 8000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message at ${node.id}`)), timeoutMs);
    node.on('input', (msg) => {
      clearTimeout(timer);
      resolve(msg);
    });
  });
}

/** Resolves with the next `node.error(err, msg)` of a node. */
function nextError(node: RedNode, timeoutMs = 8000): Promise<{ err: Error; msg: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no error at ${node.id}`)), timeoutMs);
    node.on('call:error', (call) => {
      clearTimeout(timer);
      resolve({ err: call.args[0] as Error, msg: call.args[1] as Record<string, unknown> });
    });
  });
}

function node(id: string): RedNode {
  const found = helper.getNode(id);
  if (!found) throw new Error(`no node ${id}`);
  return found;
}

async function intentsWaiting(): Promise<Intent[]> {
  const response = await home.hub.api({ method: 'GET', url: '/api/intents?status=requires_approval' });
  return response.json() as Intent[];
}

describe('homepay order', () => {
  const flow = () => [
    hubConfig(),
    { id: 'order', type: 'homepay-order', hub: 'hub', timeout: 5, wires: [['answer'], ['later']] },
    { id: 'answer', type: 'helper' },
    { id: 'later', type: 'helper' },
  ];

  it('speaks the words as the speaker device: the hub reads the order back and the intent waits for the phone', async () => {
    await helper.load(homepayNodes, flow(), credentials());
    const answer = nextMessage(node('answer'));
    node('order').receive({ payload: '帮我买两袋猫粮' });
    const msg = await answer;
    const payload = msg.payload as { text: string; orders: Array<{ intentId: string }>; intents: Intent[] };
    expect(payload.text).toContain('请在手机上确认');
    expect(msg.placed).toBe(true);
    expect(payload.orders).toHaveLength(1);
    const [intent] = payload.intents;
    expect(intent).toMatchObject({
      status: 'requires_approval',
      source: { kind: 'voice', deviceId: home.speaker.id },
    });
    expect((await intentsWaiting()).map((i) => i.id)).toContain(intent?.id);

    // The phone decides; the same session hears how it ended on the second output.
    const later = nextMessage(node('later'));
    const approved = await decide(home.hub, home.phone, intent as Intent, 'approve');
    expect(approved.statusCode, approved.body).toBe(200);
    const announcement = (await later).payload as { text: string; sessionId: string };
    expect(announcement.sessionId).toBe(msg.sessionId);
    expect(announcement.text.length).toBeGreaterThan(0);
  });

  it('the same session twice makes one order', async () => {
    await helper.load(homepayNodes, flow(), credentials());
    const first = nextMessage(node('answer'));
    node('order').receive({ payload: { text: 'order two bags of cat food', sessionId: 'nr-twice' } });
    const one = (await first).payload as { orders: Array<{ id: string }> };
    const second = nextMessage(node('answer'));
    node('order').receive({ payload: { text: 'order two bags of cat food', sessionId: 'nr-twice' } });
    const two = (await second).payload as { orders: Array<{ id: string }> };
    expect(two.orders.map((o) => o.id)).toEqual(one.orders.map((o) => o.id));
    for (const order of one.orders as Array<{ intentId?: string }>) {
      await home.hub.api({ method: 'POST', url: `/api/intents/${order.intentId}/cancel` });
    }
  });

  it('hears the refusal while voice ordering is off for the whole home, and no intent is made', async () => {
    await helper.load(homepayNodes, flow(), credentials());
    const off = await home.hub.api({
      method: 'PUT',
      url: '/api/voice/ordering',
      payload: { enabled: false },
    });
    expect(off.statusCode, off.body).toBe(200);
    try {
      const before = (await intentsWaiting()).length;
      const answer = nextMessage(node('answer'));
      node('order').receive({ payload: '帮我买两袋猫粮' });
      const msg = await answer;
      expect((msg.payload as { text: string }).text).toBe('家里的语音下单已关闭。');
      expect(msg.placed).toBe(false);
      expect(await intentsWaiting()).toHaveLength(before);
    } finally {
      await home.hub.api({ method: 'PUT', url: '/api/voice/ordering', payload: { enabled: true } });
    }
  });

  it('works with the speaker device alone: the answer, but no order details without a token', async () => {
    const { token: _token, ...speakerOnly } = credentials().hub;
    await helper.load(homepayNodes, flow(), { hub: speakerOnly });
    const answer = nextMessage(node('answer'));
    node('order').receive({ payload: '猫粮多少钱' });
    const msg = await answer;
    expect((msg.payload as { text: string }).text).toContain('猫粮');
    expect(msg.placed).toBeNull();
    expect((msg.payload as { orders: unknown[] }).orders).toEqual([]);
  });

  it('reports words that are not text through node.error with the message', async () => {
    await helper.load(homepayNodes, flow(), credentials());
    const failed = nextError(node('order'));
    node('order').receive({ payload: { nothing: true }, tag: 'mine' });
    const { err, msg } = await failed;
    expect(err.message).toContain('homepay-order.errors.noText');
    expect(msg.tag).toBe('mine');
  });

  it('reports an error, not a hang, when the speaker device cannot log in', async () => {
    const quick = flow().map((n) => (n.id === 'order' ? { ...n, timeout: 1 } : n));
    await helper.load(homepayNodes, quick, { hub: { ...credentials().hub, speakerSecret: 'wrong' } });
    const failed = nextError(node('order'));
    node('order').receive({ payload: '帮我买两袋猫粮' });
    const { err } = await failed;
    expect(err.message).toMatch(/not connected to the hub broker/);
  });
});

describe('homepay intent', () => {
  const flow = (action = 'create') => [
    hubConfig(),
    { id: 'intent', type: 'homepay-intent', hub: 'hub', action, wires: [['out']] },
    { id: 'out', type: 'helper' },
  ];
  const body = {
    amount: 2500,
    payee: { id: 'florist', name: 'Florist' },
    description: 'flowers from a flow',
  };

  it('creates an intent with the idempotency key: the same key gives the same intent, then cancels it', async () => {
    await helper.load(homepayNodes, flow(), credentials());
    const first = nextMessage(node('out'));
    node('intent').receive({ payload: body, idempotencyKey: 'nr-flowers-1' });
    const created = await first;
    expect(created.created).toBe(true);
    expect(created.payload).toMatchObject({
      status: 'requires_approval',
      amount: 2500,
      source: { kind: 'manual' },
    });

    const again = nextMessage(node('out'));
    node('intent').receive({ payload: body, idempotencyKey: 'nr-flowers-1' });
    const repeated = await again;
    expect(repeated.created).toBe(false);
    expect(repeated.intentId).toBe(created.intentId);

    const canceled = nextMessage(node('out'));
    node('intent').receive({ action: 'cancel', intentId: created.intentId });
    expect((await canceled).payload).toMatchObject({ id: created.intentId, status: 'canceled' });
  });

  it('passes the hub refusal of a reused key with another body to node.error, with the status code', async () => {
    await helper.load(homepayNodes, flow(), credentials());
    const first = nextMessage(node('out'));
    node('intent').receive({ payload: body, idempotencyKey: 'nr-flowers-2' });
    const created = await first;
    const failed = nextError(node('intent'));
    node('intent').receive({ payload: { ...body, amount: 9999 }, idempotencyKey: 'nr-flowers-2' });
    const { err, msg } = await failed;
    expect((err as Error & { code: string }).code).toBe('idempotency_key_reused');
    expect(msg.statusCode).toBe(409);
    await home.hub.api({ method: 'POST', url: `/api/intents/${created.intentId}/cancel` });
  });

  it('reads an intent by id', async () => {
    await helper.load(homepayNodes, flow('get'), credentials());
    const waiting = (await intentsWaiting())[0];
    const intent =
      waiting ??
      ((
        await home.hub.api({
          method: 'POST',
          url: '/api/intents',
          headers: { 'idempotency-key': 'nr-get' },
          payload: body,
        })
      ).json() as Intent);
    const out = nextMessage(node('out'));
    node('intent').receive({ payload: intent.id });
    expect((await out).payload).toMatchObject({ id: intent.id });
  });
});

describe('homepay events', () => {
  it('passes intent changes, rule alerts and energy state as messages, filtered by intent state', async () => {
    await helper.load(
      homepayNodes,
      [
        hubConfig(),
        {
          id: 'events',
          type: 'homepay-events',
          hub: 'hub',
          intent: true,
          alert: true,
          energy: true,
          status: true,
          statuses: 'requires_approval',
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
      ],
      credentials(),
    );
    const seen: Array<Record<string, unknown>> = [];
    node('out').on('input', (msg) => seen.push(msg));
    await eventually(() => seen.some((m) => m.kind === 'status' && m.payload === 'online'));

    const created = await home.hub.api({
      method: 'POST',
      url: '/api/intents',
      headers: { 'idempotency-key': 'nr-events-1' },
      payload: { amount: 1200, payee: { id: 'bakery', name: 'Bakery' }, description: 'bread' },
    });
    const intent = created.json() as Intent;
    await eventually(() => seen.some((m) => m.kind === 'intent' && m.intentId === intent.id));
    await home.hub.api({ method: 'POST', url: `/api/intents/${intent.id}/cancel` });

    const ruleId = await createEnergyRule(home.hub, 'Node-RED: over 100 Wh today', 100);
    const meterId = await meterUses(home.hub, 500);
    await eventually(() => seen.some((m) => m.kind === 'alert' && m.ruleId === ruleId));
    await eventually(() => seen.some((m) => m.kind === 'energy' && m.deviceId === meterId));

    const alert = seen.find((m) => m.kind === 'alert')?.payload;
    expect(alert).toMatchObject({ ruleId, metric: 'energy', threshold: 100, period: 'day' });
    // The canceled state was filtered out: only requires_approval passes.
    const states = seen.filter((m) => m.kind === 'intent').map((m) => (m.payload as Intent).status);
    expect(new Set(states)).toEqual(new Set(['requires_approval']));
  });

  it('shows disconnected while the events device cannot log in', async () => {
    await helper.load(
      homepayNodes,
      [hubConfig(), { id: 'events', type: 'homepay-events', hub: 'hub', wires: [[]] }],
      { hub: { ...credentials().hub, eventsSecret: 'wrong' } },
    );
    const statuses: Array<{ fill?: string }> = [];
    node('events').on('call:status', (call) => statuses.push(call.args[0] as { fill?: string }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(statuses.every((s) => s.fill !== 'green')).toBe(true);
  });
});

describe('homepay wallet', () => {
  const flow = (action: string) => [
    hubConfig(),
    { id: 'wallet', type: 'homepay-wallet', hub: 'hub', action, period: 'today', wires: [['out']] },
    { id: 'out', type: 'helper' },
  ];

  it('reads the balance', async () => {
    await helper.load(homepayNodes, flow('balance'), credentials());
    const out = nextMessage(node('out'));
    node('wallet').receive({});
    const wallet = (await out).payload as { balance: number; available: number; currency: string };
    expect(wallet.currency).toBe('CNY');
    expect(wallet.balance).toBeGreaterThan(0);
  });

  it("sums today's payments by category", async () => {
    // A paid voice order: cat food, approved on the phone.
    await helper.load(homepayNodes, flow('spending'), credentials());
    const intent = (
      await home.hub.api({
        method: 'POST',
        url: '/api/intents',
        headers: { 'idempotency-key': 'nr-spend-1' },
        payload: { amount: 3300, payee: { id: 'grocer', name: 'Grocer' }, description: 'fruit' },
      })
    ).json() as Intent;
    const paid = await decide(home.hub, home.phone, intent, 'approve');
    expect((paid.json() as Intent).status).toBe('succeeded');
    const out = nextMessage(node('out'));
    node('wallet').receive({});
    const summary = (await out).payload as {
      total: number;
      count: number;
      currency: string;
      byCategory: Record<string, number>;
      payments: Array<{ description: string; amount: number }>;
    };
    expect(summary.currency).toBe('CNY');
    expect(summary.payments.find((p) => p.description === 'fruit')?.amount).toBe(3300);
    expect(Object.values(summary.byCategory).reduce((a, b) => a + b, 0)).toBe(summary.total);
    expect(summary.count).toBe(summary.payments.length);
  });

  it('asks for a top-up that waits for the phone, idempotent by key', async () => {
    const card = await home.hub.api({
      method: 'POST',
      url: '/api/funding-sources',
      payload: { kind: 'debit_card', number: '6222 0212 3456 7890 128', holder: 'Flow' },
    });
    const fundingSourceId = (card.json() as { id: string }).id;
    await helper.load(homepayNodes, flow('topup'), credentials());
    const first = nextMessage(node('out'));
    node('wallet').receive({ payload: { amount: 20000, fundingSourceId }, idempotencyKey: 'nr-topup-1' });
    const topup = await first;
    expect(topup.payload).toMatchObject({
      status: 'requires_approval',
      source: { kind: 'topup' },
      amount: 20000,
    });
    const again = nextMessage(node('out'));
    node('wallet').receive({ payload: { amount: 20000, fundingSourceId }, idempotencyKey: 'nr-topup-1' });
    expect((await again).intentId).toBe(topup.intentId);
    await home.hub.api({ method: 'POST', url: `/api/intents/${topup.intentId}/cancel` });
  });

  it('reports an unreachable hub through node.error', async () => {
    await helper.load(
      homepayNodes,
      [...flow('balance').slice(1), hubConfig({ hubUrl: 'http://127.0.0.1:9' })],
      credentials(),
    );
    const failed = nextError(node('wallet'));
    node('wallet').receive({ tag: 'x' });
    const { err, msg } = await failed;
    expect((err as Error & { code: string }).code).toBe('hub_unreachable');
    expect(msg.tag).toBe('x');
  });
});

describe('the config node', () => {
  it('closes its MQTT connections when the flow stops: the devices go offline', async () => {
    await helper.load(
      homepayNodes,
      [hubConfig(), { id: 'events', type: 'homepay-events', hub: 'hub', wires: [[]] }],
      credentials(),
    );
    const online = async () =>
      (
        (await home.hub.api({ method: 'GET', url: `/api/devices/${home.events.id}` })).json() as {
          online: boolean;
        }
      ).online;
    await eventually(online);
    await helper.unload();
    await eventually(async () => !(await online()));
    // afterEach unloads again; loading an empty flow keeps that harmless.
    await helper.load(homepayNodes, [], {});
  });
});
