import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/clock.js';
import { addDevice, startHub, type TestHub } from '../helpers/hub.js';
import { connectClient, eventually } from '../helpers/mqtt.js';
import { type FixtureMessage, meterReadings, publishAt, routedCounter } from './hub-helpers.js';

const opened: Array<{ hub: TestHub; clients: MqttClient[] }> = [];
afterEach(async () => {
  for (const { hub, clients } of opened.splice(0)) {
    for (const client of clients) await client.endAsync().catch(() => {});
    await hub.stop();
  }
});

/** A hub on the flat tariff with a native meter and a Home Assistant client connected. */
async function hubWithMeter(overrides: Record<string, unknown> = {}) {
  const clock = new ManualClock(Date.parse('2026-11-27T00:00:00Z'));
  const hub = await startHub({ clock, overrides: { energy: { tariff: 'flat-example' }, ...overrides } });
  const meter = await addDevice(hub, { profile: 'homepay-meter', name: 'Fridge' });
  const client = await connectClient(hub.mqttPort, { username: meter.username, password: meter.password });
  const watcher = await addDevice(hub, { profile: 'homepay-integration', name: 'Home Assistant' });
  const ha = await connectClient(hub.mqttPort, { username: watcher.username, password: watcher.password });
  opened.push({ hub, clients: [client, ha] });
  const routed = routedCounter(hub);
  const publish = (messages: FixtureMessage[]) =>
    publishAt(clock, client, routed, messages, { deviceId: meter.id });
  const send = (readings: Array<[string, number, number?]>) => publish(meterReadings(readings));
  return { hub, clock, meter, ha, send, publish };
}

/** Messages under `filter` (retained ones first), by topic, once `until` holds. */
async function collect(client: MqttClient, filter: string, until: (seen: Map<string, string>) => boolean) {
  const seen = new Map<string, string>();
  const onMessage = (topic: string, payload: Buffer) => seen.set(topic, payload.toString());
  client.on('message', onMessage);
  await client.subscribeAsync(filter, { qos: 1 });
  await eventually(() => until(seen));
  client.off('message', onMessage);
  return seen;
}

const beijing = (time: string) => new Date(Date.parse(`${time.replace(' ', 'T')}:00+08:00`)).toISOString();

