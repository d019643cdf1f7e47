/**
 * The energy domain: readings in (`device.message`), costs, state, alerts and intents out. Each
 * reading is one transaction: the channel's meter state, the booked intervals and any rule crossing
 * are stored together, so a restart neither loses nor repeats anything. What leaves the hub (MQTT,
 * events, payment intents) happens after the commit.
 */
import type { Clock } from '../clock.js';
import type { DeviceMessage } from '../devices/types.js';
import { HubError } from '../errors.js';
import type { EventBus, EventMap } from '../events.js';
import type { Logger } from '../logger.js';
import { hubTopics, type MqttTransport } from '../mqtt/topics.js';
import type { Intent, NewIntent } from '../payments/intent.js';
import { type Db, inTransaction } from '../store/database.js';
import { localTime } from '../time/zoned-time.js';
import { AlertRepository, type EnergyAlert } from './alerts.js';
import { advanceChannel, type ReadingNote } from './channel-meter.js';
import { whToMwh } from './cost-units.js';
import { EnergyAccounting } from './energy-accounting.js';
import { EnergyBook } from './energy-book.js';
import { type DeviceEnergyState, EnergyStates, type HomeEnergyState } from './energy-state.js';
import { discoveryConfigs, discoveryTopics } from './ha-discovery.js';
import type { CycleRule } from './periods.js';
import { type Crossing, RuleEvaluator } from './rule-evaluator.js';
import { type NewRule, type Rule, RuleRepository, ruleProblem } from './rules.js';
import type { Tariff } from './tariff.js';

export interface EnergySettings {
  cycleStartDay: number;
  cycleStartMonth?: number;
  rules: NewRule[];
  /** energy.maxPowerW: readings implying more are refused (src/energy/channel-meter.ts). */
  maxPowerW: number;
}

export interface EnergyContext {
  db: Db;
  events: EventBus;
  transport: MqttTransport;
  clock: Clock;
  logger: Logger;
  tariff: Tariff;
  settings: EnergySettings;
  homeassistant: { discovery: boolean; prefix: string };
  version: string;
  /** The device's name and profile, for Home Assistant; undefined when it does not exist. */
  device(deviceId: string): { name: string; profile: string } | undefined;
  /** `PaymentIntents.create`, handed in by the composition root. */
  createIntent(input: NewIntent, idempotency: { scope: string; key: string }): { intent: Intent };
}

/** A device clock this far ahead of the hub is wrong; its reading is placed at arrival instead. */
const MAX_CLOCK_AHEAD_MS = 5 * 60_000;
/** The most readings applied in one transaction; past it a batch is stored at once. */
const MAX_BATCH = 500;
/** How often the hub checks for a new local day, when every device's "today" starts again at 0. */
const DAY_CHECK_MS = 60_000;
/** Hourly totals kept for forecasts (which look back 24 hours), with room for late readings. */
const HOURS_KEPT_MS = 35 * 24 * 3_600_000;

export class EnergySpend {
  private readonly book: EnergyBook;
  private readonly accounting: EnergyAccounting;
  private readonly states: EnergyStates;
  private readonly rules: RuleRepository;
  private readonly alerts: AlertRepository;
  private readonly evaluator: RuleEvaluator;
  /** Devices whose discovery configs this run has published, and whether those had power. */
  private readonly announced = new Map<string, boolean>();
  private dayTimer: NodeJS.Timeout | undefined;
  private lastDay = '';
  /** Readings heard since the last batch, each with the hub's time when it was heard. */
  private pending: Array<{ event: EventMap['device.message']; heardAt: number }> = [];
  private flushTimer: NodeJS.Immediate | undefined;

  constructor(private readonly ctx: EnergyContext) {
    const cycleRule: CycleRule = {
      period: ctx.tariff.tiers?.cycle ?? 'month',
      startMonth: ctx.settings.cycleStartMonth ?? ctx.tariff.tiers?.startMonth ?? 1,
      startDay: ctx.settings.cycleStartDay,
    };
    this.book = new EnergyBook(ctx.db);
    this.accounting = new EnergyAccounting(this.book, ctx.tariff, cycleRule);
    this.states = new EnergyStates(this.book, this.accounting);
    this.rules = new RuleRepository(ctx.db, ctx.clock);
    this.alerts = new AlertRepository(ctx.db);
    this.evaluator = new RuleEvaluator(this.rules, this.alerts, this.book, ctx.tariff, cycleRule);
  }

