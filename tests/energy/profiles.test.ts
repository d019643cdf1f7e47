import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/clock.js';
import { addDevice, startHub, type TestHub } from '../helpers/hub.js';
import { connectClient } from '../helpers/mqtt.js';
import { fen } from './helpers.js';
import { energyFixture, exactCost, publishAt, routedCounter } from './hub-helpers.js';

const PROFILES = [
  'homepay-meter',
  'tasmota-plug',
  'shelly-gen1-plug',
  'shelly-gen2-plug',
  'zigbee2mqtt-plug',
];

let hub: TestHub;
let routed: () => number;
const clock = new ManualClock(Date.parse('2026-11-27T13:00:00Z'));
const clients: MqttClient[] = [];
const results = new Map<
  string,
  { deviceId: string; state: Record<string, unknown> | undefined; cost: bigint }
>();

beforeAll(async () => {
  hub = await startHub({ clock, overrides: { energy: { tariff: 'zhejiang-residential-tou' } } });
  routed = routedCounter(hub);
  // One device per profile in one hub, each replaying the same hour in its own payloads.
  for (const name of PROFILES) {
    const fixture = energyFixture(name);
    const device = await addDevice(hub, {
      profile: fixture.profile,
      name,
      ...(fixture.identity ? { identity: fixture.identity } : {}),
    });
    const client = await connectClient(hub.mqttPort, {
      username: device.username,
      password: device.password,
    });
    clients.push(client);
    await publishAt(clock, client, routed, fixture.messages, { deviceId: device.id });
    const deviceId = fixture.child
      ? (hub.hub.registry.children(device.id).find((child) => child.identity === fixture.child)?.id as string)
      : device.id;
    results.set(name, {
      deviceId,
      state: hub.hub.energy.deviceState(deviceId) as Record<string, unknown> | undefined,
      cost: exactCost(hub, deviceId, 'day', '2026-11-27'),
    });
  }
});

afterAll(async () => {
  for (const client of clients) await client.endAsync();
  await hub?.stop();
});

describe.each(PROFILES)('the real payload sequence of %s', (name) => {
  it('gives 1.2 kWh and 51.36 fen (peak and valley halves), shown as 51', () => {
    const fixture = energyFixture(name);
    const result = results.get(name);
    expect(fixture.expect).toEqual({ energyWh: 1200, cost: '51.36', tariff: 'zhejiang-residential-tou' });
    expect(result?.state).toMatchObject({
      todayWh: fixture.expect.energyWh,
      monthWh: fixture.expect.energyWh,
      todayCost: 51,
      monthCost: 51,
      currency: 'CNY',
      powerW: 1200,
      energySource: 'counter',
      lastReadingAt: '2026-11-27T14:30:00.000Z',
    });
    expect(result?.cost).toBe(fen(fixture.expect.cost));
  });
});

describe('the five profiles together', () => {
  it('agree to the exact cost unit, and the home is their sum', () => {
    const costs = [...results.values()].map((result) => result.cost);
    expect(new Set(costs).size).toBe(1);
    expect(exactCost(hub, 'home', 'day', '2026-11-27')).toBe(fen('256.8'));
    expect(hub.hub.energy.homeState().day).toEqual({ start: '2026-11-27', energyWh: 6000, cost: 257 });
  });
});
