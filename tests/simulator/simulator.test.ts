import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Intent } from '../../src/payments/intent.js';
import type { SimulationOptions } from '../../src/simulator/options.js';
import { runSimulation } from '../../src/simulator/simulation.js';
import type { SimulatorState } from '../../src/simulator/state-file.js';
import { startHub, type TestHub } from '../helpers/hub.js';

/**
 * The simulator against a real hub: it may use only the public contract (HTTP API with the admin
 * token, MQTT with each device's credentials), so what the hub stored is the proof that the
 * payloads were real.
 */

interface DeviceJson {
  id: string;
  profile: string;
  parentId: string | null;
  powerW?: number | null;
  energy?: { powerW: number | null; todayWh: number };
}

const PLUG_PROFILES = ['tasmota-plug', 'shelly-gen1-plug', 'shelly-gen2-plug', 'zigbee2mqtt-plug'];

describe('the device simulator', () => {
  let hub: TestHub;
  let options: SimulationOptions;
  beforeAll(async () => {
    // At 120 times the wall clock a 2.2 kW washer looks like 264 kW to the hub, above the default
    // energy.maxPowerW (250 kW, enough up to about ×100): lift it, as the README says to, with room
    // for readings that arrive closer together than they were sent (their time is their arrival).
    hub = await startHub({ overrides: { energy: { maxPowerW: 1_000_000 } } });
    options = {
      hubUrl: hub.hub.httpUrl(),
      token: hub.adminToken,
      stateFile: path.join(hub.dataDir, 'simulator.json'),
      devices: 8,
      speed: 120,
      durationMs: 2500,
      reportEverySec: 60,
      timeZone: 'Asia/Shanghai',
      voice: true,
      // One order from each voice, right away; the next would be a simulated day later.
      orderEveryMin: 24 * 60,
      firstOrderAfterMs: 100,
      fundTo: 50_000,
      approve: false,
      pollHub: false,
    };
  });
  afterAll(() => hub.stop());

  it('registers its devices, publishes every profile, and the hub decodes readings and makes voice intents', async () => {
    const summary = await runSimulation(options);

    // 6 single plugs, one Zigbee2MQTT bridge for the other 2, a speaker and a satellite.
    expect(summary.registered).toBe(9);
    expect(summary.stats.refused).toEqual([]);
    for (const profile of PLUG_PROFILES) expect(summary.stats.byProfile[profile]).toBeGreaterThan(3);

    const devices = (await hub.api({ method: 'GET', url: '/api/devices' })).json() as DeviceJson[];
    const plugs = devices.filter(
      (device) =>
        (PLUG_PROFILES.includes(device.profile) && device.profile !== 'zigbee2mqtt-plug') ||
        device.parentId !== null,
    );
    // The bridge's plugs became devices of their own when first heard.
    expect(plugs).toHaveLength(8);
    for (const plug of plugs) {
      const detail = (await hub.api({ method: 'GET', url: `/api/devices/${plug.id}` })).json() as DeviceJson;
      expect(detail.energy, `${plug.profile} ${plug.id} has energy state`).toBeDefined();
      expect(typeof detail.energy?.todayWh).toBe('number');
    }
    // Counters went up and Tasmota, Shelly Gen2 and the native formats were read as kWh and Wh.
    const state = JSON.parse(readFileSync(options.stateFile, 'utf8')) as SimulatorState;
    expect(Object.keys(state.counters)).toHaveLength(8);

    const intents = (await hub.api({ method: 'GET', url: '/api/intents' })).json() as Intent[];
    const voiceIntents = intents.filter((intent) => intent.source.kind === 'voice');
    expect(voiceIntents.length).toBeGreaterThanOrEqual(1);
    const voiceDevices = new Set([summary.deviceIds.speaker, summary.deviceIds.satellite]);
    for (const intent of voiceIntents) expect(voiceDevices.has(intent.source.deviceId)).toBe(true);
    expect(summary.stats.heard).toBeGreaterThanOrEqual(1);

    // Nothing it sent was refused, dropped or unreadable.
    const complaints = hub.logs.filter((line) => line.level >= 40).map((line) => line.msg);
    expect(complaints).toEqual([]);
  });

  it('reuses the devices it registered before and continues their counters', async () => {
    const before = JSON.parse(readFileSync(options.stateFile, 'utf8')) as SimulatorState;
    const summary = await runSimulation({ ...options, durationMs: 500, voice: true, fundTo: undefined });
    expect(summary.registered).toBe(0);
    expect(summary.reused).toBe(9);
    const after = JSON.parse(readFileSync(options.stateFile, 'utf8')) as SimulatorState;
    expect(after.devices).toEqual(before.devices);
    for (const [key, value] of Object.entries(before.counters))
      expect(after.counters[key]).toBeGreaterThanOrEqual(value);
  });
});
