/**
 * What simulated plugs say on the wire, in each profile's real payload format (the examples in
 * tests/fixtures/protocols and the sources devices/*.yaml cite): Tasmota `tele/<topic>/SENSOR`,
 * Shelly Gen1 plain-text `relay/0/power` and `relay/0/energy` (watt-minutes), Shelly Gen2
 * `events/rpc` NotifyStatus, and Zigbee2MQTT's JSON state of each plug behind a bridge. Every topic
 * here is one its profile declares, because the hub closes a client that publishes anywhere else.
 */
import type { ApplianceKind } from './load-curves.js';
import type { LocalClock } from './local-clock.js';

export type PlugProfile = 'tasmota-plug' | 'shelly-gen1-plug' | 'shelly-gen2-plug' | 'zigbee2mqtt-plug';

export const PLUG_PROFILES: readonly PlugProfile[] = [
  'tasmota-plug',
  'shelly-gen1-plug',
  'shelly-gen2-plug',
  'zigbee2mqtt-plug',
];

export interface Outgoing {
  topic: string;
  payload: string;
  retain: boolean;
}

/** One moment of a plug as its firmware sees it. */
export interface PlugSnapshot {
  powerW: number;
  /** The cumulative counter, Wh. */
  energyWh: number;
  /** The device's own clock (real time: devices keep NTP time, only the appliance runs fast). */
  wallMs: number;
  voltageV: number;
  appliance: ApplianceKind;
}

/** Availability of one MQTT client: its last will, and what it says when it comes and goes. */
export interface ClientAvailability {
  will: Outgoing;
  online: Outgoing;
  offline: Outgoing;
}

/** One plug's messages: what it sends once connected, and one report (one message) each time. */
export interface PlugWire {
  hello(snapshot: PlugSnapshot): Outgoing[];
  report(snapshot: PlugSnapshot): Outgoing;
}

/** Power factor by appliance: motors and compressors lag, heating elements do not. */
const POWER_FACTOR: Record<ApplianceKind, number> = {
  fridge: 0.72,
  washer: 0.9,
  'air-conditioner': 0.96,
  'water-heater': 0.99,
};

const round = (value: number, digits: number) => Number(value.toFixed(digits));

function electrical(snapshot: PlugSnapshot) {
  const factor = snapshot.powerW < 5 ? 0.5 : POWER_FACTOR[snapshot.appliance];
  const apparent = snapshot.powerW / factor;
  return {
    factor,
    apparent,
    reactive: Math.sqrt(Math.max(0, apparent * apparent - snapshot.powerW * snapshot.powerW)),
    current: apparent / snapshot.voltageV,
  };
}

export function clientAvailability(profile: PlugProfile, identity: string): ClientAvailability {
  const text = (topic: string, payload: string): Outgoing => ({ topic, payload, retain: true });
  switch (profile) {
    case 'tasmota-plug': {
      const topic = `tele/${identity}/LWT`;
      return { will: text(topic, 'Offline'), online: text(topic, 'Online'), offline: text(topic, 'Offline') };
    }
    case 'shelly-gen1-plug': {
      const topic = `shellies/${identity}/online`;
      return { will: text(topic, 'false'), online: text(topic, 'true'), offline: text(topic, 'false') };
    }
    case 'shelly-gen2-plug': {
      const topic = `${identity}/online`;
      return { will: text(topic, 'false'), online: text(topic, 'true'), offline: text(topic, 'false') };
    }
    case 'zigbee2mqtt-plug': {
      const topic = `${identity}/bridge/state`;
      const offline = text(topic, JSON.stringify({ state: 'offline' }));
      return { will: offline, online: text(topic, JSON.stringify({ state: 'online' })), offline };
    }
  }
}

/** A plug's wire; for Zigbee2MQTT `identity` is the bridge's base topic and `child` the friendly name. */
export function plugWire(
  profile: PlugProfile,
  address: { identity: string; child?: string },
  clock: LocalClock,
): PlugWire {
  switch (profile) {
    case 'tasmota-plug':
      return new TasmotaWire(address.identity, clock);
    case 'shelly-gen1-plug':
      return new ShellyGen1Wire(address.identity);
    case 'shelly-gen2-plug':
      return new ShellyGen2Wire(address.identity);
    case 'zigbee2mqtt-plug': {
      if (!address.child) throw new Error('a Zigbee2MQTT plug needs its friendly name');
      return new Zigbee2MqttWire(address.identity, address.child);
    }
  }
}

/**
 * Tasmota with an energy monitor (Sonoff POW R2, Athom plugs). `Time` is local time without an
 * offset (SetOption52 off, the default), `Total`/`Today`/`Yesterday` kWh, `Period` Wh since the
 * previous telemetry (tasmota xdrv_03_energy.ino).
 */
class TasmotaWire implements PlugWire {
  private day = '';
  private todayStartWh = 0;
  private yesterdayKWh = 0;
  private lastWh: number | undefined;
  private readonly bootMs = Date.now();

  constructor(
    private readonly topic: string,
    private readonly clock: LocalClock,
  ) {}

  hello(snapshot: PlugSnapshot): Outgoing[] {
    const upSeconds = Math.floor((snapshot.wallMs - this.bootMs) / 1000);
    const state = {
      Time: this.clock.isoLocal(snapshot.wallMs),
      Uptime: `0T${new Date(upSeconds * 1000).toISOString().slice(11, 19)}`,
      UptimeSec: upSeconds,
      Heap: 24,
      SleepMode: 'Dynamic',
      Sleep: 50,
      LoadAvg: 19,
      MqttCount: 1,
      POWER: 'ON',
      Wifi: { AP: 1, SSId: 'home-iot', Channel: 6, Mode: '11n', RSSI: 78, Signal: -61, LinkCount: 1 },
    };
    return [{ topic: `tele/${this.topic}/STATE`, payload: JSON.stringify(state), retain: false }];
  }

