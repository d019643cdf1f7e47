import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import webpush from 'web-push';
import type { Clock } from '../../clock.js';
import { HubError } from '../../errors.js';
import { type Db, prepared } from '../../store/database.js';
import type { KeySealer } from '../../tls/certificates.js';
import type { PushChannel, PushNotification } from './channel.js';

export interface VapidKeys {
  /** base64url of the uncompressed P-256 public key; the browser subscribes with it. */
  publicKey: string;
  privateKey: string;
}

const PLAIN: KeySealer = { seal: (value) => value, reveal: (value) => value };

/** Where the VAPID key pair lives; its private key is sealed at rest and `keys rotate` re-seals it. */
export function vapidKeyFile(dataDir: string): string {
  return path.join(dataDir, 'vapid-keys.json');
}

/**
 * The hub's VAPID key pair, made on first start and kept in `<dataDir>/vapid-keys.json` (mode
 * 0600). It must not change: every browser subscription is bound to the public key it was made with.
 */
export function ensureVapidKeys(dataDir: string, secrets: KeySealer = PLAIN): VapidKeys {
  const file = vapidKeyFile(dataDir);
  if (existsSync(file)) {
    const stored = JSON.parse(secrets.reveal(readFileSync(file, 'utf8'))) as Partial<VapidKeys>;
    if (typeof stored.publicKey === 'string' && typeof stored.privateKey === 'string') {
      chmodSync(file, 0o600);
      return { publicKey: stored.publicKey, privateKey: stored.privateKey };
    }
  }
  mkdirSync(dataDir, { recursive: true });
  const keys = webpush.generateVAPIDKeys();
  writeFileSync(file, secrets.seal(JSON.stringify(keys)), { mode: 0o600 });
  chmodSync(file, 0o600);
  return { publicKey: keys.publicKey, privateKey: keys.privateKey };
}

/** A browser's push subscription (`PushSubscription.toJSON()`), as the web app sends it. */
export interface BrowserPushSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

interface SubscriptionRow {
  endpoint: string;
  phone_id: string;
  p256dh: string;
  auth: string;
}

/** base64url of exactly `length` bytes, or false. */
function isBase64UrlOf(value: string, length: number): boolean {
  return /^[A-Za-z0-9_-]+={0,2}$/.test(value) && Buffer.from(value, 'base64url').length === length;
}

/**
 * The Web Push subscriptions of paired phones. Only phones that are not revoked are pushed to; a
 * subscription the push service says is gone (404, 410) is forgotten.
 */
export class PushSubscriptions {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Keeps (or moves to this phone) a subscription; the keys must be a P-256 point and a 16-byte secret. */
  save(phoneId: string, subscription: BrowserPushSubscription): void {
    if (!isBase64UrlOf(subscription.keys.p256dh, 65) || !isBase64UrlOf(subscription.keys.auth, 16)) {
      throw new HubError(
        'invalid_request',
        'keys.p256dh must be a base64url P-256 public key (65 bytes) and keys.auth 16 bytes',
      );
    }
    prepared(
      this.db,
      `INSERT INTO push_subscriptions (endpoint, phone_id, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (endpoint) DO UPDATE SET phone_id = excluded.phone_id, p256dh = excluded.p256dh,
           auth = excluded.auth, created_at = excluded.created_at, last_error = NULL`,
    ).run(
      subscription.endpoint,
      phoneId,
      subscription.keys.p256dh,
      subscription.keys.auth,
      new Date(this.clock.now()).toISOString(),
    );
  }

  /** Forgets one of this phone's subscriptions (the app turned notifications off). */
  remove(phoneId: string, endpoint: string): void {
    const result = prepared(
      this.db,
      'DELETE FROM push_subscriptions WHERE endpoint = ? AND phone_id = ?',
    ).run(endpoint, phoneId);
    if (result.changes === 0) {
      throw new HubError('push_subscription_not_found', 'This phone has no such push subscription');
    }
  }

  countFor(phoneId: string): number {
    return (
      prepared(this.db, 'SELECT count(*) AS n FROM push_subscriptions WHERE phone_id = ?').get(phoneId) as {
        n: number;
      }
    ).n;
  }

  /** The subscriptions of phones that may still approve. */
  active(): Array<{ phoneId: string } & BrowserPushSubscription> {
    const rows = prepared(
      this.db,
      `SELECT s.endpoint, s.phone_id, s.p256dh, s.auth FROM push_subscriptions s
         JOIN phones p ON p.id = s.phone_id WHERE p.revoked_at IS NULL ORDER BY s.created_at, s.endpoint`,
    ).all() as SubscriptionRow[];
    return rows.map((row) => ({
      phoneId: row.phone_id,
      endpoint: row.endpoint,
      keys: { p256dh: row.p256dh, auth: row.auth },
    }));
  }

