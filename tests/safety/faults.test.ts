import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { fundingSourceLookup } from '../../src/payments/funding.js';
import type { Intent } from '../../src/payments/intent.js';
import { combineHooks } from '../../src/payments/intent-hooks.js';
import { Settlement } from '../../src/payments/settlement.js';
import { routedCounter } from '../energy/hub-helpers.js';
import { ManualClock } from '../helpers/clock.js';
import { addDevice, type LogLine, startHub, type TestHub } from '../helpers/hub.js';
import { connectClient, eventually } from '../helpers/mqtt.js';
import { createIntent, decide, fundWallet, pairPhone } from '../helpers/phone.js';
import { freePort, mosquittoBinary } from '../helpers/processes.js';
import { type CheckOptions, checkDatabase } from './crash-harness/checker.js';

/**
 * Fault injection: the payment provider times out, fails, declines, answers late and answers
 * twice; the external broker restarts in the middle of an order; the disk fills up; the clock
 * jumps. Each case ends with the checker finding the database consistent, and with a log line that
 * says what happened.
 */

const hubs: TestHub[] = [];
let faults = 0;
afterAll(async () => {
  console.log(`fault injection: ${faults} faults injected`);
  for (const hub of hubs) await hub.stop().catch(() => {});
});

async function fundedHub(options: Parameters<typeof startHub>[0] = {}) {
  const hub = await startHub(options);
  hubs.push(hub);
  const phone = await pairPhone(hub);
  await fundWallet(hub, phone, 100_000);
  return { hub, phone };
}

function consistent(hub: TestHub, options: CheckOptions = {}): void {
  const report = checkDatabase(path.join(hub.dataDir, 'homepay.db'), { recovered: true, ...options });
  expect(report.violations).toEqual([]);
}

/** Consistent once every approved intent has settled (the hub retries with backoff). */
async function settledConsistent(hub: TestHub): Promise<void> {
  await eventually(() => hub.hub.intents.list({ status: 'processing' }).length === 0, 20_000);
  consistent(hub, { settled: true });
}

function logged(hub: TestHub, msg: string, match: Record<string, unknown> = {}): LogLine[] {
  return hub.logs.filter(
    (line) => line.msg === msg && Object.entries(match).every(([key, value]) => line[key] === value),
  );
}

function providerRecords(hub: TestHub, intentId: string): number {
  return (
    hub.hub.db
      .prepare('SELECT COUNT(*) AS n FROM sandbox_provider_requests WHERE idempotency_key = ?')
      .get(intentId) as { n: number }
  ).n;
}

const statusOf = (hub: TestHub, id: string) => hub.hub.intents.require(id).status;

/** Paid exactly once: one provider record, one ledger transaction, the intent succeeded. */
function paidOnce(hub: TestHub, intent: Intent): void {
  expect(statusOf(hub, intent.id)).toBe('succeeded');
  expect(providerRecords(hub, intent.id)).toBe(1);
  expect(hub.hub.ledger.transactionsOfIntent(intent.id)).toHaveLength(1);
}

