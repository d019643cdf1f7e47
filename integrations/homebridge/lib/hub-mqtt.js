// The same client as flows/node-red-contrib-homepay/lib/hub-mqtt.js (CommonJS there): each package installs on its own.
/**
 * One MQTT connection to the hub's broker as one registered device (username = device id, password =
 * its secret), shared by every node that needs it. It reconnects by itself, asking again where the
 * broker is each time (a hub restarted with port 0 binds a new port), and subscribes again to what
 * its users asked for.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import mqtt from 'mqtt';

export class HubConnection extends EventEmitter {
  /**
   * @param {{resolveUrl: () => Promise<string>, username: string, password: string, ca?: string,
   *   clientIdPrefix: string, retryMs?: number}} options
   */
  constructor(options) {
    super();
    this.options = options;
    /** @type {Map<string, Set<(topic: string, payload: Buffer) => void>>} */
    this.handlers = new Map();
    /** @type {import('mqtt').MqttClient | undefined} */
    this.client = undefined;
    this.connected = false;
    this.stopped = true;
    /** @type {NodeJS.Timeout | undefined} */
    this.retryTimer = undefined;
    /** Why the last attempt failed, for status lines. */
    this.lastError = '';
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  async stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    if (client) await client.endAsync(true).catch(() => {});
  }

  /**
   * Calls `handler` for every message on a topic matching `filter`, until the returned function is
   * called.
   * @param {string} filter
   * @param {(topic: string, payload: Buffer) => void} handler
   */
  subscribe(filter, handler) {
    let set = this.handlers.get(filter);
    if (!set) {
      set = new Set();
      this.handlers.set(filter, set);
      if (this.connected) this.client?.subscribe(filter, { qos: 1 });
    }
    set.add(handler);
    return () => {
      const current = this.handlers.get(filter);
      if (!current) return;
      current.delete(handler);
      if (current.size === 0) {
        this.handlers.delete(filter);
        if (this.connected) this.client?.unsubscribe(filter);
      }
    };
  }

  /**
   * @param {string} topic
   * @param {unknown} payload
   */
  async publish(topic, payload) {
    if (!this.client || !this.connected) throw new Error('not connected to the hub broker');
    await this.client.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
  }

  /** Resolves once connected (and subscribed), or rejects after `timeoutMs`. */
  waitConnected(timeoutMs = 5000) {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('up', onUp);
        reject(new Error(`not connected to the hub broker${this.lastError ? `: ${this.lastError}` : ''}`));
      }, timeoutMs);
      const onUp = () => {
        clearTimeout(timer);
        resolve(undefined);
      };
      this.once('up', onUp);
    });
  }

  async connect() {
    if (this.stopped) return;
    let url;
    try {
      url = await this.options.resolveUrl();
    } catch (err) {
      this.failed(err);
      return;
    }
    if (this.stopped) return;
    const client = mqtt.connect(url, {
      username: this.options.username,
      password: this.options.password,
      clientId: `${this.options.clientIdPrefix}-${randomBytes(4).toString('hex')}`,
      // The embedded broker speaks MQTT 3.1.1 (aedes has no MQTT 5).
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...(this.options.ca ? { ca: this.options.ca } : {}),
    });
    this.client = client;
    client.on('connect', () => {
      const filters = [...this.handlers.keys()];
      const subscribed = filters.length > 0 ? client.subscribeAsync(filters, { qos: 1 }) : Promise.resolve();
      subscribed
        .then(() => {
          if (this.client !== client) return;
          this.connected = true;
          this.lastError = '';
          this.emit('up');
        })
        .catch((err) => this.failed(err));
    });
    client.on('message', (topic, payload) => {
      for (const [filter, handlers] of this.handlers) {
        if (!topicMatches(filter, topic)) continue;
        for (const handler of handlers) handler(topic, payload);
      }
    });
    client.on('error', (err) => {
      this.lastError = err.message;
      this.emit('refused', err);
    });
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end(true);
      const was = this.connected;
      this.connected = false;
      if (was) this.emit('down');
      this.scheduleRetry();
    });
  }

  /** @param {unknown} err */
  failed(err) {
    this.lastError = err instanceof Error ? err.message : String(err);
    const client = this.client;
    this.client = undefined;
    client?.end(true);
    if (this.connected) {
      this.connected = false;
      this.emit('down');
    }
    this.scheduleRetry();
  }

  scheduleRetry() {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), this.options.retryMs ?? 5000);
  }
}

/**
 * MQTT filter matching (`+` one level, `#` the rest).
 * @param {string} filter
 * @param {string} topic
 */
export function topicMatches(filter, topic) {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
