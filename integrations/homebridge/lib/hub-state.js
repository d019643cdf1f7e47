import { EventEmitter } from 'node:events';
import { brokerUrl, hubRequest } from './hub-http.js';
import { HubConnection } from './hub-mqtt.js';

/**
 * @typedef {{id: string, name: string, period: 'day' | 'week' | 'month' | 'cycle'}} Rule
 * @typedef {import('./settings.js').HomePaySettings} HomePaySettings
 */

/**
 * What HomeKit shows about the hub, kept current from the public contract only: a full read over
 * HTTP at start, on every (re)connection and every poll, and changes as they happen from the hub's
 * MQTT events (as a `homepay-integration` device) when one is configured. Emits `change` whenever
 * anything HomeKit shows may differ.
 */
export class HubState extends EventEmitter {
  /**
   * @param {HomePaySettings} settings
   * @param {import('homebridge').Logging} log
   */
  constructor(settings, log) {
    super();
    this.settings = settings;
    this.log = log;
    /** Whether the last read over HTTP worked (and the events connection, if any, is up). */
    this.reachable = false;
    this.httpOk = false;
    /** At least one full read has worked since start: the rule list is known. */
    this.synced = false;
    /** @type {Set<string>} intents waiting for the phone */
    this.pending = new Set();
    /** @type {Rule[]} */
    this.rules = [];
    /** @type {Map<string, boolean>} ruleId -> over its threshold in its current period */
    this.over = new Map();
    this.orderingEnabled = true;
    /** @type {NodeJS.Timeout | undefined} */
    this.pollTimer = undefined;
    /** @type {Promise<void> | undefined} */
    this.syncing = undefined;
    this.resyncAfter = false;
    this.stopped = true;
    /** @type {HubConnection | undefined} */
    this.events = settings.events
      ? new HubConnection({
          resolveUrl: () => brokerUrl(this.http),
          username: settings.events.id,
          password: settings.events.secret,
          ...(settings.ca ? { ca: settings.ca } : {}),
          clientIdPrefix: 'homebridge-events',
          retryMs: settings.reconnectMs,
        })
      : undefined;
  }

  /** How to reach the HTTP API. */
  get http() {
    const { hubUrl, token, mqttUrl, ca } = this.settings;
    return { hubUrl, token, mqttUrl, ca };
  }

  start() {
    this.stopped = false;
    const events = this.events;
    if (events) {
      events.subscribe('homepay/status', (_topic, payload) => {
        if (payload.toString('utf8') === 'online') void this.sync();
        else this.update({ reachable: false });
      });
      events.subscribe('homepay/intent/+', (_topic, payload) => this.onIntent(payload));
      events.subscribe('homepay/alert/+', (_topic, payload) => this.onAlert(payload));
      events.on('up', () => void this.sync());
      events.on('down', () => {
        this.log.warn('lost the connection to the homepay hub; reconnecting');
        this.recompute();
      });
      let lastRefusal = '';
      events.on('refused', (err) => {
        // Said once per reason, not at every retry.
        if (err.message !== lastRefusal) this.log.warn(`homepay broker (events device): ${err.message}`);
        lastRefusal = err.message;
      });
      events.on('up', () => {
        lastRefusal = '';
      });
      events.start();
    }
    void this.sync();
    this.pollTimer = setInterval(() => void this.sync(), this.settings.pollMs);
  }

  async stop() {
    this.stopped = true;
    clearInterval(this.pollTimer);
    await this.events?.stop();
  }

  /**
   * A request to the hub's HTTP API with the configured token.
   * @param {{method?: string, path: string, query?: Record<string, string | number | undefined>, body?: unknown}} request
   */
  request(request) {
    return hubRequest(this.http, request);
  }

  /** Reads everything HomeKit shows; one read at a time, another one queued if asked meanwhile. */
  sync() {
    if (this.syncing) {
      this.resyncAfter = true;
      return this.syncing;
    }
    this.syncing = this.readAll().finally(() => {
      this.syncing = undefined;
      if (this.resyncAfter && !this.stopped) {
        this.resyncAfter = false;
        void this.sync();
      }
    });
    return this.syncing;
  }

  async readAll() {
    try {
      const [intents, rules, energy, ordering] = await Promise.all([
        this.request({ path: 'api/intents', query: { status: 'requires_approval', limit: 500 } }),
        this.request({ path: 'api/rules' }),
        this.request({ path: 'api/energy' }),
        this.request({ path: 'api/voice/ordering' }),
      ]);
      /** @type {Rule[]} */
      const ruleList = rules.body.map((/** @type {Rule} */ r) => ({
        id: r.id,
        name: r.name,
        period: r.period,
      }));
      const over = new Map();
      // A rule is over its threshold while its newest alert belongs to the period now running.
      await Promise.all(
        ruleList.map(async (rule) => {
          const { body } = await this.request({ path: 'api/alerts', query: { ruleId: rule.id, limit: 1 } });
          const latest = body[0];
          over.set(rule.id, Boolean(latest && latest.periodStart === energy.body[rule.period]?.start));
        }),
      );
      if (this.stopped) return;
      this.pending = new Set(intents.body.map((/** @type {{id: string}} */ i) => i.id));
      this.rules = ruleList;
      this.over = over;
      this.orderingEnabled = ordering.body.enabled;
      if (!this.httpOk) this.log.info(`connected to the homepay hub at ${this.settings.hubUrl}`);
      this.httpOk = true;
      this.synced = true;
      this.recompute(true);
    } catch (err) {
      if (this.stopped) return;
      if (this.httpOk) this.log.warn(`the homepay hub is unreachable: ${/** @type {Error} */ (err).message}`);
      else this.log.debug(`homepay hub not read: ${/** @type {Error} */ (err).message}`);
      this.httpOk = false;
      this.recompute();
    }
  }

  /** @param {Buffer} payload */
  onIntent(payload) {
    const intent = parse(payload);
    if (!intent || typeof intent.id !== 'string') return;
    if (intent.status === 'requires_approval') this.pending.add(intent.id);
    else this.pending.delete(intent.id);
    this.emit('change');
  }

  /** @param {Buffer} payload */
  onAlert(payload) {
    const alert = parse(payload);
    if (!alert || typeof alert.ruleId !== 'string') return;
    if (!this.rules.some((rule) => rule.id === alert.ruleId)) {
      // A rule made since the last read: read again to learn its name and period.
      void this.sync();
      return;
    }
    this.over.set(alert.ruleId, true);
    this.emit('change');
  }

  /**
   * @param {{reachable?: boolean}} [forced]
   */
  update(forced = {}) {
    if (forced.reachable === false) this.httpOk = false;
    this.recompute();
  }

  /** @param {boolean} [changed] something read may differ even if reachability did not */
  recompute(changed = false) {
    const reachable = this.httpOk && (!this.events || this.events.connected);
    if (reachable === this.reachable && !changed) return;
    this.reachable = reachable;
    this.emit('change');
  }

  /** The home-wide voice ordering switch, set over HTTP (admin). @param {boolean} enabled */
  async setOrdering(enabled) {
    const { body } = await this.request({ method: 'PUT', path: 'api/voice/ordering', body: { enabled } });
    this.orderingEnabled = body.enabled;
    this.emit('change');
  }
}

/** @param {Buffer} payload */
function parse(payload) {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}