  /** The push service said this subscription no longer exists. */
  forget(endpoint: string): void {
    prepared(this.db, 'DELETE FROM push_subscriptions WHERE endpoint = ?').run(endpoint);
  }

  noteError(endpoint: string, error: string): void {
    prepared(this.db, 'UPDATE push_subscriptions SET last_error = ? WHERE endpoint = ?').run(error, endpoint);
  }
}

export interface WebPushOptions {
  subscriptions: PushSubscriptions;
  vapid: VapidKeys;
  /** Who runs this hub, for push services to reach: `mailto:` or an https URL (RFC 8292). */
  subject: string;
  /** How long one push service may take before the send counts as failed. */
  timeoutMs?: number;
  post?: typeof fetch;
}

/** What the service worker receives: enough to show the notification, nothing to act on. */
export interface WebPushPayload {
  kind: PushNotification['kind'];
  intentId?: string;
  title: string;
  body: string;
  url: string;
  /** For the service worker to word the notification in the phone's language. */
  amount?: number;
  currency?: string;
  payeeName?: string;
  description?: string;
  status?: string;
}

/**
 * Web Push (RFC 8030, payload encrypted per RFC 8291, VAPID per RFC 8292) to every subscribed
 * phone's service worker. The `web-push` library encrypts and signs; the request itself goes out
 * with fetch, so a timeout bounds it and the push service may be any URL the browser named. The
 * payload is the notification's text and link: no token, no key, and nothing that approves.
 */
export class WebPushChannel implements PushChannel {
  readonly name = 'web-push';

  constructor(private readonly options: WebPushOptions) {}

  async send(notification: PushNotification): Promise<void> {
    const payload = JSON.stringify(webPushPayload(notification));
    const subscriptions = this.options.subscriptions.active();
    const results = await Promise.all(
      subscriptions.map((subscription) => this.deliver(subscription, payload, notification)),
    );
    const failures = results.filter((result): result is string => result !== null);
    if (failures.length > 0) {
      throw new Error(
        `web push failed for ${failures.length} of ${subscriptions.length}: ${failures.join('; ')}`,
      );
    }
  }

  /** Sends to one subscription; returns why it failed, or null (delivered, or gone and forgotten). */
  private async deliver(
    subscription: BrowserPushSubscription,
    payload: string,
    notification: PushNotification,
  ): Promise<string | null> {
    const { vapid, subject, subscriptions } = this.options;
    const post = this.options.post ?? fetch;
    try {
      const request = webpush.generateRequestDetails(subscription, payload, {
        vapidDetails: { subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
        // An approval is worth delivering only while it can still be approved.
        TTL: notification.kind === 'approval_needed' ? 600 : 3600,
        urgency: notification.kind === 'approval_needed' ? 'high' : 'normal',
        contentEncoding: 'aes128gcm',
      });
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(request.headers)) {
        // fetch computes the length of the body itself.
        if (key.toLowerCase() !== 'content-length') headers[key] = String(value);
      }
      const response = await post(request.endpoint, {
        method: request.method,
        headers,
        body: request.body ? new Uint8Array(request.body) : null,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.status === 404 || response.status === 410) {
        subscriptions.forget(subscription.endpoint);
        return null;
      }
      if (!response.ok) {
        const reason = `HTTP ${response.status} from ${new URL(subscription.endpoint).host}`;
        subscriptions.noteError(subscription.endpoint, reason);
        return reason;
      }
      return null;
    } catch (err) {
      const reason = (err as Error).message || String(err);
      subscriptions.noteError(subscription.endpoint, reason);
      return reason;
    }
  }
}

export function webPushPayload(notification: PushNotification): WebPushPayload {
  const { data } = notification;
  const payee = data.payee as { name?: unknown } | undefined;
  return {
    kind: notification.kind,
    ...(notification.intentId ? { intentId: notification.intentId } : {}),
    title: notification.title,
    body: notification.body,
    url: notification.url,
    ...(typeof data.amount === 'number' ? { amount: data.amount } : {}),
    ...(typeof data.currency === 'string' ? { currency: data.currency } : {}),
    ...(typeof payee?.name === 'string' ? { payeeName: payee.name } : {}),
    ...(typeof data.description === 'string' ? { description: data.description } : {}),
    ...(typeof data.status === 'string' ? { status: data.status } : {}),
  };
}