describe('energy state', () => {
  it('is published retained on homepay/energy/{deviceId}/state with the SPEC fields', async () => {
    const { meter, ha, send } = await hubWithMeter();
    await send([
      ['2026-11-27 08:00', 5000, 85.2],
      ['2026-11-27 09:00', 6500, 90.5],
    ]);
    const topic = `homepay/energy/${meter.id}/state`;
    const seen = await collect(ha, topic, (s) => s.has(topic));
    expect(JSON.parse(seen.get(topic) as string)).toEqual({
      powerW: 90.5,
      todayWh: 1500,
      todayCost: 84, // 1.5 kWh at 55.8 fen = 83.7
      monthWh: 1500,
      monthCost: 84,
      currency: 'CNY',
      ts: '2026-11-27T01:00:00.000Z',
      energySource: 'counter',
      todayStart: '2026-11-26T16:00:00.000Z',
      monthStart: '2026-10-31T16:00:00.000Z',
      lastReadingAt: '2026-11-27T01:00:00.000Z',
    });
  });

  it('is in GET /api/devices/{id}, and GET /api/devices shows meters with their power', async () => {
    const { hub, meter, send } = await hubWithMeter();
    await send([
      ['2026-11-27 08:00', 5000, 85.2],
      ['2026-11-27 09:00', 6500, 90.5],
    ]);
    const one = (await hub.api({ method: 'GET', url: `/api/devices/${meter.id}` })).json();
    expect(one.energy).toMatchObject({ todayWh: 1500, todayCost: 84, powerW: 90.5, currency: 'CNY' });
    const list = (await hub.api({ method: 'GET', url: '/api/devices' })).json() as Array<
      Record<string, unknown>
    >;
    expect(list.find((d) => d.id === meter.id)).toMatchObject({ powerW: 90.5 });
    const integration = list.find((d) => d.id !== meter.id);
    expect(integration).not.toHaveProperty('powerW');
    expect(integration).not.toHaveProperty('energy');
  });

  it('starts today again at local midnight, while the month goes on', async () => {
    const { hub, clock, meter, send } = await hubWithMeter();
    await send([
      ['2026-11-27 22:00', 0],
      ['2026-11-27 23:00', 1000],
    ]);
    clock.advance(2 * 3_600_000);
    expect(hub.hub.energy.deviceState(meter.id)).toMatchObject({ todayWh: 0, monthWh: 1000 });
  });

  it('integrates a meter that reports only power, and says so', async () => {
    const { hub, meter, publish } = await hubWithMeter();
    // 1000 W for 30 minutes, then 500 W for 30 minutes: 750 Wh.
    await publish(
      [
        ['2026-11-27 08:00', 1000],
        ['2026-11-27 08:30', 500],
        ['2026-11-27 09:00', 0],
      ].map(([time, powerW]) => ({
        at: beijing(time as string),
        topic: 'homepay/meter/{deviceId}/reading',
        payload: { powerW, ts: beijing(time as string) },
      })),
    );
    expect(hub.hub.energy.deviceState(meter.id)).toMatchObject({
      energySource: 'integrated',
      todayWh: 750,
      powerW: 0,
    });
  });

  it('counts a counter reset as a new baseline and ignores a late, older reading, logging both', async () => {
    const { hub, meter, send } = await hubWithMeter();
    await send([
      ['2026-11-27 08:00', 9000],
      ['2026-11-27 09:00', 10_000],
      ['2026-11-27 10:00', 200],
      ['2026-11-27 11:00', 700],
    ]);
    // A reading from 09:30 arriving now (a satellite link catching up) is older than the last one.
    await send([['2026-11-27 09:30', 9500]]);
    expect(hub.hub.energy.deviceState(meter.id)).toMatchObject({ todayWh: 1500 });
    expect(hub.logs.filter((line) => line.msg === 'energy counter went down: new baseline')).toHaveLength(1);
    expect(hub.logs.some((line) => line.msg === 'reading ignored' && line.note === 'older')).toBe(true);
  });

  it('drops and logs a reading with an impossible value instead of booking it', async () => {
    const { hub, meter } = await hubWithMeter();
    hub.hub.events.emit('device.message', {
      deviceId: meter.id,
      profile: 'homepay-meter',
      topic: `homepay/meter/${meter.id}/reading`,
      message: { kind: 'reading', energyWh: Number.NaN },
      receivedAt: '2026-11-27T00:00:00.000Z',
    });
    hub.hub.energy.flush();
    expect(hub.logs.find((line) => line.msg === 'malformed reading dropped')).toMatchObject({
      deviceId: meter.id,
      reason: 'energyWh must be a finite counter of at least 0, got NaN',
    });
    expect(hub.hub.energy.deviceState(meter.id)).toBeUndefined();
  });

  it('refuses a counter jump and a power above energy.maxPowerW, books nothing for them and says why', async () => {
    const { hub, meter, send, publish } = await hubWithMeter();
    await send([
      ['2026-11-27 08:00', 9000],
      ['2026-11-27 09:00', 10_000],
      // A hijacked plug: 5 x 10^8 Wh in an hour would be 500 MW.
      ['2026-11-27 10:00', 500_010_000],
      ['2026-11-27 11:00', 500_010_500],
    ]);
    await publish([
      {
        at: beijing('2026-11-27 11:30'),
        topic: 'homepay/meter/{deviceId}/reading',
        payload: { powerW: 300_000, ts: beijing('2026-11-27 11:30') },
      },
    ]);
    expect(hub.hub.energy.deviceState(meter.id)).toMatchObject({ todayWh: 1500 });
    expect(
      hub.logs.filter(
        (line) =>
          line.msg === 'energy counter rose faster than energy.maxPowerW: new baseline, nothing counted',
      ),
    ).toHaveLength(1);
    expect(hub.logs.find((line) => line.msg === 'malformed reading dropped')).toMatchObject({
      deviceId: meter.id,
      reason: 'powerW 300000 is above energy.maxPowerW (250000 W)',
    });
  });

  it('forgets a removed device even when its last readings were still waiting for their batch', async () => {
    const { hub, clock, meter, send } = await hubWithMeter();
    await send([['2026-11-27 08:00', 1000]]);
    const reading = (energyWh: number) =>
      hub.hub.events.emit('device.message', {
        deviceId: meter.id,
        profile: 'homepay-meter',
        topic: `homepay/meter/${meter.id}/reading`,
        message: { kind: 'reading', energyWh },
        receivedAt: new Date(clock.now() + 60_000).toISOString(),
      });
    // Heard, not yet stored (the batch is stored on the next turn), and then the device goes.
    reading(1500);
    hub.hub.registry.remove(meter.id);
    hub.hub.energy.flush();
    expect(hub.hub.energy.deviceState(meter.id)).toBeUndefined();
    const rows = hub.hub.db
      .prepare('SELECT COUNT(*) AS n FROM energy_channels WHERE device_id = ?')
      .get(meter.id);
    expect(rows).toEqual({ n: 0 });
  });

  it('empties the retained state when the device is removed', async () => {
    const { hub, meter, ha, send } = await hubWithMeter();
    await send([
      ['2026-11-27 08:00', 0],
      ['2026-11-27 09:00', 100],
    ]);
    const topic = `homepay/energy/${meter.id}/state`;
    const seen = new Map<string, string>();
    ha.on('message', (t, payload) => seen.set(t, payload.toString()));
    await ha.subscribeAsync(topic, { qos: 1 });
    await eventually(() => (seen.get(topic) ?? '').length > 0);
    await hub.api({ method: 'DELETE', url: `/api/devices/${meter.id}` });
    await eventually(() => seen.get(topic) === '');
    expect(hub.hub.energy.deviceState(meter.id)).toBeUndefined();
  });
});

