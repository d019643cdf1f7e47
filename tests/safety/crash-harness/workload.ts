/**
 * The household the crash test plays against a hub process: a native speaker ordering by voice
 * over MQTT, a meter sending readings, an integration watching alerts, and a phone approving,
 * denying and topping up over HTTP. It keeps a record of everything the hub acknowledged, since
 * an acknowledgement is a promise that must survive the next SIGKILL.
 */
import mqtt, { type MqttClient } from 'mqtt';
import {
  approvalFieldsOf,
  buildApprovalMessage,
  signApprovalMessage,
} from '../../../src/confirm/approval-message.js';
import type { Intent } from '../../../src/payments/intent.js';

export interface Credentials {
  id: string;
  username: string;
  password: string;
}

/** What the household knows and keeps across hub processes. */
export interface Household {
  adminToken: string;
  phone: { id: string; token: string; secretKey: Uint8Array };
  speaker: Credentials;
  meter: Credentials;
  watcher: Credentials;
  cardId: string;
  /** The meter's own clock and counter: readings walk through past days, an hour per reading. */
  meterAt: number;
  meterWh: number;
  seq: number;
}

/** Every promise a hub made by answering, checked against the database after each kill. */
export interface Acknowledged {
  /** Intent id -> the status the approve or deny answer gave. */
  decisions: Map<string, string>;
  /** Top-up idempotency key -> the intent the hub answered with. */
  topups: Map<string, string>;
  /** Speaker sessions the hub read an order back to ("please confirm on your phone"). */
  readBacks: Map<string, string>;
  /** Alert id -> rule and period, as published on homepay/alert/{ruleId}. */
  alerts: Map<string, string>;
  /** Things that must never happen even before a kill: a 5xx, an alert published twice. */
  problems: string[];
  /** How much work was done, for the report. */
  counts: Record<'utterances' | 'approvals' | 'denials' | 'topups' | 'readings' | 'alerts', number>;
}

export function newAcknowledged(): Acknowledged {
  return {
    decisions: new Map(),
    topups: new Map(),
    readBacks: new Map(),
    alerts: new Map(),
    problems: [],
    counts: { utterances: 0, approvals: 0, denials: 0, topups: 0, readings: 0, alerts: 0 },
  };
}

/** What a speaker says: single and multi-merchant orders, now and then a cancel or a reorder. */
const ORDERS = [
  '帮我买两袋猫粮',
  '买一盒猫条',
  '帮我买两袋猫粮和一袋猫砂',
  '帮我订十二瓶生抽',
  '买两瓶生抽还有一盒鸡蛋',
  'order two bags of cat food and a bag of dog food',
  'order a box of eggs, two cases of whole milk and a bag of rice',
  '来俩充电宝',
];
const OTHER = ['取消', '再来一单', '我还有多少钱'];

export type Random = () => number;

