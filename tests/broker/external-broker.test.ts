import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDevice, startHub, type TestHub } from '../helpers/hub.js';
import { connectClient, eventually, nextMessage } from '../helpers/mqtt.js';
import { startMosquitto } from '../helpers/processes.js';

/** The hub as a client of a real mosquitto started on a free port. */
let mosquitto: Awaited<ReturnType<typeof startMosquitto>>;
let hub: TestHub;
beforeAll(async () => {
  mosquitto = await startMosquitto();
  hub = await startHub({ overrides: { mqtt: { url: `mqtt://127.0.0.1:${mosquitto.port}` } } });
});
afterAll(async () => {
  await hub?.stop();
  await mosquitto?.stop();
});

describe('external broker mode', () => {
  it('reports the broker URL in health and retains homepay/status online', async () => {
    const health = await hub.api({ method: 'GET', url: '/api/health', token: null });
    expect(health.json().mqtt).toEqual({ url: `mqtt://127.0.0.1:${mosquitto.port}` });
    const observer = await connectClient(mosquitto.port);
    const status = await nextMessage(observer, 'homepay/status');
    expect(status.payload.toString()).toBe('online');
    await observer.endAsync();
  });

  it('decodes device messages it hears on the external broker, by topic', async () => {
    const plug = await addDevice(hub, {
      profile: 'tasmota-plug',
      name: 'Fridge',
      identity: 'tasmota_EXT001',
    });
    const readings: unknown[] = [];
    hub.hub.events.on(readings, 'device.message', (e) => {
      if (e.deviceId === plug.id) readings.push(e.message);
    });
    const device = await connectClient(mosquitto.port);
    await device.publishAsync('tele/tasmota_EXT001/SENSOR', '{"ENERGY":{"Total":1.5,"Power":12}}', {
      qos: 1,
    });
    await eventually(() => readings.length === 1);
    expect(readings[0]).toMatchObject({ kind: 'reading', energyWh: 1500, powerW: 12 });
    // A topic of no registered device is ignored.
    await device.publishAsync('tele/tasmota_UNKNWN/SENSOR', '{"ENERGY":{"Total":1}}', { qos: 1 });
    await device.endAsync();
    hub.hub.events.removeAllOf(readings);
  });

  it('routes a device added while messages flow, and stops routing one that was removed', async () => {
    const heard: string[] = [];
    hub.hub.events.on(heard, 'device.message', (e) => {
      heard.push(e.deviceId);
    });
    const device = await connectClient(mosquitto.port);
    const first = await addDevice(hub, {
      profile: 'tasmota-plug',
      name: 'Kettle',
      identity: 'tasmota_EXT002',
    });
    await device.publishAsync('tele/tasmota_EXT002/SENSOR', '{"ENERGY":{"Total":0.5,"Power":3}}', { qos: 1 });
    await eventually(() => heard.includes(first.id));
    // Added after the hub has routed messages (and so has its list of devices in memory).
    const second = await addDevice(hub, {
      profile: 'tasmota-plug',
      name: 'Heater',
      identity: 'tasmota_EXT003',
    });
    await device.publishAsync('tele/tasmota_EXT003/SENSOR', '{"ENERGY":{"Total":0.7,"Power":4}}', { qos: 1 });
    await eventually(() => heard.includes(second.id));
    await hub.api({ method: 'DELETE', url: `/api/devices/${first.id}` });
    const before = heard.length;
    await device.publishAsync('tele/tasmota_EXT002/SENSOR', '{"ENERGY":{"Total":0.6,"Power":3}}', { qos: 1 });
    await device.publishAsync('tele/tasmota_EXT003/SENSOR', '{"ENERGY":{"Total":0.8,"Power":4}}', { qos: 1 });
    await eventually(() => heard.length === before + 1);
    expect(heard.at(-1)).toBe(second.id);
    await device.endAsync();
    hub.hub.events.removeAllOf(heard);
  });

  it('leaves homepay/status offline when the hub stops', async () => {
    const observer = await connectClient(mosquitto.port);
    await hub.stop();
    const status = await nextMessage(observer, 'homepay/status');
    expect(status.payload.toString()).toBe('offline');
    await observer.endAsync();
    hub = await startHub({ overrides: { mqtt: { url: `mqtt://127.0.0.1:${mosquitto.port}` } } });
  });
});