  get tariff(): Tariff {
    return this.ctx.tariff;
  }

  /** Listens for readings, loads config rules, and finishes what a stop interrupted. */
  start(): void {
    const { events, settings, logger } = this.ctx;
    // Shapes and tiers were checked by prepareEnergy; a device may have been removed since.
    for (const rule of settings.rules) {
      if (typeof rule.scope === 'object' && !this.ctx.device(rule.scope.deviceId)) {
        logger.warn({ rule: rule.name, deviceId: rule.scope.deviceId }, 'energy rule names no known device');
      }
    }
    this.rules.syncConfig(settings.rules);
    events.on(this, 'device.message', (event) => this.onMessage(event));
    events.on(this, 'device.removed', ({ deviceId }) => this.onRemoved(deviceId));
    for (const pending of this.alerts.pendingIntents()) this.createIntent(pending.alert, pending.action);
    this.lastDay = this.localDay();
    this.book.pruneHours(this.ctx.clock.now() - HOURS_KEPT_MS);
    this.publishAll();
    this.dayTimer = setInterval(() => {
      try {
        this.checkNewDay();
      } catch (err) {
        // From a timer, a database error (a full disk) would end the process: log it instead.
        this.ctx.logger.error({ err }, 'energy day change failed');
      }
    }, DAY_CHECK_MS);
    this.dayTimer.unref();
  }

  stop(): void {
    // What was heard before the stop is stored, not dropped.
    this.flush();
    this.ctx.events.removeAllOf(this);
    clearInterval(this.dayTimer);
    this.dayTimer = undefined;
  }

  deviceState(deviceId: string): DeviceEnergyState | undefined {
    return this.states.device(deviceId, this.ctx.clock.now());
  }

  homeState(): HomeEnergyState {
    return this.states.home(this.ctx.clock.now());
  }

  createRule(input: NewRule): Rule {
    const problem = ruleProblem(input, {
      deviceExists: (id) => this.ctx.device(id) !== undefined,
      tariffHasTiers: !!this.ctx.tariff.tiers,
    });
    if (problem) {
      const missing = typeof input.scope === 'object' && problem.startsWith('no device');
      throw new HubError(missing ? 'device_not_found' : 'invalid_request', problem);
    }
    return this.rules.create(input);
  }

  listRules(): Rule[] {
    return this.rules.list();
  }

  rule(id: string): Rule {
    return this.rules.require(id);
  }

  deleteRule(id: string): Rule {
    return this.rules.delete(id);
  }

  listAlerts(filter: { ruleId?: string; since?: string; limit: number }): EnergyAlert[] {
    return this.alerts.list(filter);
  }

  /** Republishes every metered device's state (and discovery), e.g. at start and at midnight. */
  publishAll(): void {
    for (const deviceId of this.book.meteredDevices()) this.publishState(deviceId);
  }

  /**
   * Readings are stored in batches: everything heard in one turn of the event loop (up to
   * MAX_BATCH) is applied in one transaction, so a busy fleet pays one commit (one fsync) per batch
   * instead of one per reading, and each device's retained state is published once per batch. A
   * quiet hub still stores each reading on the next turn. What a kill can lose is the batch of the
   * last moment; a cumulative counter's next reading counts that energy again.
   */
  private onMessage(event: EventMap['device.message']): void {
    if (event.message.kind !== 'reading') return;
    this.pending.push({ event, heardAt: this.ctx.clock.now() });
    if (this.pending.length >= MAX_BATCH) this.flush();
    else this.flushTimer ??= setImmediate(() => this.flush());
  }

