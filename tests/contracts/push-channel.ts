import { randomBytes } from 'node:crypto';
import nacl from 'tweetnacl';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PushChannel, PushNotification } from '../../src/confirm/push/channel.js';
import { PushNotifier } from '../../src/confirm/push/notifier.js';
import { EventBus } from '../../src/events.js';
import { silentLogger } from '../../src/logger.js';
import type { Intent, IntentStatus } from '../../src/payments/intent.js';

/** One notification as the receiving end saw it, decoded from the channel's wire format. */
export interface ReceivedPush {
  title?: string;
  body?: string;
  url?: string;
  data?: unknown;
  /** `approval_needed` or `intent_updated`, for channels that say which (the SSE event name). */
  kind?: string;
}

/** What a channel's test file hands the suite: the channel and a real receiver at its other end. */
export interface PushHarness {
  channel: PushChannel;
  /** Every notification the receiver has got so far, oldest first. */
  received(): Promise<ReceivedPush[]>;
  /**
   * Everything that reached the receiver as text (request lines, headers, bodies, stream bytes),
   * plus anything the transport encodes (an RFC 2047 title) decoded, for the secret scan.
   */
  raw(): Promise<string>;
  /** Breaks the receiving end the way it breaks in the field (ntfy answers 500, a stream resets). */
  failReceiver(): void | Promise<void>;
  close(): void | Promise<void>;
}

/** How long a channel may take to give up on a broken receiver before the suite calls it a hang. */
const GIVE_UP_MS = 2000;

const WEB_APP = 'https://homepay.example.cn:8443';

/** An intent the way the hub hands it to the notifier: a voice order with items and a discount. */
export function realisticIntent(overrides: Partial<Intent> = {}): Intent {
  const createdAt = '2026-11-27T16:05:00.000Z';
  return {
    id: `pi_${randomBytes(12).toString('base64url')}`,
    status: 'requires_approval',
    amount: 3870,
    currency: 'CNY',
    payee: { id: 'mi_store', name: '小米商城' },
    description: '两袋猫粮（三文鱼味）',
    source: { kind: 'voice', deviceId: 'dev_4k2j9x0q1m7c3b5n' },
    items: [{ sku: 'cat-food-2kg', name: '猫粮 2kg 三文鱼味', quantity: 2, unitPrice: 2435, amount: 4870 }],
    discounts: [{ kind: 'points', description: '积分抵扣', amount: 1000 }],
    reason: '小爱同学，再买两袋猫粮',
    pointsRedeemed: 1000,
    pointsEarned: 38,
    fundingSourceId: 'fs_7Qm2kX9pL4vR',
    challenge: randomBytes(32).toString('base64url'),
    expiresAt: '2026-11-27T16:15:00.000Z',
    createdAt,
    updatedAt: createdAt,
    ...overrides,
  };
}

/**
 * The notification the hub's own PushNotifier builds for an intent change, caught by a channel
 * that only records: the suite sends what production would send, not a hand-made stand-in.
 */
export function notificationFor(intent: Intent, from: IntentStatus | null): PushNotification {
  const captured: PushNotification[] = [];
  const capture: PushChannel = {
    name: 'capture',
    async send(notification) {
      captured.push(notification);
    },
  };
  const events = new EventBus(silentLogger());
  const notifier = new PushNotifier([capture], events, silentLogger(), () => WEB_APP);
  notifier.start();
  events.emit('intent.changed', { intent, from });
  notifier.stop();
  const [notification] = captured;
  if (!notification) throw new Error(`the notifier pushed nothing for ${intent.status} from ${from}`);
  return notification;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls the receiver until it holds `count` notifications, then waits a little for duplicates. */
async function receivedAfterSettling(harness: PushHarness, count: number): Promise<ReceivedPush[]> {
  const deadline = Date.now() + GIVE_UP_MS;
  while ((await harness.received()).length < count && Date.now() < deadline) await sleep(10);
  await sleep(100);
  return harness.received();
}

/** The receiver's copy carries the notification's text and link, or its data, unchanged. */
function expectCarries(got: ReceivedPush | undefined, sent: PushNotification): void {
  expect(got).toBeDefined();
  if (!got) return;
  const carriesText = got.title !== undefined && got.body !== undefined && got.url !== undefined;
  expect(carriesText || got.data !== undefined, 'carries title, body and link, or data').toBe(true);
  if (got.title !== undefined) expect(got.title).toBe(sent.title);
  if (got.body !== undefined) expect(got.body).toBe(sent.body);
  if (got.url !== undefined) expect(got.url).toBe(sent.url);
  if (got.data !== undefined) expect(got.data).toEqual(sent.data);
  if (got.kind !== undefined) expect(got.kind).toBe(sent.kind);
}

/** Digit runs of card length that pass Luhn, spaces and dashes between groups allowed. */
function cardLikeNumbers(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/\d(?:[ -]?\d){12,18}/g)) {
    const digits = match[0].replace(/\D/g, '');
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
      let digit = Number(digits[digits.length - 1 - i]);
      if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
      sum += digit;
    }
    if (sum % 10 === 0) found.push(digits);
  }
  return found;
}

