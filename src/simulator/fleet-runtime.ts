/**
 * The running fleet: one MQTT client per registered device (a Zigbee2MQTT bridge speaks for its
 * plugs), each with its profile's last will, an announcement when it connects, and reports on a
 * steady schedule spread evenly over the fleet. Simulated time runs `speed` times faster than the
 * wall clock; the devices' own clocks (timestamps in payloads) stay on real time, as NTP keeps them.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { clientIdFor, type FleetPlan, type PlannedPlug, SATELLITE_KEY, SPEAKER_KEY } from './fleet-plan.js';
import { createAppliance } from './load-curves.js';
import { LocalClock } from './local-clock.js';
import { PlugMeter } from './plug-meter.js';
import {
  type ClientAvailability,
  clientAvailability,
  type Outgoing,
  type PlugProfile,
  type PlugSnapshot,
  type PlugWire,
  plugWire,
} from './plug-wire.js';
import { hashSeed, seededRandom } from './random.js';
import type { StoredDevice } from './state-file.js';
import { SimulatedSatellite, SimulatedSpeaker, type SimulatedVoice, type VoiceListener } from './voices.js';

export interface RuntimeOptions {
  mqttUrl: string;
  /** Simulated seconds per real second. */
  speed: number;
  /** Simulated seconds between two reports of one plug. */
  reportEverySec: number;
  timeZone: string;
  /** Mean simulated minutes between two orders of one voice (in waking hours). */
  orderEveryMin: number;
  /** Real ms before each voice's first order (whatever the simulated hour). */
  firstOrderAfterMs: number;
  /** Clients connecting at once. */
  connectConcurrency?: number;
  /** A new secret for a device the broker refused (its stored one was rotated elsewhere). */
  renewCredentials?: (key: string) => Promise<StoredDevice | undefined>;
}

export interface RuntimeStats {
  clients: number;
  connected: number;
  plugs: number;
  published: number;
  byProfile: Record<string, number>;
  /** Sum of every plug's latest power, W. */
  powerW: number;
  simMs: number;
  said: number;
  heard: number;
  refused: string[];
}

/** A plug's client may not publish faster than this (the hub allows 50 msg/s per client). */
export const MAX_CLIENT_RATE = 40;
const TICK_MS = 20;

interface RunningPlug {
  plan: PlannedPlug;
  meter: PlugMeter;
  wire: PlugWire;
  client: RunningClient;
  intervalMs: number;
  nextAt: number;
  lastPowerW: number;
}

interface RunningClient {
  key: string;
  device: StoredDevice;
  profile: string;
  availability?: ClientAvailability;
  mqtt?: MqttClient;
  plugs: RunningPlug[];
}

export class FleetRuntime {
  private readonly clock: LocalClock;
  private readonly clients = new Map<string, RunningClient>();
  private readonly plugs: RunningPlug[] = [];
  private readonly voices: Array<{
    voice: SimulatedVoice;
    nextAt: number;
    first: boolean;
    random: () => number;
  }> = [];
  private readonly startReal = Date.now();
  private readonly startSim: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly stats: RuntimeStats;