describe('faults: the payment provider', async () => {
  const { hub, phone } = await fundedHub();

  it('times out after doing the work: asks again with the same key and pays once', async () => {
    const intent = await createIntent(hub, { amount: 1100 });
    hub.hub.provider.timeOutNextExecute('answer_lost');
    faults++;
    const answer = await decide(hub, phone, intent, 'approve');
    expect(answer.statusCode).toBe(200);
    await eventually(() => statusOf(hub, intent.id) === 'succeeded');
    paidOnce(hub, intent);
    expect(
      logged(hub, 'provider timed out; asking again with the same key', { intentId: intent.id }),
    ).toHaveLength(1);
    consistent(hub);
  });

  it('times out before the request arrived: asks again and pays once', async () => {
    const intent = await createIntent(hub, { amount: 1200 });
    hub.hub.provider.timeOutNextExecute('request_lost');
    hub.hub.provider.timeOutNextExecute('request_lost');
    faults += 2;
    expect((await decide(hub, phone, intent, 'approve')).statusCode).toBe(200);
    await eventually(() => statusOf(hub, intent.id) === 'succeeded', 8000);
    paidOnce(hub, intent);
    expect(
      logged(hub, 'provider timed out; asking again with the same key', { intentId: intent.id }),
    ).toHaveLength(2);
    consistent(hub);
  });

  it('fails (a reset connection): asks again and pays once', async () => {
    const intent = await createIntent(hub, { amount: 1300 });
    hub.hub.provider.failNextExecute();
    faults++;
    expect((await decide(hub, phone, intent, 'approve')).statusCode).toBe(200);
    await eventually(() => statusOf(hub, intent.id) === 'succeeded');
    paidOnce(hub, intent);
    expect(logged(hub, 'provider failed; asking again', { intentId: intent.id })).toHaveLength(1);
    consistent(hub);
  });

  it('declines: the intent fails, its hold is released and nothing is paid', async () => {
    const card = await hub.api({
      method: 'POST',
      url: '/api/funding-sources',
      payload: { kind: 'credit_card', number: '4000000000000002' },
    });
    const held = hub.hub.ledger.held('wallet');
    const intent = await createIntent(hub, { amount: 1400, fundingSourceId: card.json().id });
    const walletIntent = await createIntent(hub, { amount: 1500 });
    faults += 2;
    const answer = await decide(hub, phone, intent, 'approve');
    expect(answer.json()).toMatchObject({ status: 'failed', lastError: 'card_declined' });
    expect(hub.hub.ledger.transactionsOfIntent(intent.id)).toHaveLength(0);
    expect(logged(hub, 'payment declined by the provider', { intentId: intent.id })).toHaveLength(1);
    // A declined wallet payment gives its hold back.
    expect(hub.hub.ledger.held('wallet')).toBe(held + 1500);
    hub.hub.provider.declineNextRequest('insufficient_funds');
    expect((await decide(hub, phone, walletIntent, 'approve')).json()).toMatchObject({ status: 'failed' });
    expect(hub.hub.ledger.held('wallet')).toBe(held);
    expect(hub.hub.ledger.transactionsOfIntent(walletIntent.id)).toHaveLength(0);
    consistent(hub);
  });

  it('answers late: the approval answers processing, and the payment settles when the answer comes', async () => {
    const intent = await createIntent(hub, { amount: 1600 });
    hub.hub.provider.delayNextAnswer(5600);
    faults++;
    const answer = await decide(hub, phone, intent, 'approve');
    expect(answer.json()).toMatchObject({ status: 'processing' });
    expect(
      logged(hub, 'provider has not answered yet; the approval answers processing', { intentId: intent.id }),
    ).toHaveLength(1);
    consistent(hub);
    await eventually(() => statusOf(hub, intent.id) === 'succeeded', 3000);
    paidOnce(hub, intent);
    consistent(hub);
  }, 15_000);

  it('answers twice (late to this hub, at once to a second worker): books once', async () => {
    const intent = await createIntent(hub, { amount: 1700 });
    hub.hub.provider.delayNextAnswer(400);
    faults++;
    const approving = decide(hub, phone, intent, 'approve');
    await eventually(() => providerRecords(hub, intent.id) === 1);
    // A second settlement of the same intent (a second worker, or a restarted process while the
    // first still waits) asks the provider again and gets the recorded answer at once.
    const second = secondSettlement(hub);
    await second.settle(intent.id);
    expect(statusOf(hub, intent.id)).toBe('succeeded');
    // Then the first, late answer arrives.
    expect((await approving).json()).toMatchObject({ status: 'succeeded' });
    paidOnce(hub, intent);
    expect(
      logged(hub, 'provider answer for an intent already settled; nothing booked', { intentId: intent.id }),
    ).toHaveLength(1);
    consistent(hub, { settled: true });
  });

  it('answers late across a graceful restart: the stop waits for the answer, nothing is asked twice', async () => {
    const intent = await createIntent(hub, { amount: 1800 });
    hub.hub.provider.delayNextAnswer(700);
    faults++;
    const approving = decide(hub, phone, intent, 'approve');
    await eventually(() => providerRecords(hub, intent.id) === 1);
    await hub.restart();
    await approving.catch(() => {});
    await eventually(() => statusOf(hub, intent.id) === 'succeeded');
    paidOnce(hub, intent);
    consistent(hub, { settled: true });
  });
});

/** A second Settlement over the hub's own database and provider, as a second worker would have. */
function secondSettlement(hub: TestHub) {
  const running = hub.hub;
  return new Settlement({
    db: running.db,
    ledger: running.ledger,
    repository: running.intents.repository,
    provider: running.provider,
    fundingSources: fundingSourceLookup(running.fundingSources),
    events: running.events,
    clock: { now: () => Date.now() },
    logger: createLogger({ level: 'silent' }),
    hooks: combineHooks(running.wallet.hooks, running.merchantWebhooks.hooks),
  });
}