export function seededRandom(seed: number): Random {
  let state = seed >>> 0 || 1;
  return () => {
    // xorshift32: repeatable from the seed printed in the report.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

export function pick<T>(random: Random, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A JSON request to the hub; network errors (the hub was just killed) come back as status 0. */
export async function call(
  base: string,
  method: string,
  url: string,
  token: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown }> {
  try {
    const response = await fetch(`${base}${url}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON (a CSV, an empty body).
    }
    return { status: response.status, json };
  } catch {
    return { status: 0, json: null };
  }
}

export function connect(port: number, device: Credentials): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    username: device.username,
    password: device.password,
  });
}

/** A client at once (so a kill can end it while it still connects), connected later. */
function connecting(port: number, device: Credentials): { client: MqttClient; connected: Promise<void> } {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    username: device.username,
    password: device.password,
  });
  client.on('error', () => {});
  const connected = new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('close', () => reject(new Error('closed')));
  });
  connected.catch(() => {});
  return { client, connected };
}

export function sign(household: Household, intent: Intent, action: 'approve' | 'deny'): string {
  const message = buildApprovalMessage(approvalFieldsOf(intent, action, household.phone.id));
  return signApprovalMessage(message, household.phone.secretKey);
}

export interface Workload {
  /** Resolves once the devices are connected and subscribed, when the real work starts. */
  connected: Promise<void>;
  /** Settles when every lane has ended (after `stop`, at once). */
  done: Promise<void>;
  /** The hub was killed: stop every lane and drop the MQTT clients, whose QoS 1 publishes would wait forever. */
  stop(): void;
}

/**
 * Runs the household's work against one hub process until `stop()` (the hub was killed). Every
 * lane swallows the network errors a kill causes.
 */
export function runWorkload(
  hub: { httpUrl: string; mqttPort: number },
  household: Household,
  acked: Acknowledged,
  random: Random,
): Workload {
  let stopped = false;
  let halt: () => void = () => {};
  const halted = new Promise<void>((resolve) => (halt = resolve));
  const isStopped = () => stopped;
  const speaker = connecting(hub.mqttPort, household.speaker);
  const meter = connecting(hub.mqttPort, household.meter);
  const watcher = connecting(hub.mqttPort, household.watcher);
  const clients = [speaker.client, meter.client, watcher.client];
  const connected = (async () => {
    await Promise.all([speaker.connected, meter.connected, watcher.connected]);
    watcher.client.on('message', (topic, payload) => onAlert(acked, topic, payload));
    speaker.client.on('message', (_topic, payload) => onSay(acked, payload));
    await Promise.all([
      watcher.client.subscribeAsync('homepay/alert/+', { qos: 1 }),
      speaker.client.subscribeAsync(`homepay/speaker/${household.speaker.id}/say`, { qos: 1 }),
    ]);
  })();
  const work = (async () => {
    await connected;
    await Promise.all([
      speakerLane(speaker.client, household, acked, random, isStopped),
      meterLane(meter.client, household, acked, random, isStopped),
      phoneLane(hub.httpUrl, household, acked, random, isStopped),
      topupLane(hub.httpUrl, household, acked, random, isStopped),
    ]);
  })().catch(() => {
    // The hub went away under the workload: that is the point.
  });
  return {
    connected: Promise.race([connected.catch(() => {}), halted]),
    done: Promise.race([work, halted]),
    stop() {
      stopped = true;
      for (const client of clients) client.end(true);
      halt();
    },
  };
}

function onAlert(acked: Acknowledged, topic: string, payload: Buffer): void {
  const alert = JSON.parse(payload.toString('utf8')) as { id: string; ruleId: string; periodStart: string };
  const crossing = `${alert.ruleId} ${alert.periodStart}`;
  if (acked.alerts.has(alert.id)) acked.problems.push(`alert ${alert.id} published twice (${topic})`);
  for (const [id, seen] of acked.alerts) {
    if (seen === crossing && id !== alert.id)
      acked.problems.push(`two alerts for one crossing: ${id} and ${alert.id} (${crossing})`);
  }
  acked.alerts.set(alert.id, crossing);
  acked.counts.alerts++;
}

function onSay(acked: Acknowledged, payload: Buffer): void {
  const said = JSON.parse(payload.toString('utf8')) as { text: string; sessionId?: string };
  if (said.sessionId && /请在手机上确认|confirm on your phone/i.test(said.text))
    acked.readBacks.set(said.sessionId, said.text);
}

/** Utterances with new sessions, redeliveries of old ones (a QoS 1 resend), cancels and reorders. */
async function speakerLane(
  client: MqttClient,
  household: Household,
  acked: Acknowledged,
  random: Random,
  stopped: () => boolean,
): Promise<void> {
  const topic = `homepay/speaker/${household.speaker.id}/utterance`;
  while (!stopped()) {
    const roll = random();
    const earlier = [...acked.readBacks.keys()];
    let utterance: { text: string; sessionId: string };
    if (roll < 0.1 && earlier.length > 0) {
      // The same words in the same session again, maybe across a restart: one intent, not two.
      const sessionId = pick(random, earlier);
      utterance = { sessionId, text: sentTexts.get(sessionId) ?? pick(random, ORDERS) };
    } else {
      const sessionId = `s-${process.pid}-${++household.seq}`;
      const text = roll < 0.18 ? pick(random, OTHER) : pick(random, ORDERS);
      sentTexts.set(sessionId, text);
      utterance = { sessionId, text };
    }
    await client.publishAsync(topic, JSON.stringify(utterance), { qos: 1 });
    acked.counts.utterances++;
    await sleep(40 + random() * 60);
  }
}

/** The words sent in each session, so a redelivery repeats them exactly. */
const sentTexts = new Map<string, string>();

/** Two hours of past time per reading, 0.6 to 2.4 kWh each (18 kWh a day); rarely a counter reset (a replaced plug). */
async function meterLane(
  client: MqttClient,
  household: Household,
  acked: Acknowledged,
  random: Random,
  stopped: () => boolean,
): Promise<void> {
  const topic = `homepay/meter/${household.meter.id}/reading`;
  while (!stopped()) {
    household.meterAt += 2 * 3_600_000;
    household.meterWh = random() < 0.01 ? 0 : household.meterWh + 600 + Math.round(random() * 1800);
    const reading = {
      energyWh: household.meterWh,
      powerW: Math.round(random() * 2000),
      ts: new Date(household.meterAt).toISOString(),
    };
    await client.publishAsync(topic, JSON.stringify(reading), { qos: 1 });
    acked.counts.readings++;
    // About 40 a second: under the broker's rate limit (50 a second per client).
    await sleep(18 + random() * 10);
  }
}

/** The phone: every pending intent is approved (mostly) or denied, a few at a time. */
async function phoneLane(
  base: string,
  household: Household,
  acked: Acknowledged,
  random: Random,
  stopped: () => boolean,
): Promise<void> {
  const token = household.phone.token;
  while (!stopped()) {
    const listed = await call(base, 'GET', '/api/intents?status=requires_approval&limit=20', token);
    noteServerError(acked, 'GET /api/intents', listed);
    const pending = listed.status === 200 ? (listed.json as Intent[]) : [];
    await Promise.all(
      pending.slice(0, 4).map(async (intent) => {
        const action = random() < 0.85 ? 'approve' : 'deny';
        const answer = await call(base, 'POST', `/api/intents/${intent.id}/${action}`, token, {
          phoneId: household.phone.id,
          signature: sign(household, intent, action),
        });
        noteServerError(acked, `POST /api/intents/{id}/${action}`, answer);
        if (answer.status === 200) {
          acked.decisions.set(intent.id, (answer.json as Intent).status);
          acked.counts[action === 'approve' ? 'approvals' : 'denials']++;
        }
      }),
    );
    await sleep(pending.length > 0 ? 5 : 30);
  }
}

/** Top-ups (and a few withdrawals) with idempotency keys; a key is sometimes sent again. */
async function topupLane(
  base: string,
  household: Household,
  acked: Acknowledged,
  random: Random,
  stopped: () => boolean,
): Promise<void> {
  const token = household.phone.token;
  while (!stopped()) {
    const keys = [...acked.topups.keys()];
    const again = random() < 0.25 && keys.length > 0;
    const key = again ? pick(random, keys) : `topup-${process.pid}-${++household.seq}`;
    const withdrawal = !again && random() < 0.1;
    const answer = await call(
      base,
      'POST',
      withdrawal ? '/api/wallet/withdrawals' : '/api/wallet/topups',
      token,
      { amount: withdrawal ? 1000 : 30_000, fundingSourceId: household.cardId },
      { 'idempotency-key': withdrawal ? `w-${key}` : key },
    );
    noteServerError(acked, 'POST /api/wallet/topups', answer);
    if (!withdrawal && (answer.status === 200 || answer.status === 201)) {
      const intentId = (answer.json as Intent).id;
      const before = acked.topups.get(key);
      if (before && before !== intentId)
        acked.problems.push(`top-up key ${key} answered ${before}, then ${intentId}`);
      acked.topups.set(key, intentId);
      acked.counts.topups++;
    }
    await sleep(120 + random() * 120);
  }
}

function noteServerError(acked: Acknowledged, what: string, answer: { status: number; json: unknown }): void {
  if (answer.status >= 500)
    acked.problems.push(`${what} answered ${answer.status}: ${JSON.stringify(answer.json)}`);
}