  constructor(
    plan: FleetPlan,
    devices: ReadonlyMap<string, StoredDevice>,
    counters: Readonly<Record<string, number>>,
    private readonly fleetSeed: string,
    private readonly options: RuntimeOptions,
    private readonly listener: VoiceListener,
  ) {
    this.clock = new LocalClock(options.timeZone);
    this.startSim = this.startReal;
    for (const client of plan.clients) {
      const device = devices.get(client.key);
      if (!device) throw new Error(`no registered device for ${client.key}`);
      this.clients.set(client.key, {
        key: client.key,
        device,
        profile: client.profile,
        plugs: [],
        ...(isPlugProfile(client.profile)
          ? { availability: clientAvailability(client.profile, device.identity) }
          : {}),
      });
    }
    const reportMs = (options.reportEverySec * 1000) / options.speed;
    for (const [index, plug] of plan.plugs.entries()) {
      const client = this.clients.get(plug.clientKey) as RunningClient;
      const random = seededRandom(hashSeed(`${fleetSeed}:${plug.key}:counter`));
      const appliance = createAppliance(plug.appliance, `${fleetSeed}:${plug.key}`, this.clock);
      const running: RunningPlug = {
        plan: plug,
        meter: new PlugMeter(
          appliance,
          counters[plug.key] ?? Math.round(5_000 + random() * 60_000),
          this.startSim,
        ),
        wire: plugWire(
          plug.profile,
          { identity: client.device.identity, ...(plug.child ? { child: plug.child } : {}) },
          this.clock,
        ),
        client,
        intervalMs: reportMs,
        nextAt: this.startReal + (reportMs * index) / plan.plugs.length,
        lastPowerW: 0,
      };
      client.plugs.push(running);
      this.plugs.push(running);
    }
    // A bridge speaks for all its plugs on one connection: spread them below the per-client limit.
    for (const client of this.clients.values()) {
      const minimum = (client.plugs.length * 1000) / MAX_CLIENT_RATE;
      for (const plug of client.plugs) plug.intervalMs = Math.max(plug.intervalMs, minimum);
    }
    this.stats = {
      clients: this.clients.size,
      connected: 0,
      plugs: this.plugs.length,
      published: 0,
      byProfile: {},
      powerW: 0,
      simMs: this.startSim,
      said: 0,
      heard: 0,
      refused: [],
    };
  }

  /** Simulated now. */
  simNow(realMs = Date.now()): number {
    return this.startSim + (realMs - this.startReal) * this.options.speed;
  }

  snapshot(): RuntimeStats {
    let connected = 0;
    for (const client of this.clients.values()) if (client.mqtt?.connected) connected++;
    return {
      ...this.stats,
      connected,
      byProfile: { ...this.stats.byProfile },
      simMs: this.simNow(),
      refused: [...this.stats.refused],
    };
  }

  /** Each plug's counter, Wh, to continue from on the next run. */
  counters(): Record<string, number> {
    const now = this.simNow();
    return Object.fromEntries(
      this.plugs.map((plug) => {
        plug.meter.advanceTo(now);
        return [plug.plan.key, Math.round(plug.meter.energyWh * 1000) / 1000];
      }),
    );
  }

  /** Connects every client (a few at a time), then starts the voices. */
  async connect(onProgress: (done: number, total: number) => void = () => {}): Promise<void> {
    const queue = [...this.clients.values()];
    let done = 0;
    const worker = async () => {
      for (let client = queue.shift(); client; client = queue.shift()) {
        await this.connectClient(client);
        onProgress(++done, this.clients.size);
      }
    };
    await Promise.all(Array.from({ length: this.options.connectConcurrency ?? 32 }, worker));
    const voiceListener: VoiceListener = {
      said: (who, text) => {
        this.stats.said++;
        this.listener.said(who, text);
      },
      heard: (who, text) => {
        this.stats.heard++;
        this.listener.heard(who, text);
      },
    };
    const speaker = this.clients.get(SPEAKER_KEY);
    const satellite = this.clients.get(SATELLITE_KEY);
    const voices: SimulatedVoice[] = [];
    if (speaker?.mqtt) voices.push(new SimulatedSpeaker(speaker.mqtt, speaker.device.id, voiceListener));
    if (satellite?.mqtt)
      voices.push(new SimulatedSatellite(satellite.mqtt, satellite.device.identity, voiceListener));
    for (const [index, voice] of voices.entries()) {
      await voice.start();
      this.voices.push({
        voice,
        nextAt: Date.now() + this.options.firstOrderAfterMs * (1 + index),
        first: true,
        random: seededRandom(hashSeed(`${this.fleetSeed}:${voice.name}:orders`)),
      });
    }
  }

  /** Starts reporting; `stop` ends it. */
  start(): void {
    const now = Date.now();
    for (const plug of this.plugs) plug.nextAt = Math.max(plug.nextAt, now);
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(
      [...this.clients.values()].map(async (client) => {
        const connection = client.mqtt;
        if (!connection) return;
        // A clean goodbye, as firmware does on a restart; the will covers a crash.
        if (connection.connected && client.availability) {
          await publish(connection, client.availability.offline, 0).catch(() => {});
        }
        await connection.endAsync().catch(() => {});
      }),
    );
  }

