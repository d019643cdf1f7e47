import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { EnergyAlert } from '../../src/energy/alerts.js';
import type { Intent } from '../../src/payments/intent.js';
import { ManualClock } from '../helpers/clock.js';
import { addDevice, startHub, type TestHub } from '../helpers/hub.js';
import { connectClient, eventually } from '../helpers/mqtt.js';
import { decide, fundWallet, pairPhone } from '../helpers/phone.js';
import { meterReadings, publishAt, routedCounter } from './hub-helpers.js';

const opened: Array<{ hub: TestHub; clients: MqttClient[] }> = [];
afterEach(async () => {
  for (const { hub, clients } of opened.splice(0)) {
    for (const client of clients) await client.endAsync().catch(() => {});
    await hub.stop();
  }
});

/** A hub with one native meter connected, a ManualClock, and an integration client reading alerts. */
async function meteredHub(tariff: string, overrides: Record<string, unknown> = {}) {
  const clock = new ManualClock(Date.parse('2026-11-27T00:00:00Z'));
  const hub = await startHub({ clock, overrides: { energy: { tariff }, ...overrides } });
  const meter = await addDevice(hub, { profile: 'homepay-meter', name: 'Main meter' });
  const watcher = await addDevice(hub, { profile: 'homepay-integration', name: 'Home Assistant' });
  const entry = { hub, clients: [] as MqttClient[] };
  opened.push(entry);
  const connect = async () => {
    const meterClient = await connectClient(hub.mqttPort, {
      username: meter.username,
      password: meter.password,
    });
    const watcherClient = await connectClient(hub.mqttPort, {
      username: watcher.username,
      password: watcher.password,
    });
    entry.clients.push(meterClient, watcherClient);
    const alerts: EnergyAlert[] = [];
    watcherClient.on('message', (topic, payload) => {
      if (topic.startsWith('homepay/alert/')) alerts.push(JSON.parse(payload.toString()) as EnergyAlert);
    });
    await watcherClient.subscribeAsync('homepay/alert/+', { qos: 1 });
    const routed = routedCounter(hub);
    const send = (readings: Array<[string, number, number?]>) =>
      publishAt(clock, meterClient, routed, meterReadings(readings), { deviceId: meter.id });
    return { send, alerts };
  };
  return { hub, clock, meter, connect };
}

async function createRule(hub: TestHub, rule: Record<string, unknown>) {
  const response = await hub.api({ method: 'POST', url: '/api/rules', payload: rule });
  expect(response.statusCode, response.body).toBe(201);
  // The response gives the rule back whole: scope and action unions included.
  expect(response.json()).toMatchObject({ ...rule, origin: 'api' });
  return response.json() as { id: string };
}