  report(snapshot: PlugSnapshot): Outgoing {
    const time = this.clock.isoLocal(snapshot.wallMs);
    const day = time.slice(0, 10);
    if (day !== this.day) {
      if (this.day !== '') this.yesterdayKWh = (snapshot.energyWh - this.todayStartWh) / 1000;
      this.day = day;
      this.todayStartWh = snapshot.energyWh;
    }
    const period = this.lastWh === undefined ? 0 : Math.max(0, snapshot.energyWh - this.lastWh);
    this.lastWh = snapshot.energyWh;
    const e = electrical(snapshot);
    const energy = {
      TotalStartTime: '2025-03-02T19:24:10',
      Total: round(snapshot.energyWh / 1000, 3),
      Yesterday: round(this.yesterdayKWh, 3),
      Today: round((snapshot.energyWh - this.todayStartWh) / 1000, 3),
      Period: Math.round(period),
      Power: Math.round(snapshot.powerW),
      ApparentPower: Math.round(e.apparent),
      ReactivePower: Math.round(e.reactive),
      Factor: round(e.factor, 2),
      Voltage: Math.round(snapshot.voltageV),
      Current: round(e.current, 3),
    };
    return {
      topic: `tele/${this.topic}/SENSOR`,
      payload: JSON.stringify({ Time: time, ENERGY: energy }),
      retain: false,
    };
  }
}

/**
 * Shelly Gen1 Plug S: plain-text values on one topic each, power in W and the energy counter in
 * watt-minutes. One message per report, power and energy taking turns.
 */
class ShellyGen1Wire implements PlugWire {
  private turn = 0;

  constructor(private readonly id: string) {}

  hello(): Outgoing[] {
    const announce = JSON.stringify({
      id: this.id,
      model: 'SHPLG-S',
      mac: `C8C9A3${this.id.slice(-6).toUpperCase()}`,
      ip: '192.168.1.57',
      new_fw: false,
      fw_ver: '20230913-112234/v1.14.0-gcb84623',
    });
    return [
      { topic: 'shellies/announce', payload: announce, retain: false },
      { topic: `shellies/${this.id}/announce`, payload: announce, retain: false },
      { topic: `shellies/${this.id}/relay/0`, payload: 'on', retain: false },
    ];
  }

  report(snapshot: PlugSnapshot): Outgoing {
    this.turn++;
    return this.turn % 2 === 1
      ? { topic: `shellies/${this.id}/relay/0/power`, payload: snapshot.powerW.toFixed(2), retain: false }
      : {
          topic: `shellies/${this.id}/relay/0/energy`,
          payload: String(Math.floor(snapshot.energyWh * 60)),
          retain: false,
        };
  }
}

/**
 * Shelly Plus Plug S (Gen2): JSON-RPC `NotifyStatus` on `<prefix>/events/rpc` with the changed
 * switch status, `aenergy.total` Wh and `by_minute` mWh; the full `status/switch:0` once at start.
 */
class ShellyGen2Wire implements PlugWire {
  constructor(private readonly prefix: string) {}

  private switchStatus(snapshot: PlugSnapshot) {
    const e = electrical(snapshot);
    const lastMinuteMwh = round((snapshot.powerW * 1000) / 60, 3);
    return {
      id: 0,
      apower: round(snapshot.powerW, 1),
      current: round(e.current, 3),
      voltage: round(snapshot.voltageV, 1),
      aenergy: {
        by_minute: [lastMinuteMwh, lastMinuteMwh, lastMinuteMwh],
        minute_ts: Math.floor(snapshot.wallMs / 60_000) * 60,
        total: round(snapshot.energyWh, 3),
      },
    };
  }

  hello(snapshot: PlugSnapshot): Outgoing[] {
    const status = {
      ...this.switchStatus(snapshot),
      source: 'init',
      output: true,
      temperature: { tC: 38.4, tF: 101.1 },
    };
    return [{ topic: `${this.prefix}/status/switch:0`, payload: JSON.stringify(status), retain: false }];
  }

  report(snapshot: PlugSnapshot): Outgoing {
    const frame = {
      src: this.prefix,
      dst: `${this.prefix}/events`,
      method: 'NotifyStatus',
      params: { ts: round(snapshot.wallMs / 1000, 2), 'switch:0': this.switchStatus(snapshot) },
    };
    return { topic: `${this.prefix}/events/rpc`, payload: JSON.stringify(frame), retain: false };
  }
}

/**
 * A Tuya TS011F metering plug behind Zigbee2MQTT: the whole state as JSON with keys in
 * alphabetical order, energy kWh to 0.01 and power whole watts (the device's resolution).
 */
class Zigbee2MqttWire implements PlugWire {
  constructor(
    private readonly base: string,
    private readonly friendlyName: string,
  ) {}

  hello(): Outgoing[] {
    return [
      {
        topic: `${this.base}/${this.friendlyName}/availability`,
        payload: JSON.stringify({ state: 'online' }),
        retain: true,
      },
    ];
  }

  report(snapshot: PlugSnapshot): Outgoing {
    const e = electrical(snapshot);
    const state = {
      child_lock: 'UNLOCK',
      current: round(e.current, 2),
      energy: round(snapshot.energyWh / 1000, 2),
      indicator_mode: 'off/on',
      linkquality: 90 + (this.friendlyName.length % 60),
      power: Math.round(snapshot.powerW),
      power_outage_memory: 'restore',
      state: 'ON',
      voltage: Math.round(snapshot.voltageV),
    };
    return { topic: `${this.base}/${this.friendlyName}`, payload: JSON.stringify(state), retain: false };
  }
}