  /** Stores every reading heard so far (each in its own savepoint), then logs and publishes. */
  flush(): void {
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const applied: Array<{ deviceId: string; topic: string; notes: ReadingNote[]; crossings: Crossing[] }> =
      [];
    try {
      inTransaction(this.ctx.db, () => {
        for (const { event, heardAt } of batch) {
          const outcome = this.applyReading(event, heardAt);
          if (outcome) applied.push({ deviceId: event.deviceId, topic: event.topic, ...outcome });
        }
      });
    } catch (err) {
      // The commit failed (a full disk): none of the batch is stored; the counters' next readings
      // count that energy. Nothing is announced for a crossing that was not stored.
      this.ctx.logger.error({ err, readings: batch.length }, 'energy readings not stored');
      return;
    }
    const devices = new Set<string>();
    for (const { deviceId, topic, notes } of applied) {
      this.logNotes(deviceId, topic, notes);
      devices.add(deviceId);
    }
    for (const deviceId of devices) this.publishState(deviceId);
    for (const { crossings } of applied) for (const crossing of crossings) this.announce(crossing);
  }

  /** One reading inside the batch's transaction; its own savepoint, so a failure spoils only it. */
  private applyReading(
    { deviceId, message, receivedAt, topic }: EventMap['device.message'],
    heardAt: number,
  ): { notes: ReadingNote[]; crossings: Crossing[] } | undefined {
    if (message.kind !== 'reading') return undefined;
    const reading = this.checkReading(message, receivedAt);
    if (typeof reading === 'string') {
      this.ctx.logger.warn({ deviceId, topic, reason: reading }, 'malformed reading dropped');
      return undefined;
    }
    const nowIso = new Date(heardAt).toISOString();
    try {
      return this.ctx.db.transaction(() => {
        const channel = message.channel ?? 0;
        const step = advanceChannel(this.book.channel(deviceId, channel), reading, {
          maxPowerW: this.ctx.settings.maxPowerW,
        });
        this.book.saveChannel(deviceId, channel, step.state);
        const touched = step.intervals.flatMap((interval) =>
          this.accounting.bookInterval(deviceId, interval, nowIso),
        );
        return { notes: step.notes, crossings: this.evaluator.evaluate(touched, nowIso) };
      })();
    } catch (err) {
      this.ctx.logger.error({ err, deviceId, topic }, 'energy reading not stored');
      return undefined;
    }
  }

  /** The reading in mWh at an instant, or why it cannot be used. */
  private checkReading(
    message: Extract<DeviceMessage, { kind: 'reading' }>,
    receivedAt: string,
  ): { atMs: number; counterMwh?: number; powerW?: number } | string {
    const received = Date.parse(receivedAt);
    let atMs = message.ts === undefined ? received : Date.parse(message.ts);
    if (!Number.isFinite(atMs)) return `unreadable time ${message.ts ?? receivedAt}`;
    // A device whose clock runs ahead would put every later reading "in the past" and be ignored.
    if (atMs > received + MAX_CLOCK_AHEAD_MS) atMs = received;
    const { energyWh, powerW } = message;
    if (energyWh !== undefined && !(Number.isFinite(energyWh) && energyWh >= 0)) {
      return `energyWh must be a finite counter of at least 0, got ${energyWh}`;
    }
    if (powerW !== undefined && !Number.isFinite(powerW)) return `powerW must be finite, got ${powerW}`;
    const { maxPowerW } = this.ctx.settings;
    if (powerW !== undefined && powerW > maxPowerW)
      return `powerW ${powerW} is above energy.maxPowerW (${maxPowerW} W)`;
    if (energyWh === undefined && powerW === undefined) return 'a reading needs energyWh or powerW';
    return {
      atMs,
      ...(energyWh === undefined ? {} : { counterMwh: whToMwh(energyWh) }),
      ...(powerW === undefined ? {} : { powerW }),
    };
  }

  private logNotes(deviceId: string, topic: string, notes: ReadingNote[]): void {
    for (const note of notes) {
      if (note === 'reset')
        this.ctx.logger.info({ deviceId, topic }, 'energy counter went down: new baseline');
      else if (note === 'resend')
        this.ctx.logger.info({ deviceId, topic }, 'energy counter dip was a resend');
      else if (note === 'implausible')
        this.ctx.logger.warn(
          { deviceId, topic, maxPowerW: this.ctx.settings.maxPowerW },
          'energy counter rose faster than energy.maxPowerW: new baseline, nothing counted',
        );
      else if (note === 'older' || note === 'duplicate') {
        this.ctx.logger.debug({ deviceId, topic, note }, 'reading ignored');
      }
    }
  }

