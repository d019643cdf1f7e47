import { randomUUID } from 'node:crypto';
import { brokerUrl } from './hub-http.js';
import { HubConnection } from './hub-mqtt.js';
import { HubState } from './hub-state.js';
import { PLATFORM_NAME, PLUGIN_NAME, readSettings } from './settings.js';

/**
 * @typedef {import('homebridge').API} API
 * @typedef {import('homebridge').Logging} Logging
 * @typedef {import('homebridge').PlatformAccessory} PlatformAccessory
 * @typedef {import('homebridge').PlatformConfig} PlatformConfig
 * @typedef {import('homebridge').Service} Service
 * @typedef {import('homebridge').CharacteristicValue} CharacteristicValue
 * @typedef {import('./settings.js').Favourite} Favourite
 * @typedef {{kind: 'favourite', favourite: Favourite} | {kind: 'pending'} | {kind: 'voice-lock'}
 *   | {kind: 'rule', ruleId: string, name: string}} AccessoryContext
 */

/** How long a quick-order switch stays on before it turns itself off (it is stateless). */
const SWITCH_RESET_MS = 1000;
/** How long a quick order waits for the speaker connection before it fails the write. */
const SPEAKER_GRACE_MS = 2000;

/**
 * The homepay platform (model: homebridge/homebridge-plugin-template `src/platform.ts`): cached
 * accessories come back through `configureAccessory`, new ones are registered only after
 * `didFinishLaunching`, and every UUID is derived from something stable (a hub rule id, a
 * favourite's name), so HomeKit rooms, scenes and automations survive restarts. While the hub
 * cannot be reached every read and write fails with `HapStatusError`, which the Home app shows as
 * "No Response" instead of a stale value.
 */
export class HomePayPlatform {
  /**
   * @param {Logging} log
   * @param {PlatformConfig} config
   * @param {API} api
   */
  constructor(log, config, api) {
    this.log = log;
    this.api = api;
    this.Service = api.hap.Service;
    this.Characteristic = api.hap.Characteristic;
    const { settings, problems } = readSettings(/** @type {Record<string, unknown>} */ (config));
    this.settings = settings;
    for (const problem of problems) log.error(`config: ${problem}`);
    this.configured = Boolean(settings.hubUrl && settings.token);
    /** @type {Map<string, PlatformAccessory>} accessories by UUID: restored from the cache, then registered */
    this.accessories = new Map();
    this.hub = new HubState(settings, log);
    /** @type {HubConnection | undefined} the speaker that quick-order switches speak as */
    this.speaker = settings.speaker
      ? new HubConnection({
          resolveUrl: () => brokerUrl(this.hub.http),
          username: settings.speaker.id,
          password: settings.speaker.secret,
          ...(settings.ca ? { ca: settings.ca } : {}),
          clientIdPrefix: 'homebridge-speaker',
          retryMs: settings.reconnectMs,
        })
      : undefined;
    /** @type {Map<string, (said: {text: string}) => void>} sessionId -> waiter for the hub's answer */
    this.answers = new Map();
    /** @type {Set<NodeJS.Timeout>} */
    this.timers = new Set();

    api.on('didFinishLaunching', () => this.launch());
    api.on('shutdown', () => void this.shutdown());
  }

  /**
   * Homebridge hands back each cached accessory before launch; it is kept and wired up, not created
   * again.
   * @param {PlatformAccessory} accessory
   */
  configureAccessory(accessory) {
    this.log.debug(`restoring ${accessory.displayName} from the cache`);
    this.accessories.set(accessory.UUID, accessory);
  }