/**
 * The conformance suite every PushChannel must pass (src/confirm/push/channel.ts): each
 * notification arrives once and intact, Chinese included; nothing but the notification goes out;
 * and a broken receiver makes `send` reject promptly so the notifier can log it.
 */
export function pushChannelContract(name: string, makeHarness: () => Promise<PushHarness>): void {
  describe(`${name} keeps the push channel contract`, () => {
    let harness: PushHarness;
    beforeEach(async () => {
      harness = await makeHarness();
    });
    afterEach(async () => {
      await harness.close();
    });

    it('delivers a notification exactly once, with its title, body and link or its data', async () => {
      const sent = notificationFor(realisticIntent(), null);
      await harness.channel.send(sent);
      const received = await receivedAfterSettling(harness, 1);
      expect(received).toHaveLength(1);
      expectCarries(received[0], sent);
    });

    it('delivers an approval request and a later update as two notifications, in order', async () => {
      const intent = realisticIntent();
      const asked = notificationFor(intent, null);
      const ended = notificationFor(
        { ...intent, status: 'succeeded', decidedBy: 'ph_Kitchen01', updatedAt: '2026-11-27T16:06:00.000Z' },
        'processing',
      );
      await harness.channel.send(asked);
      await harness.channel.send(ended);
      const received = await receivedAfterSettling(harness, 2);
      expect(received).toHaveLength(2);
      expectCarries(received[0], asked);
      expectCarries(received[1], ended);
    });

    it('keeps Chinese text and emoji intact from title to body to data', async () => {
      const intent = realisticIntent({
        payee: { id: 'jd_fresh', name: '京东到家·盒马鲜生' },
        description: '牛奶两箱、鸡蛋 30 枚 🥚，周六上午送达',
        reason: '小爱同学，帮我买牛奶和鸡蛋',
      });
      const sent = notificationFor(intent, null);
      expect(sent.title).toContain('京东到家·盒马鲜生');
      await harness.channel.send(sent);
      const [got] = await receivedAfterSettling(harness, 1);
      expectCarries(got, sent);
      const text = JSON.stringify(got);
      expect(text).toContain('京东到家·盒马鲜生');
      expect(text).toContain('鸡蛋 30 枚 🥚');
      expect(text).not.toContain('\uFFFD');
    });

    it('sends nothing but the notification: no token, card number or private key kept elsewhere leaks', async () => {
      const adminToken = `hpa_${randomBytes(24).toString('base64url')}`;
      const phoneToken = `hpp_${randomBytes(24).toString('base64url')}`;
      const cardNumber = '6222020000074242';
      const phoneKeys = nacl.sign.keyPair();
      const secretKeyB64 = Buffer.from(phoneKeys.secretKey).toString('base64');
      const secretKeyHex = Buffer.from(phoneKeys.secretKey).toString('hex');
      const pem =
        '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ7Vx3q0m1sE9m5Xz\n-----END PRIVATE KEY-----';

      // Secrets live all around the notification: in the environment, in globals, on the row the
      // intent was read from (inherited, not its own), and hidden on the notification itself.
      const planted = {
        HOMEPAY_ADMIN_TOKEN: adminToken,
        HOMEPAY_PHONE_TOKEN: phoneToken,
        HOMEPAY_CARD: cardNumber,
        HOMEPAY_TLS_KEY: pem,
      };
      const saved = Object.fromEntries(Object.keys(planted).map((key) => [key, process.env[key]]));
      Object.assign(process.env, planted);
      const household = {
        adminToken,
        phone: { token: phoneToken, secretKey: secretKeyB64 },
        cardNumber,
        pem,
      };
      Reflect.set(globalThis, '__homepayHousehold', household);
      try {
        const row = Object.create({ phoneToken, cardNumber, secretKey: secretKeyB64 }) as Intent;
        Object.assign(row, realisticIntent({ description: '充值：储蓄卡 尾号 4242' }));
        const sent = notificationFor(row, null);
        Object.defineProperty(sent, 'household', { value: household, enumerable: false });
        expect(JSON.stringify(sent)).not.toContain('hpp_');

        await harness.channel.send(sent);
        await receivedAfterSettling(harness, 1);
        const raw = await harness.raw();
        expect(raw).toContain('尾号 4242');
        for (const secret of [
          adminToken,
          phoneToken,
          'hpa_',
          'hpp_',
          cardNumber,
          secretKeyB64,
          secretKeyHex,
        ]) {
          expect(raw).not.toContain(secret);
        }
        expect(raw).not.toContain('PRIVATE KEY');
        expect(cardLikeNumbers(raw)).toEqual([]);
      } finally {
        Reflect.deleteProperty(globalThis, '__homepayHousehold');
        for (const [key, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
      }
    });

    it(`rejects send within ${GIVE_UP_MS} ms when the receiver fails, so the notifier can log it`, async () => {
      await harness.failReceiver();
      const outcome = await Promise.race([
        harness.channel.send(notificationFor(realisticIntent(), null)).then(
          () => 'resolved',
          (err: unknown) =>
            err instanceof Error && err.message ? 'rejected' : `rejected with ${String(err)}`,
        ),
        sleep(GIVE_UP_MS).then(() => 'hung'),
      ]);
      expect(outcome).toBe('rejected');
    });
  });
}

// ---------------------------------------------------------------------------------------------
// An SSE client over real HTTP, shared by the SSE harness and the hub's GET /api/events tests.

export interface ServerSentEvent {
  event: string;
  data: string;
}

export interface EventStream {
  status: number;
  headers: Headers;
  /** Events parsed so far (comments such as `: keep-alive` are not events). */
  readonly events: ServerSentEvent[];
  /** Every byte received so far, as UTF-8 text. */
  text(): string;
  /** The first event (already received or still to come) that `matches`, or a timeout error. */
  next(matches: (event: ServerSentEvent) => boolean, timeoutMs?: number): Promise<ServerSentEvent>;
  /** Settles when the server ends the stream or the connection breaks. */
  readonly ended: Promise<void>;
  close(): void;
}

/**
 * Opens `url` with fetch and reads it as `text/event-stream` (WHATWG HTML, "Server-sent events"):
 * lines end in LF, CRLF or CR; `event:` names the event; `data:` lines join with LF; a blank line
 * dispatches; lines starting with `:` are comments.
 */
export async function openEventStream(url: string, init: RequestInit = {}): Promise<EventStream> {
  const abort = new AbortController();
  const response = await fetch(url, { ...init, signal: abort.signal });
  const events: ServerSentEvent[] = [];
  const waiters = new Set<() => void>();
  let text = '';
  let pending = '';
  let event = '';
  let data: string[] = [];

  const dispatchLine = (line: string) => {
    if (line === '') {
      if (data.length > 0) events.push({ event: event || 'message', data: data.join('\n') });
      event = '';
      data = [];
      for (const wake of waiters) wake();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  };

  const ended = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder('utf-8');
    try {
      for await (const chunk of response.body) {
        const piece = decoder.decode(chunk as Uint8Array, { stream: true });
        text += piece;
        pending += piece;
        // A CR at the very end may be the first half of a CRLF: keep it until more arrives.
        const lines = pending.split(/\r\n|\r(?!$)|\n/);
        pending = lines.pop() ?? '';
        for (const line of lines) dispatchLine(line);
      }
    } catch {
      // The connection was closed by us or broke; `events` holds what arrived before.
    } finally {
      for (const wake of waiters) wake();
    }
  })();
  let isEnded = false;
  void ended.then(() => {
    isEnded = true;
  });

  return {
    status: response.status,
    headers: response.headers,
    events,
    text: () => text,
    ended,
    close: () => abort.abort(),
    next(matches, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(matches);
          if (found) {
            done();
            resolve(found);
          } else if (isEnded) {
            done();
            reject(
              new Error(`the event stream ended without a matching event (got ${JSON.stringify(events)})`),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no matching event within ${timeoutMs} ms (got ${JSON.stringify(events)})`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        void ended.then(check);
        check();
      });
    },
  };
}
