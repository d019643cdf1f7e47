import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Characteristic, PlatformAccessory, WithUUID } from 'homebridge';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Intent } from '../../src/payments/intent.js';
import { eventually } from '../helpers/mqtt.js';
import { decide } from '../helpers/phone.js';
import { launchHomebridge, type RunningHomebridge } from './homebridge-harness.js';
import {
  createEnergyRule,
  freePorts,
  type IntegrationHub,
  meterUses,
  startIntegrationHub,
} from './integration-hub.js';

/** HAP status codes a HomeKit controller sees (hap-nodejs HAPStatus). */
const SERVICE_COMMUNICATION_FAILURE = -70402;
const NOT_ALLOWED_IN_CURRENT_STATE = -70412;

let home: IntegrationHub;
let storageDir: string;
const running: RunningHomebridge[] = [];

beforeAll(async () => {
  // Fixed ports: the hub comes back where it was after a restart, as it does with its defaults.
  const [httpPort, mqttPort] = await freePorts(2);
  home = await startIntegrationHub({ overrides: { http: { port: httpPort }, mqtt: { port: mqttPort } } });
  // Homebridge logs every line to the console; keep the test output readable.
  vi.spyOn(console, 'log').mockImplementation(() => {});
});

afterEach(async () => {
  for (const homebridge of running.splice(0)) await homebridge.shutdown();
  if (storageDir) rmSync(storageDir, { recursive: true, force: true });
});

afterAll(async () => {
  vi.restoreAllMocks();
  await home.hub.stop();
});

function config(overrides: Record<string, unknown> = {}) {
  return {
    platform: 'HomePay',
    name: 'homepay',
    hubUrl: home.hubUrl,
    token: home.hub.adminToken,
    eventsDeviceId: home.events.id,
    eventsSecret: home.events.password,
    speakerDeviceId: home.speaker.id,
    speakerSecret: home.speaker.password,
    favourites: [
      { name: 'Order Cat Food', order: '帮我买两袋猫粮' },
      { name: 'Order Milk', order: 'order one case of whole milk', lang: 'en-US' },
    ],
    pollSeconds: 0.5,
    reconnectSeconds: 0.2,
    ...overrides,
  };
}

async function launch(
  overrides: Record<string, unknown> = {},
  keepStorage = false,
): Promise<RunningHomebridge> {
  if (!keepStorage) storageDir = mkdtempSync(path.join(tmpdir(), 'homebridge-'));
  const homebridge = await launchHomebridge(config(overrides), storageDir);
  running.push(homebridge);
  await eventually(() => homebridge.platform.hub.reachable && homebridge.platform.hub.synced);
  return homebridge;
}

function characteristic(
  accessory: PlatformAccessory,
  service: WithUUID<typeof import('homebridge').Service>,
  type: WithUUID<new () => Characteristic>,
): Characteristic {
  const found = accessory.getService(service);
  if (!found) throw new Error(`${accessory.displayName} has no ${service.name}`);
  return found.getCharacteristic(type);
}

/** What a HomeKit controller reading the characteristic gets (a HAP status code when it fails). */
function read(c: Characteristic): Promise<unknown> {
  return c.handleGetRequest();
}

/** A controller writing the characteristic, as HAP does (`connection` left out: from this process). */
function write(c: Characteristic, value: boolean): Promise<unknown> {
  return c.handleSetRequest(value);
}

async function waiting(): Promise<Intent[]> {
  return (
    await home.hub.api({ method: 'GET', url: '/api/intents?status=requires_approval' })
  ).json() as Intent[];
}

async function cancelAllWaiting(): Promise<void> {
  for (const intent of await waiting())
    await home.hub.api({ method: 'POST', url: `/api/intents/${intent.id}/cancel` });
}