async function alertsOf(hub: TestHub, query = '') {
  const response = await hub.api({ method: 'GET', url: `/api/alerts${query}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as EnergyAlert[];
}

describe('threshold rules over a real hub', () => {
  it('a rule crossing, a restart, the same reading again and more readings: exactly one alert', async () => {
    const { hub, meter, connect } = await meteredHub('beijing-residential');
    const rule = await createRule(hub, {
      name: 'Month over 1 kWh',
      scope: 'home',
      period: 'month',
      metric: 'energy',
      threshold: 1000,
      action: { kind: 'alert' },
    });
    let session = await connect();
    await session.send([
      ['2026-11-27 08:00', 10_000],
      ['2026-11-27 09:00', 10_600],
      ['2026-11-27 10:00', 11_200],
    ]);
    await eventually(() => session.alerts.length === 1);
    expect(session.alerts[0]).toMatchObject({
      ruleId: rule.id,
      name: 'Month over 1 kWh',
      metric: 'energy',
      value: 1200,
      threshold: 1000,
      period: 'month',
      periodStart: '2026-11-01',
      ts: '2026-11-27T02:00:00.000Z',
    });
    expect(session.alerts[0]?.deviceId).toBeUndefined();

    await hub.restart();
    session = await connect();
    // The last reading delivered again (a QoS 1 resend after the restart), then the month goes on.
    await session.send([
      ['2026-11-27 10:00', 11_200],
      ['2026-11-27 11:00', 11_800],
      ['2026-11-27 12:00', 12_400],
    ]);
    const listed = await alertsOf(hub);
    expect(listed).toHaveLength(1);
    expect(listed[0]?.ruleId).toBe(rule.id);
    expect(session.alerts).toHaveLength(0);
    // Nothing was counted twice across the restart.
    expect(hub.hub.energy.deviceState(meter.id)).toMatchObject({ monthWh: 2400, todayWh: 2400 });
  });

  it('fires again in the next period, once', async () => {
    const { hub, connect } = await meteredHub('flat-example');
    await createRule(hub, {
      name: 'Day over 1 kWh',
      scope: 'home',
      period: 'day',
      metric: 'energy',
      threshold: 1000,
      action: { kind: 'alert' },
    });
    const { send } = await connect();
    await send([
      ['2026-11-27 08:00', 0],
      ['2026-11-27 20:00', 1500],
      ['2026-11-27 21:00', 1600],
      ['2026-11-28 08:00', 1700],
      ['2026-11-28 20:00', 3500],
      ['2026-11-28 21:00', 3600],
    ]);
    expect((await alertsOf(hub)).map((alert) => alert.periodStart)).toEqual(['2026-11-28', '2026-11-27']);
  });

  it('an intent action asks for the payment, which the phone approves like any other', async () => {
    const { hub, meter, connect } = await meteredHub('flat-example');
    const phone = await pairPhone(hub);
    await fundWallet(hub, phone, 50_000);
    const rule = await createRule(hub, {
      name: 'Top up electricity',
      scope: { deviceId: meter.id },
      period: 'month',
      metric: 'spend',
      threshold: 100,
      action: { kind: 'intent', payeeId: 'sgcc_zhejiang', payeeName: '国网浙江省电力', amount: 10_000 },
    });
    const { send, alerts } = await connect();
    // 2 kWh at 55.8 fen = 111.6 fen: over 100. (The clock stays there: the phone has 10 minutes.)
    await send([
      ['2026-11-27 08:00', 0],
      ['2026-11-27 10:00', 2000],
    ]);
    await eventually(() => alerts.length === 1);
    expect(alerts[0]).toMatchObject({ ruleId: rule.id, metric: 'spend', value: 112, deviceId: meter.id });
    const intentId = alerts[0]?.intentId as string;
    const intent = hub.hub.intents.require(intentId);
    expect(intent).toMatchObject({
      status: 'requires_approval',
      amount: 10_000,
      payee: { id: 'sgcc_zhejiang', name: '国网浙江省电力' },
      source: { kind: 'energy', deviceId: meter.id },
    });
    expect((await alertsOf(hub))[0]?.intentId).toBe(intentId);

    const approved = await decide(hub, phone, intent, 'approve');
    expect((approved.json() as Intent).status, approved.body).toBe('succeeded');
    expect(hub.hub.intents.list().filter((i) => i.source.kind === 'energy')).toHaveLength(1);
  });

  it('an intent the hub did not get to ask for before it stopped is asked for once after the restart', async () => {
    const { hub } = await meteredHub('flat-example');
    const phone = await pairPhone(hub);
    await fundWallet(hub, phone, 50_000);
    // What a stop between recording the crossing and creating the intent leaves behind.
    hub.hub.db
      .prepare(
        `INSERT INTO energy_alerts (id, rule_id, rule_name, metric, value, threshold, period, period_start,
           ts, action, created_at)
         VALUES ('alert_interrupted', 'rule_x', 'Top up', 'spend', 120, 100, 'month', '2026-11-01',
           '2026-11-27T02:00:00.000Z', ?, '2026-11-27T02:00:00.000Z')`,
      )
      .run(JSON.stringify({ kind: 'intent', payeeId: 'sgcc', amount: 5000 }));
    await hub.restart();
    await hub.restart();
    const intents = hub.hub.intents.list().filter((i) => i.source.kind === 'energy');
    expect(intents).toHaveLength(1);
    expect(intents[0]).toMatchObject({ amount: 5000, payee: { id: 'sgcc', name: 'sgcc' } });
    expect((await alertsOf(hub))[0]?.intentId).toBe(intents[0]?.id);
  });

  it('projectedSpend forecasts the period from the last hours: 1 kW at 55.8 fen/kWh projects 1339 fen a day', async () => {
    const { hub, connect } = await meteredHub('flat-example');
    const base = { scope: 'home', period: 'day', metric: 'projectedSpend', action: { kind: 'alert' } };
    const fires = await createRule(hub, { ...base, name: 'Day heading over 13 yuan', threshold: 1300 });
    await createRule(hub, { ...base, name: 'Day heading over 14 yuan', threshold: 1400 });
    const { send } = await connect();
    // Half an hour is too little history to forecast from; an hour is enough:
    // 55.8 spent + 55.8 an hour x 23 hours left = 1339.2.
    await send([
      ['2026-11-27 00:00', 0],
      ['2026-11-27 00:30', 500],
      ['2026-11-27 01:00', 1000],
    ]);
    const alerts = await alertsOf(hub);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ ruleId: fires.id, value: 1339, ts: '2026-11-26T17:00:00.000Z' });
  });

  it('tierRemaining warns before each tier of the month, once per tier', async () => {
    const { hub, connect } = await meteredHub('beijing-residential');
    await createRule(hub, {
      name: '10 kWh before the next tier',
      scope: 'home',
      period: 'cycle',
      metric: 'tierRemaining',
      threshold: 10_000,
      action: { kind: 'alert' },
    });
    const { send } = await connect();
    await send([
      ['2026-11-02 08:00', 0],
      ['2026-11-10 08:00', 225_000],
      ['2026-11-12 08:00', 232_000],
      ['2026-11-14 08:00', 236_000],
      ['2026-11-20 08:00', 245_000],
      ['2026-11-26 08:00', 395_000],
    ]);
    const alerts = await alertsOf(hub);
    expect(alerts.map((alert) => [alert.value, alert.periodStart])).toEqual([
      [5000, '2026-11-01'],
      [8000, '2026-11-01'],
    ]);
    const home = await hub.api({ method: 'GET', url: '/api/energy' });
    expect(home.json().cycle).toMatchObject({
      start: '2026-11-01',
      end: '2026-12-01',
      tier: 2,
      remainingWh: 5000,
    });
  });
});

describe('the rules API', () => {
  it('creates, lists, gets and deletes a rule; a deleted rule is 404 rule_not_found', async () => {
    const { hub } = await meteredHub('flat-example');
    const rule = await createRule(hub, {
      name: 'Week over 50 yuan',
      scope: 'home',
      period: 'week',
      metric: 'spend',
      threshold: 5000,
      action: { kind: 'alert' },
    });
    expect((await hub.api({ method: 'GET', url: '/api/rules' })).json()).toMatchObject([
      { id: rule.id, origin: 'api', scope: 'home', period: 'week' },
    ]);
    expect((await hub.api({ method: 'GET', url: `/api/rules/${rule.id}` })).json().name).toBe(
      'Week over 50 yuan',
    );
    expect((await hub.api({ method: 'DELETE', url: `/api/rules/${rule.id}` })).statusCode).toBe(200);
    const gone = await hub.api({ method: 'GET', url: `/api/rules/${rule.id}` });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('rule_not_found');
  });

  it('refuses rules that cannot work, each with its reason', async () => {
    const { hub } = await meteredHub('flat-example');
    const base = {
      name: 'x',
      scope: 'home',
      period: 'month',
      metric: 'spend',
      threshold: 1,
      action: { kind: 'alert' },
    };
    const cases: Array<[Record<string, unknown>, number, string, RegExp]> = [
      [{ metric: 'tierRemaining', period: 'cycle' }, 400, 'invalid_request', /tariff with tiers/],
      [{ scope: { deviceId: 'dev_nobody' } }, 404, 'device_not_found', /dev_nobody/],
      [{ threshold: 1.5 }, 400, 'invalid_request', /threshold/],
      [{ period: 'year' }, 400, 'invalid_request', /period/],
      [{ action: { kind: 'intent', payeeId: 'sgcc' } }, 400, 'invalid_request', /action/],
      [{ extra: true }, 400, 'invalid_request', /additional/],
    ];
    for (const [change, status, code, message] of cases) {
      const response = await hub.api({ method: 'POST', url: '/api/rules', payload: { ...base, ...change } });
      expect(response.statusCode, JSON.stringify(change)).toBe(status);
      expect(response.json().error.code).toBe(code);
      expect(response.json().error.message).toMatch(message);
    }
  });

  it('lets phones read rules and alerts but not create rules', async () => {
    const { hub } = await meteredHub('flat-example');
    const phone = await pairPhone(hub);
    expect((await hub.api({ method: 'GET', url: '/api/alerts', token: phone.token })).statusCode).toBe(200);
    expect((await hub.api({ method: 'GET', url: '/api/rules', token: phone.token })).statusCode).toBe(200);
    const refused = await hub.api({
      method: 'POST',
      url: '/api/rules',
      token: phone.token,
      payload: {
        name: 'x',
        scope: 'home',
        period: 'day',
        metric: 'energy',
        threshold: 1,
        action: { kind: 'alert' },
      },
    });
    expect(refused.statusCode).toBe(403);
  });

  it('filters alerts by rule and time, newest first', async () => {
    const { hub, connect } = await meteredHub('flat-example');
    const rule = { scope: 'home', period: 'day', metric: 'energy', action: { kind: 'alert' } };
    const small = await createRule(hub, { ...rule, name: 'Over 0.5 kWh', threshold: 500 });
    const large = await createRule(hub, { ...rule, name: 'Over 2 kWh', threshold: 2000 });
    const { send } = await connect();
    await send([
      ['2026-11-27 08:00', 0],
      ['2026-11-27 09:00', 1000],
      ['2026-11-27 12:00', 3000],
    ]);
    expect((await alertsOf(hub)).map((a) => a.ruleId)).toEqual([large.id, small.id]);
    expect((await alertsOf(hub, `?ruleId=${small.id}`)).map((a) => a.ruleId)).toEqual([small.id]);
    expect((await alertsOf(hub, '?since=2026-11-27T02:00:00Z')).map((a) => a.ruleId)).toEqual([large.id]);
    expect((await hub.api({ method: 'GET', url: '/api/alerts?since=yesterday' })).statusCode).toBe(400);
  });

  it('loads rules from the settings file with stable ids, and refuses to delete them over HTTP', async () => {
    const configRule = {
      name: 'Month over 100 yuan',
      scope: 'home',
      period: 'month',
      metric: 'spend',
      threshold: 10_000,
      action: { kind: 'alert' },
    };
    const { hub } = await meteredHub('flat-example', {
      energy: { tariff: 'flat-example', rules: [configRule] },
    });
    const [listed] = (await hub.api({ method: 'GET', url: '/api/rules' })).json() as Array<{ id: string }>;
    expect(listed).toMatchObject({ origin: 'config', name: 'Month over 100 yuan' });
    await hub.restart();
    expect((await hub.api({ method: 'GET', url: '/api/rules' })).json()).toEqual([listed]);
    const refused = await hub.api({ method: 'DELETE', url: `/api/rules/${listed?.id}` });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('rule_in_config');
  });
});

describe('a config that cannot work', () => {
  it('stops the hub from starting, naming the rule and the reason', async () => {
    const rule = {
      name: 'Near tier',
      scope: 'home',
      period: 'cycle',
      metric: 'tierRemaining',
      threshold: 1,
      action: { kind: 'alert' },
    };
    await expect(
      startHub({ overrides: { energy: { tariff: 'flat-example', rules: [rule] } } }),
    ).rejects.toThrow(/energy.rules\[0\] "Near tier": tierRemaining needs a tariff with tiers/);
  });

  it('stops the hub from starting when the tariff file does not exist', async () => {
    await expect(startHub({ overrides: { energy: { tariff: 'atlantis' } } })).rejects.toThrow(
      /no such tariff file/,
    );
  });
});