describe('Home Assistant discovery', () => {
  const prefix = 'homeassistant/sensor';

  it('is off by default: no config is published', async () => {
    const { meter, ha, send } = await hubWithMeter();
    await send([
      ['2026-11-27 08:00', 0],
      ['2026-11-27 09:00', 100, 50],
    ]);
    // Retained messages arrive in subscription order: once the state is here, configs would be too.
    const state = `homepay/energy/${meter.id}/state`;
    const seen = new Map<string, string>();
    ha.on('message', (topic, payload) => seen.set(topic, payload.toString()));
    await ha.subscribeAsync('homeassistant/#', { qos: 1 });
    await ha.subscribeAsync(state, { qos: 1 });
    await eventually(() => seen.has(state));
    expect([...seen.keys()]).toEqual([state]);
  });

  it('announces energy, power and cost sensors retained, with the state classes and units HA accepts', async () => {
    const { meter, ha, send } = await hubWithMeter({ homeassistant: { discovery: true } });
    await send([
      ['2026-11-27 08:00', 0, 50],
      ['2026-11-27 09:00', 100, 50],
    ]);
    const base = `${prefix}/${meter.id}`;
    const seen = await collect(ha, `${prefix}/${meter.id}/+/config`, (s) => s.size === 5);
    const config = (object: string) => JSON.parse(seen.get(`${base}/${object}/config`) as string);

    expect(config('power')).toMatchObject({
      device_class: 'power',
      state_class: 'measurement',
      unit_of_measurement: 'W',
      value_template: '{{ value_json.powerW }}',
    });
    for (const object of ['today_energy', 'month_energy']) {
      expect(config(object)).toMatchObject({
        device_class: 'energy',
        state_class: 'total_increasing',
        unit_of_measurement: 'kWh',
      });
    }
    expect(config('today_cost')).toMatchObject({
      device_class: 'monetary',
      state_class: 'total',
      unit_of_measurement: 'CNY',
      value_template: '{{ (value_json.todayCost / 100) | round(2) }}',
      last_reset_value_template: '{{ value_json.todayStart }}',
    });
    expect(config('month_cost')).toMatchObject({ last_reset_value_template: '{{ value_json.monthStart }}' });
    for (const object of ['power', 'today_energy', 'month_energy', 'today_cost', 'month_cost']) {
      expect(config(object)).toMatchObject({
        unique_id: `homepay_${meter.id}_${object}`,
        state_topic: `homepay/energy/${meter.id}/state`,
        availability_topic: 'homepay/status',
        payload_available: 'online',
        payload_not_available: 'offline',
        device: {
          identifiers: [`homepay_${meter.id}`],
          name: 'Fridge',
          manufacturer: 'homepay',
          model: 'homepay-meter',
        },
        origin: { name: 'homepay' },
      });
    }
  });

  it('leaves out the power sensor for a device that never reported power', async () => {
    const { meter, ha, send } = await hubWithMeter({ homeassistant: { discovery: true } });
    await send([
      ['2026-11-27 08:00', 0],
      ['2026-11-27 09:00', 100],
    ]);
    const seen = await collect(ha, `${prefix}/${meter.id}/+/config`, (s) => s.size === 4);
    expect([...seen.keys()].some((topic) => topic.includes('/power/'))).toBe(false);
  });

  it('survives a restart retained, and empties every config when the device is removed', async () => {
    const { hub, meter, send } = await hubWithMeter({ homeassistant: { discovery: true } });
    await send([
      ['2026-11-27 08:00', 0, 10],
      ['2026-11-27 09:00', 100, 10],
    ]);
    await hub.restart();
    // Home Assistant connecting after the restart finds the configs the hub republished at start.
    const watcher = await addDevice(hub, { profile: 'homepay-integration', name: 'HA after restart' });
    const ha = await connectClient(hub.mqttPort, { username: watcher.username, password: watcher.password });
    opened[opened.length - 1]?.clients.push(ha);
    const seen = await collect(ha, `${prefix}/${meter.id}/+/config`, (s) => s.size === 5);
    expect(seen.size).toBe(5);

    const live = new Map<string, string>();
    ha.on('message', (topic, payload) => live.set(topic, payload.toString()));
    await ha.subscribeAsync(`homepay/energy/${meter.id}/state`, { qos: 1 });
    await hub.api({ method: 'DELETE', url: `/api/devices/${meter.id}` });
    await eventually(() => [...live.values()].filter((payload) => payload === '').length === 6);
    expect([...live.keys()].sort()).toEqual(
      [
        ...['month_cost', 'month_energy', 'power', 'today_cost', 'today_energy'].map(
          (o) => `${prefix}/${meter.id}/${o}/config`,
        ),
        `homepay/energy/${meter.id}/state`,
      ].sort(),
    );
  });
});