/** A real mosquitto on a fixed port, so it can be stopped and started again where the hub expects it. */
async function restartableMosquitto() {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'homepay-mosquitto-'));
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', ''].join('\n'),
  );
  let child: ReturnType<typeof spawn> | undefined;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      child = spawn(mosquittoBinary('mosquitto'), ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      const timer = setTimeout(() => reject(new Error(`mosquitto did not start: ${stderr}`)), 5000);
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('running')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  await start();
  return { port, start, stop };
}

describe('faults: the external broker restarts in the middle of an order', () => {
  it('keeps the money consistent, reconnects, and the next order works end to end', async () => {
    const broker = await restartableMosquitto();
    try {
      const { hub, phone } = await fundedHub({
        overrides: { mqtt: { url: `mqtt://127.0.0.1:${broker.port}` } },
      });
      const speaker = await addDevice(hub, { profile: 'homepay-speaker', name: 'Kitchen' });
      // The speaker comes back after the hub: a broker without persistence forgets the hub's
      // subscriptions, so what a device publishes before the hub has subscribed again is lost at
      // the broker (docs/security.md, known limits). Reconnected by hand to keep that order.
      const client = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, {
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
      client.on('error', () => {});
      const heard: Array<{ text: string; sessionId?: string }> = [];
      client.on('message', (_topic, payload) => heard.push(JSON.parse(payload.toString())));
      await new Promise<void>((resolve) => client.once('connect', () => resolve()));
      await client.subscribeAsync(`homepay/speaker/${speaker.id}/say`, { qos: 1 });
      const utter = (text: string, sessionId: string) =>
        client.publishAsync(`homepay/speaker/${speaker.id}/utterance`, JSON.stringify({ text, sessionId }), {
          qos: 1,
        });

      await utter('帮我买两袋猫粮', 's-before');
      await eventually(() => heard.some((said) => said.sessionId === 's-before'));
      const [ordered] = hub.hub.intents.list({ status: 'requires_approval' });
      expect(ordered?.source.kind).toBe('voice');

      // The broker goes away between the order and its approval; the phone approves over HTTP.
      await broker.stop();
      faults++;
      const approved = await decide(hub, phone, ordered as Intent, 'approve');
      expect(approved.json()).toMatchObject({ status: 'succeeded' });
      // An order said while the broker is down goes nowhere.
      void utter('买一盒猫条', 's-during').catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 2500));
      await broker.start();

      await eventually(() => logged(hub, 'reconnected to the external mqtt broker').length > 0, 10_000);
      client.reconnect();
      await eventually(() => client.connected, 5000);
      await client.subscribeAsync(`homepay/speaker/${speaker.id}/say`, { qos: 1 });
      // Having heard no answer, the speaker says it again in the same session: one order.
      await utter('买一盒猫条', 's-during');
      await eventually(() => heard.some((said) => said.sessionId === 's-during'), 10_000);
      await utter('帮我订十二瓶生抽', 's-after');
      await eventually(() => heard.some((said) => said.sessionId === 's-after'), 10_000);
      expect(logged(hub, 'lost the external mqtt broker; publishes wait until it is back')).toHaveLength(1);
      // The retained status is said again on the restarted (memoryless) broker.
      const observer = await connectClient(broker.port);
      const status = await new Promise<string>((resolve) => {
        observer.on('message', (topic, payload) => topic === 'homepay/status' && resolve(payload.toString()));
        void observer.subscribeAsync('homepay/status');
      });
      expect(status).toBe('online');
      await observer.endAsync();
      client.end(true);
      consistent(hub, { settled: true });
      const waiting = hub.hub.intents
        .list({ status: 'requires_approval' })
        .filter((i) => i.source.kind === 'voice');
      expect(waiting).toHaveLength(2);
      // And a hub told to stop while its broker is down stops (it used to wait for the broker forever).
      await broker.stop();
      const stopping = Date.now();
      await hub.stop();
      expect(Date.now() - stopping).toBeLessThan(5000);
      hubs.splice(hubs.indexOf(hub), 1);
    } finally {
      await broker.stop();
    }
  }, 40_000);
});

