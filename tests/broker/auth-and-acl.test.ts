import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addDevice, startHub, type TestHub } from '../helpers/hub.js';
import { connectClient, eventually, nextMessage, subscribeGrants } from '../helpers/mqtt.js';

let hub: TestHub;
const clients: MqttClient[] = [];
beforeAll(async () => {
  hub = await startHub();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
});
afterAll(async () => {
  await hub.stop();
});

async function client(username?: string, password?: string): Promise<MqttClient> {
  const c = await connectClient(hub.mqttPort, { username, password });
  clients.push(c);
  return c;
}

function refusedLog(topic: string) {
  return hub.logs.find((line) => line.msg === 'mqtt refused' && line.topic === topic);
}

describe('broker authentication', () => {
  it('refuses anonymous clients with CONNACK not authorized', async () => {
    await expect(connectClient(hub.mqttPort)).rejects.toThrow(/Not authorized/i);
  });

  it('refuses a wrong secret and an unknown device', async () => {
    const plug = await addDevice(hub, { profile: 'tasmota-plug', name: 'Plug', identity: 'tasmota_AUTH01' });
    await expect(connectClient(hub.mqttPort, { username: plug.username, password: 'wrong' })).rejects.toThrow(
      /Not authorized/i,
    );
    await expect(
      connectClient(hub.mqttPort, { username: 'dev_nobody', password: plug.password }),
    ).rejects.toThrow(/Not authorized/i);
    expect(hub.logs.some((line) => line.msg === 'mqtt connection refused')).toBe(true);
  });

  it('marks a device online while connected and offline after, with lastSeen', async () => {
    const plug = await addDevice(hub, {
      profile: 'tasmota-plug',
      name: 'Presence',
      identity: 'tasmota_PRES01',
    });
    const c = await client(plug.username, plug.password);
    await eventually(() => hub.hub.registry.require(plug.id).online);
    await c.endAsync();
    await eventually(() => !hub.hub.registry.require(plug.id).online);
    expect(hub.hub.registry.require(plug.id).lastSeen).not.toBeNull();
  });
});

describe('broker topic ACL', () => {
  it('lets a device publish on its own topics, and the hub decodes the reading', async () => {
    const plug = await addDevice(hub, {
      profile: 'tasmota-plug',
      name: 'Fridge',
      identity: 'tasmota_ACL001',
    });
    const received: unknown[] = [];
    hub.hub.events.on(received, 'device.message', (event) => {
      if (event.deviceId === plug.id) received.push(event.message);
    });
    const c = await client(plug.username, plug.password);
    await c.publishAsync(
      'tele/tasmota_ACL001/SENSOR',
      '{"Time":"2026-11-27T16:05:00","ENERGY":{"Total":48.372,"Power":36}}',
      { qos: 1 },
    );
    await eventually(() => received.length === 1);
    expect(received[0]).toMatchObject({ kind: 'reading', energyWh: 48372, powerW: 36 });
    hub.hub.events.removeAllOf(received);
  });

  it("refuses a Tasmota device publishing on another device's topic, and logs client, topic and reason", async () => {
    const mine = await addDevice(hub, { profile: 'tasmota-plug', name: 'Mine', identity: 'tasmota_MINE01' });
    await addDevice(hub, { profile: 'tasmota-plug', name: 'Theirs', identity: 'tasmota_THEIR1' });
    const watcher = await addDevice(hub, {
      profile: 'tasmota-plug',
      name: 'Watcher',
      identity: 'tasmota_WATCH1',
    });
    const c = await client(mine.username, mine.password);
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.publish('tele/tasmota_THEIR1/SENSOR', '{"ENERGY":{"Total":1}}', { qos: 1 });
    await closed;
    const log = refusedLog('tele/tasmota_THEIR1/SENSOR');
    expect(log).toMatchObject({
      deviceId: mine.id,
      action: 'publish',
      reason: expect.stringContaining('tasmota-plug'),
    });
    // The watcher cannot even listen there, so nothing leaks either way.
    const w = await client(watcher.username, watcher.password);
    expect(await subscribeGrants(w, ['tele/tasmota_THEIR1/SENSOR'])).toEqual({
      'tele/tasmota_THEIR1/SENSOR': 128,
    });
  });

  it('refuses subscriptions to # and to other devices, but allows its own command topic', async () => {
    const plug = await addDevice(hub, { profile: 'tasmota-plug', name: 'Sub', identity: 'tasmota_SUB001' });
    const c = await client(plug.username, plug.password);
    const grants = await subscribeGrants(c, [
      '#',
      'cmnd/tasmota_OTHER1/POWER',
      'cmnd/+/POWER',
      '$SYS/#',
      'cmnd/tasmota_SUB001/#',
    ]);
    expect(grants).toEqual({
      '#': 128,
      'cmnd/tasmota_OTHER1/POWER': 128,
      'cmnd/+/POWER': 128,
      '$SYS/#': 128,
      'cmnd/tasmota_SUB001/#': 0,
    });
    expect(refusedLog('#')).toMatchObject({ deviceId: plug.id, action: 'subscribe' });
    // The connection stays up after a refused subscription.
    expect(c.connected).toBe(true);
  });

  it('delivers hub -> device messages on the allowed command topic', async () => {
    const plug = await addDevice(hub, { profile: 'tasmota-plug', name: 'Cmd', identity: 'tasmota_CMD001' });
    const c = await client(plug.username, plug.password);
    const message = nextMessage(c, 'cmnd/tasmota_CMD001/POWER');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await hub.hub.transport.publish('cmnd/tasmota_CMD001/POWER', 'OFF', { qos: 1 });
    expect((await message).payload.toString()).toBe('OFF');
  });

  it('drops and logs a malformed payload on an allowed topic, and keeps the client connected', async () => {
    const plug = await addDevice(hub, { profile: 'tasmota-plug', name: 'Bad', identity: 'tasmota_BAD001' });
    const c = await client(plug.username, plug.password);
    await c.publishAsync('tele/tasmota_BAD001/SENSOR', '{not json', { qos: 1 });
    await eventually(() =>
      hub.logs.some(
        (l) => l.msg === 'malformed device payload dropped' && l.topic === 'tele/tasmota_BAD001/SENSOR',
      ),
    );
    expect(c.connected).toBe(true);
  });

  it('disconnects a removed device at once and refuses it afterwards', async () => {
    const plug = await addDevice(hub, { profile: 'tasmota-plug', name: 'Gone', identity: 'tasmota_GONE01' });
    const c = await client(plug.username, plug.password);
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    expect((await hub.api({ method: 'DELETE', url: `/api/devices/${plug.id}` })).statusCode).toBe(200);
    await closed;
    await expect(
      connectClient(hub.mqttPort, { username: plug.username, password: plug.password }),
    ).rejects.toThrow(/Not authorized/i);
  });

  it('refuses the old secret at once after a rotation, and accepts the new one', async () => {
    const plug = await addDevice(hub, { profile: 'tasmota-plug', name: 'Rot', identity: 'tasmota_ROT001' });
    const c = await client(plug.username, plug.password);
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    const rotated = await hub.api({ method: 'POST', url: `/api/devices/${plug.id}/rotate` });
    const { password } = rotated.json() as { password: string };
    await closed;
    await expect(
      connectClient(hub.mqttPort, { username: plug.username, password: plug.password }),
    ).rejects.toThrow(/Not authorized/i);
    await client(plug.username, password);
  });
});