  /** Publishes an alert (MQTT, events) and, for an intent action, asks for the payment first. */
  private announce({ alert, action }: Crossing): void {
    const published = action.kind === 'intent' ? this.createIntent(alert, action) : alert;
    this.ctx.logger.info({ alertId: published.id, ruleId: published.ruleId }, 'energy rule crossed');
    this.ctx.events.emit('energy.alert', published);
    this.publish(hubTopics.alert(published.ruleId), JSON.stringify(published), false);
  }

  /** The intent a rule asks for; idempotent by alert, so a retry after a crash makes no second one. */
  private createIntent(
    alert: EnergyAlert,
    action: { payeeId: string; payeeName?: string; amount: number },
  ): EnergyAlert {
    try {
      const { intent } = this.ctx.createIntent(
        {
          amount: action.amount,
          payee: { id: action.payeeId, name: action.payeeName ?? action.payeeId },
          description: `${alert.name} (energy rule)`,
          source: { kind: 'energy', ...(alert.deviceId ? { deviceId: alert.deviceId } : {}) },
          reason: `${alert.metric} for the ${alert.period} from ${alert.periodStart} reached ${alert.value} (threshold ${alert.threshold})`,
        },
        { scope: 'energy-rule', key: alert.id },
      );
      this.alerts.setIntent(alert.id, { intentId: intent.id });
      return { ...alert, intentId: intent.id };
    } catch (err) {
      const code = err instanceof HubError ? err.code : 'internal_error';
      this.alerts.setIntent(alert.id, { error: code });
      this.ctx.logger.warn(
        { alertId: alert.id, ruleId: alert.ruleId, err: (err as Error).message },
        'rule intent failed',
      );
      return alert;
    }
  }

  private publishState(deviceId: string): void {
    const state = this.deviceState(deviceId);
    if (!state) return;
    this.publish(hubTopics.energyState(deviceId), JSON.stringify(state), true);
    const { discovery, prefix } = this.ctx.homeassistant;
    const hasPower = state.powerW !== null;
    if (!discovery || this.announced.get(deviceId) === hasPower) return;
    const device = this.ctx.device(deviceId);
    if (!device) return;
    this.announced.set(deviceId, hasPower);
    const configs = discoveryConfigs(
      { deviceId, name: device.name, profile: device.profile, currency: state.currency, hasPower },
      { prefix, version: this.ctx.version },
    );
    for (const config of configs) this.publish(config.topic, JSON.stringify(config.payload), true);
  }

  private onRemoved(deviceId: string): void {
    // Readings heard before the removal are stored first, then forgotten with the device; left in
    // the batch they would bring its rows (and its retained state) back after it is gone.
    this.flush();
    this.book.forgetDevice(deviceId);
    this.rules.deleteForDevice(deviceId);
    this.announced.delete(deviceId);
    // An empty retained message deletes the retained state, and in Home Assistant the entity.
    this.publish(hubTopics.energyState(deviceId), '', true);
    if (this.ctx.homeassistant.discovery) {
      for (const topic of discoveryTopics(this.ctx.homeassistant.prefix, deviceId))
        this.publish(topic, '', true);
    }
  }

  private checkNewDay(): void {
    const today = this.localDay();
    if (today === this.lastDay) return;
    this.lastDay = today;
    this.book.pruneHours(this.ctx.clock.now() - HOURS_KEPT_MS);
    this.publishAll();
  }

  private localDay(): string {
    const now = localTime(this.ctx.clock.now(), this.ctx.tariff.timezone);
    return `${now.year}-${now.month}-${now.day}`;
  }

  private publish(topic: string, payload: string, retain: boolean): void {
    this.ctx.transport.publish(topic, payload, { qos: 1, retain }).catch((err: unknown) => {
      this.ctx.logger.warn({ topic, err: (err as Error).message }, 'energy publish failed');
    });
  }
}