  launch() {
    if (!this.configured) {
      this.log.error('homepay is not configured (hubUrl and token); no accessories');
      return;
    }
    const { settings } = this;
    /** @type {Set<string>} */
    const wanted = new Set();
    for (const favourite of settings.favourites) {
      wanted.add(
        this.ensure(`favourite:${favourite.name}`, favourite.name, { kind: 'favourite', favourite }),
      );
    }
    if (settings.pendingSensor)
      wanted.add(this.ensure('pending', 'Payment Awaiting Approval', { kind: 'pending' }));
    if (settings.voiceLock)
      wanted.add(this.ensure('voice-lock', 'Voice Ordering Lock', { kind: 'voice-lock' }));
    // Rule sensors restored from the cache keep working (and say "No Response") until the hub is read.
    for (const accessory of this.accessories.values()) {
      const context = /** @type {AccessoryContext} */ (accessory.context);
      if (context.kind === 'rule' && settings.ruleSensors) this.wire(accessory);
      else if (!wanted.has(accessory.UUID)) this.remove(accessory);
    }
    this.hub.on('change', () => this.refresh());
    if (this.speaker) {
      this.speaker.subscribe(`homepay/speaker/${settings.speaker?.id}/say`, (_topic, payload) =>
        this.onSay(payload),
      );
      let lastRefusal = '';
      this.speaker.on('refused', (err) => {
        if (err.message !== lastRefusal) this.log.warn(`homepay broker (speaker device): ${err.message}`);
        lastRefusal = err.message;
      });
      this.speaker.on('up', () => {
        lastRefusal = '';
      });
      this.speaker.start();
    }
    this.hub.start();
  }

  async shutdown() {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([this.hub.stop(), this.speaker?.stop()]);
  }

  /**
   * The accessory for `key`: the cached one, or a new one registered with Homebridge.
   * @param {string} key
   * @param {string} name
   * @param {AccessoryContext} context
   */
  ensure(key, name, context) {
    const uuid = this.uuidFor(key);
    let accessory = this.accessories.get(uuid);
    if (!accessory) {
      accessory = new this.api.platformAccessory(name, uuid);
      accessory.context = context;
      this.wire(accessory);
      this.api.registerPlatformAccessories(PLUGIN_NAME, PLATFORM_NAME, [accessory]);
      this.accessories.set(uuid, accessory);
      this.log.info(`added ${name}`);
    } else {
      accessory.context = context;
      this.wire(accessory);
      this.api.updatePlatformAccessories([accessory]);
    }
    return uuid;
  }

  /**
   * Stable across restarts and reinstalls: hub ids for rules, names for what the config defines.
   * Accessories of the hub as a whole carry the platform's name, so two hubs do not collide.
   * @param {string} key
   */
  uuidFor(key) {
    const seed = key.startsWith('rule:') ? `homepay:${key}` : `homepay:${this.settings.name}:${key}`;
    return this.api.hap.uuid.generate(seed);
  }

  /** @param {PlatformAccessory} accessory */
  remove(accessory) {
    this.api.unregisterPlatformAccessories(PLUGIN_NAME, PLATFORM_NAME, [accessory]);
    this.accessories.delete(accessory.UUID);
    this.log.info(`removed ${accessory.displayName}`);
  }

  /**
   * Services and handlers of one accessory, by its kind. Safe to call again: services are reused,
   * handlers replaced.
   * @param {PlatformAccessory} accessory
   */
  wire(accessory) {
    const { Service, Characteristic } = this;
    const context = /** @type {AccessoryContext} */ (accessory.context);
    const info = accessory.getService(Service.AccessoryInformation);
    info
      ?.setCharacteristic(Characteristic.Manufacturer, 'homepay')
      .setCharacteristic(Characteristic.Model, modelOf(context))
      .setCharacteristic(
        Characteristic.SerialNumber,
        context.kind === 'rule' ? context.ruleId : context.kind,
      );
    if (context.kind === 'favourite') {
      const service =
        accessory.getService(Service.Switch) ?? accessory.addService(Service.Switch, context.favourite.name);
      service
        .getCharacteristic(Characteristic.On)
        .onGet(() => {
          this.requireHub();
          return false;
        })
        .onSet((value) => this.quickOrder(service, context.favourite, value));
    } else {
      if (context.kind === 'voice-lock' && !accessory.getService(Service.Switch)) {
        accessory.addService(Service.Switch, accessory.displayName);
      }
      const live = this.live(accessory);
      live?.characteristic.onGet(() => {
        this.requireHub();
        return live.current();
      });
      if (context.kind === 'voice-lock') live?.characteristic.onSet((value) => this.setVoiceLock(value));
    }
  }