describe('homebridge-homepay in the real Homebridge API', () => {
  it('registers a quick-order switch per favourite, the approval sensor, the voice lock and a sensor per rule, with stable UUIDs', async () => {
    const ruleId = await createEnergyRule(home.hub, 'Electricity over 50 kWh today', 50_000);
    const homebridge = await launch();
    const { hap } = homebridge.api;
    await eventually(() =>
      homebridge.accessories().some((a) => a.displayName === 'Electricity over 50 kWh today'),
    );

    const byName = (name: string) => homebridge.accessory(name);
    expect(byName('Order Cat Food').UUID).toBe(hap.uuid.generate('homepay:homepay:favourite:Order Cat Food'));
    expect(byName('Order Milk').UUID).toBe(hap.uuid.generate('homepay:homepay:favourite:Order Milk'));
    expect(byName('Payment Awaiting Approval').UUID).toBe(hap.uuid.generate('homepay:homepay:pending'));
    expect(byName('Voice Ordering Lock').UUID).toBe(hap.uuid.generate('homepay:homepay:voice-lock'));
    expect(byName('Electricity over 50 kWh today').UUID).toBe(hap.uuid.generate(`homepay:rule:${ruleId}`));
    // Everything registered is on the bridge, once.
    const bridged = homebridge.bridged().map((a) => a.UUID);
    expect(new Set(bridged).size).toBe(bridged.length);
    for (const accessory of homebridge.accessories()) expect(bridged).toContain(accessory.UUID);

    const { Service, Characteristic } = hap;
    expect(await read(characteristic(byName('Order Cat Food'), Service.Switch, Characteristic.On))).toBe(
      false,
    );
    expect(await read(characteristic(byName('Voice Ordering Lock'), Service.Switch, Characteristic.On))).toBe(
      false,
    );
    expect(
      await read(
        characteristic(
          byName('Electricity over 50 kWh today'),
          Service.OccupancySensor,
          Characteristic.OccupancyDetected,
        ),
      ),
    ).toBe(0);
    const info = byName('Order Cat Food').getService(Service.AccessoryInformation);
    expect(info?.getCharacteristic(Characteristic.Manufacturer).value).toBe('homepay');
    expect(info?.getCharacteristic(Characteristic.Model).value).toBe('Quick order');
    await home.hub.api({ method: 'DELETE', url: `/api/rules/${ruleId}` });
  });

  it('turning on a quick-order switch makes a voice intent that waits for the phone; the approval sensor follows it', async () => {
    await cancelAllWaiting();
    const homebridge = await launch();
    const { Service, Characteristic } = homebridge.api.hap;
    const pending = characteristic(
      homebridge.accessory('Payment Awaiting Approval'),
      Service.OccupancySensor,
      Characteristic.OccupancyDetected,
    );
    expect(await read(pending)).toBe(0);

    const on = characteristic(homebridge.accessory('Order Cat Food'), Service.Switch, Characteristic.On);
    await write(on, true);
    const [intent] = await waiting();
    expect(intent).toMatchObject({
      status: 'requires_approval',
      amount: 8900,
      source: { kind: 'voice', deviceId: home.speaker.id },
    });
    await eventually(async () => (await read(pending)) === 1);
    // Stateless: the switch turns itself off again.
    await eventually(() => on.value === false, 3000);

    // The phone denies it: nothing waits any more, the sensor goes off.
    const denied = await decide(home.hub, home.phone, intent as Intent, 'deny');
    expect(denied.statusCode, denied.body).toBe(200);
    await eventually(async () => (await read(pending)) === 0);
  });

  it('the voice ordering lock refuses voice orders for the whole home, and unlocks again', async () => {
    await cancelAllWaiting();
    const homebridge = await launch({ sensorType: 'contact' });
    const { Service, Characteristic } = homebridge.api.hap;
    const lock = characteristic(
      homebridge.accessory('Voice Ordering Lock'),
      Service.Switch,
      Characteristic.On,
    );
    await write(lock, true);
    const ordering = await home.hub.api({ method: 'GET', url: '/api/voice/ordering' });
    expect(ordering.json()).toMatchObject({ enabled: false });
    expect(await read(lock)).toBe(true);

    const on = characteristic(homebridge.accessory('Order Cat Food'), Service.Switch, Characteristic.On);
    await expect(write(on, true)).rejects.toBe(NOT_ALLOWED_IN_CURRENT_STATE);
    expect(await waiting()).toEqual([]);
    // Contact sensors: closed while nothing waits.
    const pending = characteristic(
      homebridge.accessory('Payment Awaiting Approval'),
      Service.ContactSensor,
      Characteristic.ContactSensorState,
    );
    expect(await read(pending)).toBe(Characteristic.ContactSensorState.CONTACT_DETECTED);

    await write(lock, false);
    expect((await home.hub.api({ method: 'GET', url: '/api/voice/ordering' })).json()).toMatchObject({
      enabled: true,
    });
    await write(on, true);
    expect(await waiting()).toHaveLength(1);
    await eventually(
      async () => (await read(pending)) === Characteristic.ContactSensorState.CONTACT_NOT_DETECTED,
    );
    await cancelAllWaiting();
  });

  it('a rule sensor turns on when its rule crosses its threshold; new rules appear and deleted ones go', async () => {
    const homebridge = await launch();
    const { Service, Characteristic } = homebridge.api.hap;
    const crossed = await createEnergyRule(home.hub, 'Over 100 Wh today', 100);
    const quiet = await createEnergyRule(home.hub, 'Over 1000 kWh today', 1_000_000);
    await eventually(() =>
      ['Over 100 Wh today', 'Over 1000 kWh today'].every((name) =>
        homebridge.accessories().some((a) => a.displayName === name),
      ),
    );
    const sensor = (name: string) =>
      characteristic(homebridge.accessory(name), Service.OccupancySensor, Characteristic.OccupancyDetected);
    expect(await read(sensor('Over 100 Wh today'))).toBe(0);

    await meterUses(home.hub, 500);
    await eventually(async () => (await read(sensor('Over 100 Wh today'))) === 1);
    expect(await read(sensor('Over 1000 kWh today'))).toBe(0);

    await home.hub.api({ method: 'DELETE', url: `/api/rules/${quiet}` });
    await eventually(() => !homebridge.accessories().some((a) => a.displayName === 'Over 1000 kWh today'));
    expect(homebridge.bridged().some((a) => a.displayName === 'Over 1000 kWh today')).toBe(false);
    await home.hub.api({ method: 'DELETE', url: `/api/rules/${crossed}` });
  });

  it('answers HapStatusError while the hub is down and comes back by itself when the hub restarts', async () => {
    const homebridge = await launch();
    const { Service, Characteristic } = homebridge.api.hap;
    const pending = characteristic(
      homebridge.accessory('Payment Awaiting Approval'),
      Service.OccupancySensor,
      Characteristic.OccupancyDetected,
    );
    const lock = characteristic(
      homebridge.accessory('Voice Ordering Lock'),
      Service.Switch,
      Characteristic.On,
    );
    const order = characteristic(homebridge.accessory('Order Cat Food'), Service.Switch, Characteristic.On);

    await home.hub.hub.stop();
    await eventually(() => !homebridge.platform.hub.reachable);
    await expect(read(pending)).rejects.toBe(SERVICE_COMMUNICATION_FAILURE);
    await expect(read(lock)).rejects.toBe(SERVICE_COMMUNICATION_FAILURE);
    await expect(write(lock, true)).rejects.toBe(SERVICE_COMMUNICATION_FAILURE);
    await expect(write(order, true)).rejects.toBe(SERVICE_COMMUNICATION_FAILURE);
    expect(pending.statusCode).toBe(SERVICE_COMMUNICATION_FAILURE);

    await home.hub.restart();
    await eventually(() => homebridge.platform.hub.reachable, 10_000);
    expect(await read(pending)).toBe(0);
    // Both MQTT devices logged in again to the restarted hub.
    for (const id of [home.events.id, home.speaker.id]) {
      await eventually(
        async () =>
          ((await home.hub.api({ method: 'GET', url: `/api/devices/${id}` })).json() as { online: boolean })
            .online,
      );
    }
    // Live again over MQTT after the reconnect: a new intent turns the sensor on without a poll.
    await write(order, true);
    await eventually(async () => (await read(pending)) === 1);
    await cancelAllWaiting();
    await eventually(async () => (await read(pending)) === 0);
  });

  it('restores cached accessories through configureAccessory with the same UUIDs, and registers none twice', async () => {
    const ruleId = await createEnergyRule(home.hub, 'Cached rule', 50_000);
    const first = await launch();
    await eventually(() => first.accessories().some((a) => a.displayName === 'Cached rule'));
    const uuids = first
      .accessories()
      .map((a) => a.UUID)
      .sort();
    await first.shutdown();
    running.splice(running.indexOf(first), 1);

    const second = await launch({}, true);
    expect([...second.restored].sort()).toEqual(uuids);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(
      second
        .accessories()
        .map((a) => a.UUID)
        .sort(),
    ).toEqual(uuids);
    expect(
      second
        .bridged()
        .map((a) => a.UUID)
        .sort(),
    ).toEqual(uuids);
    const { Service, Characteristic } = second.api.hap;
    expect(
      await read(
        characteristic(
          second.accessory('Cached rule'),
          Service.OccupancySensor,
          Characteristic.OccupancyDetected,
        ),
      ),
    ).toBe(0);

    // A favourite taken out of the config goes away; the others stay.
    await second.shutdown();
    running.splice(running.indexOf(second), 1);
    const third = await launch({ favourites: [{ name: 'Order Cat Food', order: '帮我买两袋猫粮' }] }, true);
    expect(third.accessories().some((a) => a.displayName === 'Order Milk')).toBe(false);
    expect(third.accessories().some((a) => a.displayName === 'Order Cat Food')).toBe(true);
    await home.hub.api({ method: 'DELETE', url: `/api/rules/${ruleId}` });
  });

  it('without a hub URL or token it logs the problem and adds nothing', async () => {
    storageDir = mkdtempSync(path.join(tmpdir(), 'homebridge-'));
    const homebridge = await launchHomebridge({ platform: 'HomePay', name: 'homepay' }, storageDir);
    running.push(homebridge);
    expect(homebridge.accessories()).toEqual([]);
  });
});