  private tick(): void {
    const now = Date.now();
    const simNow = this.simNow(now);
    for (const plug of this.plugs) {
      if (now < plug.nextAt) continue;
      plug.nextAt += plug.intervalMs;
      if (plug.nextAt < now) plug.nextAt = now + plug.intervalMs;
      const connection = plug.client.mqtt;
      if (!connection?.connected) continue;
      plug.meter.advanceTo(simNow);
      const snapshot = this.snapshotOf(plug, now);
      this.stats.powerW += snapshot.powerW - plug.lastPowerW;
      plug.lastPowerW = snapshot.powerW;
      this.send(connection, plug.plan.profile, plug.wire.report(snapshot));
    }
    for (const entry of this.voices) {
      if (now < entry.nextAt) continue;
      const meanMs = (this.options.orderEveryMin * 60_000) / this.options.speed;
      const hour = this.clock.at(simNow).hour;
      // People order while awake (at night the next try is ten simulated minutes on); the first
      // order comes whatever the hour, so a newcomer sees one within seconds.
      const awake = hour >= 7 && hour < 22;
      if (awake || entry.first) void entry.voice.order().catch(() => {});
      entry.first = false;
      entry.nextAt = awake
        ? now + Math.max(2000, -Math.log(1 - entry.random()) * meanMs)
        : now + Math.max(1000, 600_000 / this.options.speed);
    }
  }

  private snapshotOf(plug: RunningPlug, now: number): PlugSnapshot {
    const voltage = 228 + 4 * Math.sin(now / 600_000 + plug.nextAt);
    return {
      powerW: Math.max(0, plug.meter.powerW),
      energyWh: plug.meter.energyWh,
      wallMs: now,
      voltageV: voltage,
      appliance: plug.plan.appliance,
    };
  }

  private send(connection: MqttClient, profile: string, message: Outgoing, qos: 0 | 1 = 0): void {
    this.stats.published++;
    this.stats.byProfile[profile] = (this.stats.byProfile[profile] ?? 0) + 1;
    connection.publish(message.topic, message.payload, { qos, retain: message.retain });
  }

  private async connectClient(client: RunningClient, renewed = false): Promise<void> {
    const { device } = client;
    const options: IClientOptions = {
      username: device.id,
      password: device.password,
      clientId: clientIdFor(client.profile as never, device.identity, device.id),
      protocolVersion: 4,
      clean: true,
      keepalive: 60,
      reconnectPeriod: 2000,
      connectTimeout: 30_000,
      ...(client.availability ? { will: { ...client.availability.will, qos: 1 as const } } : {}),
    };
    const connection = mqtt.connect(this.options.mqttUrl, options);
    const outcome = await new Promise<'ok' | 'refused' | 'failed'>((resolve) => {
      connection.once('connect', () => resolve('ok'));
      connection.once('error', (err) =>
        resolve((err as { code?: number }).code === 5 ? 'refused' : 'failed'),
      );
    });
    if (outcome !== 'ok') {
      await connection.endAsync(true).catch(() => {});
      const renewedDevice =
        !renewed && outcome === 'refused' ? await this.options.renewCredentials?.(client.key) : undefined;
      if (renewedDevice) {
        client.device = renewedDevice;
        return this.connectClient(client, true);
      }
      this.stats.refused.push(
        `${client.key} (${device.id}): ${outcome === 'refused' ? 'not authorized' : 'no connection'}`,
      );
      return;
    }
    client.mqtt = connection;
    connection.on('connect', () => this.announce(client, connection));
    // After the first connect, an error is a reconnect in progress (mqtt.js retries every 2 s); the
    // progress line shows how many clients are online.
    connection.on('error', () => {});
    this.announce(client, connection);
  }

  /** What firmware says on every (re)connect: online, and each plug's hello. */
  private announce(client: RunningClient, connection: MqttClient): void {
    if (client.availability) this.send(connection, client.profile, client.availability.online, 1);
    const now = Date.now();
    for (const plug of client.plugs) {
      for (const message of plug.wire.hello(this.snapshotOf(plug, now)))
        this.send(connection, client.profile, message);
    }
  }
}

function isPlugProfile(profile: string): profile is PlugProfile {
  return profile.endsWith('-plug');
}

function publish(connection: MqttClient, message: Outgoing, qos: 0 | 1): Promise<unknown> {
  return connection.publishAsync(message.topic, message.payload, { qos, retain: message.retain });
}