  /**
   * The sensor service of a pending or rule accessory: an occupancy sensor ("detected" while on) or
   * a contact sensor ("open" while on), as configured; a changed type replaces the service.
   * @param {PlatformAccessory} accessory
   */
  sensor(accessory) {
    const { Service, Characteristic } = this;
    const contact = this.settings.sensorType === 'contact';
    const [wanted, other] = contact
      ? [Service.ContactSensor, Service.OccupancySensor]
      : [Service.OccupancySensor, Service.ContactSensor];
    const stale = accessory.getService(other);
    if (stale) accessory.removeService(stale);
    const service = accessory.getService(wanted) ?? accessory.addService(wanted, accessory.displayName);
    return contact
      ? {
          service,
          characteristic: Characteristic.ContactSensorState,
          value: (/** @type {boolean} */ on) =>
            on
              ? Characteristic.ContactSensorState.CONTACT_NOT_DETECTED
              : Characteristic.ContactSensorState.CONTACT_DETECTED,
        }
      : {
          service,
          characteristic: Characteristic.OccupancyDetected,
          value: (/** @type {boolean} */ on) =>
            on
              ? Characteristic.OccupancyDetected.OCCUPANCY_DETECTED
              : Characteristic.OccupancyDetected.OCCUPANCY_NOT_DETECTED,
        };
  }

  /** Throws HapStatusError (SERVICE_COMMUNICATION_FAILURE) while the hub cannot be reached. */
  requireHub() {
    if (!this.hub.reachable) {
      throw new this.api.hap.HapStatusError(this.api.hap.HAPStatus.SERVICE_COMMUNICATION_FAILURE);
    }
  }

  /** Pushes what the hub says now to HomeKit, and matches rule sensors to the hub's rules. */
  refresh() {
    if (this.hub.synced && this.settings.ruleSensors) this.matchRules();
    const { HapStatusError, HAPStatus } = this.api.hap;
    for (const accessory of this.accessories.values()) {
      const live = this.live(accessory);
      if (!live) continue;
      // Subscribed controllers learn at once; reads fail with HapStatusError until the hub is back.
      live.characteristic.updateValue(
        this.hub.reachable ? live.current() : new HapStatusError(HAPStatus.SERVICE_COMMUNICATION_FAILURE),
      );
    }
  }

  /**
   * The characteristic of an accessory that follows the hub, with its current value; none for
   * quick-order switches, which are always off.
   * @param {PlatformAccessory} accessory
   */
  live(accessory) {
    const context = /** @type {AccessoryContext} */ (accessory.context);
    if (context.kind === 'favourite') return undefined;
    if (context.kind === 'voice-lock') {
      const characteristic = accessory
        .getService(this.Service.Switch)
        ?.getCharacteristic(this.Characteristic.On);
      return characteristic && { characteristic, current: () => !this.hub.orderingEnabled };
    }
    const { service, characteristic, value } = this.sensor(accessory);
    const on = () =>
      context.kind === 'pending' ? this.hub.pending.size > 0 : this.hub.over.get(context.ruleId) === true;
    return { characteristic: service.getCharacteristic(characteristic), current: () => value(on()) };
  }

  /** One sensor per hub rule: new rules added, deleted rules removed, renamed rules renamed. */
  matchRules() {
    const wanted = new Set();
    for (const rule of this.hub.rules) {
      const uuid = this.uuidFor(`rule:${rule.id}`);
      wanted.add(uuid);
      const existing = this.accessories.get(uuid);
      if (existing && /** @type {{name?: string}} */ (existing.context).name === rule.name) continue;
      this.ensure(`rule:${rule.id}`, rule.name, { kind: 'rule', ruleId: rule.id, name: rule.name });
    }
    for (const accessory of [...this.accessories.values()]) {
      const context = /** @type {AccessoryContext} */ (accessory.context);
      if (context.kind === 'rule' && !wanted.has(accessory.UUID)) this.remove(accessory);
    }
  }