describe('faults: the disk is full', async () => {
  const clock = new ManualClock(Date.now());
  const { hub, phone } = await fundedHub({ clock });
  const db = hub.hub.db;
  const fill = () => {
    faults++;
    const { page_count } = db.prepare('PRAGMA page_count').get() as { page_count: number };
    db.pragma(`max_page_count = ${page_count}`);
  };
  const free = () => db.pragma('max_page_count = 1073741823');
  /**
   * A disk that refuses every write, as Linux leaves one after I/O errors (`errors=remount-ro`):
   * deterministic where a nearly full one is not (a small write may still fit in a page).
   */
  const readOnly = (on: boolean) => {
    if (on) faults++;
    db.pragma(`query_only = ${on ? 'ON' : 'OFF'}`);
  };
  /**
   * Pays until SQLite refuses to write, with big rows first and then small ones: every table a
   * payment touches (intents, events, holds, the ledger, the provider's books, points) ends up
   * with no room, as on a disk that is really full. Returns the first refusal.
   */
  async function untilFull(): Promise<Awaited<ReturnType<TestHub['api']>>> {
    let refused: Awaited<ReturnType<TestHub['api']>> | undefined;
    for (const size of [500, 60, 1]) {
      for (let i = 0; i < 1000; i++) {
        const created = await hub.api({
          method: 'POST',
          url: '/api/intents',
          headers: { 'idempotency-key': `fill-${size}-${i}-${Date.now()}` },
          payload: { amount: 1, payee: { id: 'filler', name: 'Filler' }, description: 'x'.repeat(size) },
        });
        if (created.statusCode >= 500) {
          refused ??= created;
          break;
        }
        // A payment that cannot be booked answers `processing` (the hub asks again once there is
        // room) or 503; either way the next intent tries the tables again.
        await decide(hub, phone, created.json() as Intent, 'approve');
      }
    }
    if (!refused) throw new Error('the disk never filled');
    return refused;
  }

  it('answers 503 while nothing can be written, changes nothing half-way, and works again once there is room', async () => {
    const pending = await createIntent(hub, { amount: 2100 });
    fill();
    try {
      const refused = await untilFull();
      expect(refused.statusCode).toBe(503);
      expect(refused.json().error.code).toBe('service_unavailable');
      expect(
        logged(hub, 'request failed').some((line) => (line.err as { code?: string })?.code === 'SQLITE_FULL'),
      ).toBe(true);
      // An approval either fits in what is left, whole, or is refused whole: then the intent
      // stays pending with its challenge unused, and the phone can send it again.
      const approval = await decide(hub, phone, pending, 'approve');
      if (approval.statusCode === 503) {
        expect(hub.hub.intents.repository.get(pending.id)).toMatchObject({
          status: 'requires_approval',
          challengeUsedAt: null,
        });
      } else {
        expect(approval.statusCode).toBe(200);
      }
      consistent(hub);
    } finally {
      free();
    }
    if (statusOf(hub, pending.id) === 'requires_approval') {
      expect((await decide(hub, phone, pending, 'approve')).json()).toMatchObject({ status: 'succeeded' });
    }
    await eventually(() => statusOf(hub, pending.id) === 'succeeded');
    expect((await createIntent(hub, { amount: 10 })).status).toBe('requires_approval');
    consistent(hub);
  });

  it('drops a meter reading and answers a speaker while nothing can be written, logging why', async () => {
    const meter = await addDevice(hub, { profile: 'homepay-meter', name: 'Meter' });
    const speaker = await addDevice(hub, { profile: 'homepay-speaker', name: 'Hall' });
    const meterClient = await connectClient(hub.mqttPort, {
      username: meter.username,
      password: meter.password,
    });
    const speakerClient = await connectClient(hub.mqttPort, {
      username: speaker.username,
      password: speaker.password,
    });
    const heard: string[] = [];
    speakerClient.on('message', (_topic, payload) => heard.push(JSON.parse(payload.toString()).text));
    await speakerClient.subscribeAsync(`homepay/speaker/${speaker.id}/say`, { qos: 1 });
    readOnly(true);
    try {
      await meterClient.publishAsync(
        `homepay/meter/${meter.id}/reading`,
        JSON.stringify({ energyWh: 1000, ts: new Date(clock.now()).toISOString() }),
        { qos: 1 },
      );
      await speakerClient.publishAsync(
        `homepay/speaker/${speaker.id}/utterance`,
        JSON.stringify({ text: '帮我买两袋猫粮', sessionId: 'full-1' }),
        { qos: 1 },
      );
      await eventually(() => heard.length === 1);
      await eventually(() => logged(hub, 'voice request failed').length > 0);
      expect(heard[0]).toMatch(/没有下单|not/);
      // The reading could not be booked: dropped, with the reason in the log.
      await eventually(
        () =>
          [...logged(hub, 'energy reading not stored'), ...logged(hub, 'energy readings not stored')].length >
          0,
      );
      expect(hub.hub.energy.deviceState(meter.id)).toBeUndefined();
    } finally {
      readOnly(false);
    }
    await meterClient.endAsync();
    await speakerClient.endAsync();
    consistent(hub);
  });

  it('settles a payment whose answer came while its booking could not be written', async () => {
    const intent = await createIntent(hub, { amount: 2200 });
    hub.hub.provider.delayNextAnswer(3000);
    const approving = decide(hub, phone, intent, 'approve');
    await eventually(() => providerRecords(hub, intent.id) === 1);
    const booked = Date.now();
    readOnly(true);
    try {
      // The bank's answer arrives now, and cannot be written down.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, booked + 3300 - Date.now())));
      expect(statusOf(hub, intent.id)).toBe('processing');
      await eventually(
        () =>
          logged(hub, 'recording the provider answer failed; asking again', { intentId: intent.id }).length >
          0,
      );
    } finally {
      readOnly(false);
    }
    await approving;
    await eventually(() => statusOf(hub, intent.id) === 'succeeded', 8000);
    paidOnce(hub, intent);
    await settledConsistent(hub);
  }, 20_000);

  it('keeps running when an intent is due to expire while nothing can be written', async () => {
    const intent = await createIntent(hub, { amount: 2300 });
    readOnly(true);
    try {
      clock.advance(11 * 60_000);
      // The sweeper runs every second; it must log and try again, not take the process down.
      await eventually(() => logged(hub, 'expiring intents failed; trying again').length > 0, 5000);
    } finally {
      readOnly(false);
    }
    await eventually(() => statusOf(hub, intent.id) === 'expired', 5000);
    expect((await hub.api({ method: 'GET', url: '/api/health', token: null })).statusCode).toBe(200);
    consistent(hub);
  });
});

describe('faults: the clock jumps', async () => {
  const clock = new ManualClock(Date.parse('2026-11-27T08:00:00Z'));
  const { hub, phone } = await fundedHub({ clock });

  it('expires what waited past its time when the clock jumps ahead, and releases its hold', async () => {
    const held = hub.hub.ledger.held('wallet');
    const intent = await createIntent(hub, { amount: 3100 });
    clock.advance(11 * 60_000);
    faults++;
    await eventually(() => statusOf(hub, intent.id) === 'expired', 3000);
    expect(hub.hub.ledger.held('wallet')).toBe(held);
    const late = await decide(hub, phone, intent, 'approve');
    expect(late.json().error.code).toBe('intent_not_pending');
    expect(logged(hub, 'intents expired').length).toBeGreaterThan(0);
    consistent(hub);
  });

  it('pays once when the clock jumps back between creation and approval', async () => {
    const intent = await createIntent(hub, { amount: 3200 });
    clock.advance(-2 * 3_600_000);
    faults++;
    expect((await decide(hub, phone, intent, 'approve')).json()).toMatchObject({ status: 'succeeded' });
    paidOnce(hub, intent);
    consistent(hub, { settled: true });
  });

  it('counts energy once and fires a rule once when the clock goes back a day and forward again', async () => {
    const meter = await addDevice(hub, { profile: 'homepay-meter', name: 'Meter' });
    const rule = await hub.api({
      method: 'POST',
      url: '/api/rules',
      payload: {
        name: 'Day over 1 kWh',
        scope: 'home',
        period: 'day',
        metric: 'energy',
        threshold: 1000,
        action: { kind: 'alert' },
      },
    });
    expect(rule.statusCode).toBe(201);
    const client = await connectClient(hub.mqttPort, { username: meter.username, password: meter.password });
    const routed = routedCounter(hub);
    let counter = 5000;
    const read = async (stepMs: number, wh: number) => {
      clock.advance(stepMs);
      counter += wh;
      const before = routed();
      await client.publishAsync(
        `homepay/meter/${meter.id}/reading`,
        JSON.stringify({ energyWh: counter, ts: new Date(clock.now()).toISOString() }),
        { qos: 1 },
      );
      await eventually(() => routed() > before);
    };
    await read(0, 0);
    await read(3_600_000, 600);
    await read(3_600_000, 600);
    await eventually(() => hub.hub.energy.listAlerts({ limit: 10 }).length === 1);
    const before = hub.hub.energy.homeState();
    clock.advance(-86_400_000);
    faults++;
    await read(3_600_000, 700);
    await read(3_600_000, 700);
    expect(hub.hub.energy.listAlerts({ limit: 10 })).toHaveLength(1);
    expect(logged(hub, 'reading ignored').length).toBeGreaterThan(0);
    clock.advance(2 * 86_400_000);
    faults++;
    await read(3_600_000, 900);
    await client.endAsync();
    expect(hub.hub.energy.homeState()).toBeDefined();
    expect(before).toBeDefined();
    consistent(hub, { rulesPrecedeReadings: true });
  });
});