  /**
   * "Hey Siri, turn on Order Cat Food": the favourite's words go to the hub as the speaker device,
   * exactly as a homepay speaker would send them. The hub applies the speaker's policy and the
   * home-wide lock, and the intent waits for the phone. A refusal fails the write, so Siri says it
   * did not work; the hub's answer is in the log.
   * @param {Service} service
   * @param {Favourite} favourite
   * @param {CharacteristicValue} value
   */
  async quickOrder(service, favourite, value) {
    if (!value) return;
    const { HapStatusError, HAPStatus } = this.api.hap;
    const resetSoon = () => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        service.updateCharacteristic(this.Characteristic.On, false);
      }, SWITCH_RESET_MS);
      this.timers.add(timer);
    };
    resetSoon();
    this.requireHub();
    const speaker = this.speaker;
    const speakerId = this.settings.speaker?.id;
    if (!speaker || !speakerId) throw new HapStatusError(HAPStatus.SERVICE_COMMUNICATION_FAILURE);
    // Just after the hub came back the speaker may still be reconnecting: a moment's grace.
    await speaker.waitConnected(SPEAKER_GRACE_MS).catch(() => {
      throw new HapStatusError(HAPStatus.SERVICE_COMMUNICATION_FAILURE);
    });
    const sessionId = `homebridge-${randomUUID()}`;
    const answer = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.answers.delete(sessionId);
        this.timers.delete(timer);
        reject(new Error('no answer from the hub'));
      }, this.settings.answerTimeoutMs);
      this.timers.add(timer);
      this.answers.set(sessionId, (said) => {
        clearTimeout(timer);
        this.timers.delete(timer);
        resolve(said);
      });
    });
    try {
      await speaker.publish(`homepay/speaker/${speakerId}/utterance`, {
        text: favourite.order,
        sessionId,
        ...(favourite.lang ? { lang: favourite.lang } : {}),
      });
      const said = /** @type {{text: string}} */ (await answer);
      const { body } = await this.hub.request({
        path: 'api/orders',
        query: { deviceId: speakerId, limit: 20 },
      });
      const placed = body.filter((/** @type {{sessionId: string}} */ o) => o.sessionId === sessionId);
      if (placed.length === 0) {
        this.log.warn(`${favourite.name}: not ordered: ${said.text}`);
        throw new HapStatusError(HAPStatus.NOT_ALLOWED_IN_CURRENT_STATE);
      }
      this.log.info(`${favourite.name}: ${said.text}`);
    } catch (err) {
      if (err instanceof HapStatusError) throw err;
      this.log.warn(`${favourite.name}: ${/** @type {Error} */ (err).message}`);
      throw new HapStatusError(HAPStatus.SERVICE_COMMUNICATION_FAILURE);
    }
  }

  /** @param {Buffer} payload */
  onSay(payload) {
    let said;
    try {
      said = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    const waiter = said && typeof said.sessionId === 'string' ? this.answers.get(said.sessionId) : undefined;
    if (waiter) {
      this.answers.delete(said.sessionId);
      waiter(said);
    } else if (said && typeof said.text === 'string') {
      // How an earlier quick order ended (approved, denied, expired): worth a line in the log.
      this.log.info(`homepay: ${said.text}`);
    }
  }

  /**
   * On = the lock is on = no voice orders in the whole home (PUT /api/voice/ordering, admin).
   * @param {CharacteristicValue} value
   */
  async setVoiceLock(value) {
    this.requireHub();
    try {
      await this.hub.setOrdering(!value);
      this.log.info(value ? 'voice ordering locked for the whole home' : 'voice ordering unlocked');
    } catch (err) {
      this.log.warn(`voice ordering lock: ${/** @type {Error} */ (err).message}`);
      throw new this.api.hap.HapStatusError(this.api.hap.HAPStatus.SERVICE_COMMUNICATION_FAILURE);
    }
  }
}

/** @param {AccessoryContext} context */
function modelOf(context) {
  switch (context.kind) {
    case 'favourite':
      return 'Quick order';
    case 'pending':
      return 'Approval sensor';
    case 'voice-lock':
      return 'Voice ordering lock';
    default:
      return 'Spend rule sensor';
  }
}
