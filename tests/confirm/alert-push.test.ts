import { afterAll, describe, expect, it } from 'vitest';
import { openEventStream } from '../contracts/push-channel.js';
import { meterReadings, publishAt, routedCounter } from '../energy/hub-helpers.js';
import { ManualClock } from '../helpers/clock.js';
import { addDevice, startHub, type TestHub } from '../helpers/hub.js';
import { connectClient } from '../helpers/mqtt.js';
import { pairPhone } from '../helpers/phone.js';

let hub: TestHub | undefined;
afterAll(async () => {
  await hub?.stop();
});

describe('alerts reach the phones', () => {
  it('pushes an energy rule crossing to a paired phone over its live event stream', async () => {
    const clock = new ManualClock(Date.parse('2026-11-27T00:00:00Z'));
    hub = await startHub({ clock, overrides: { energy: { tariff: 'beijing-residential' } } });
    const phone = await pairPhone(hub);
    const meter = await addDevice(hub, { profile: 'homepay-meter', name: 'Main meter' });
    const rule = await hub.api({
      method: 'POST',
      url: '/api/rules',
      payload: {
        name: 'Month over 1 kWh',
        scope: 'home',
        period: 'month',
        metric: 'energy',
        threshold: 1000,
        action: { kind: 'alert' },
      },
    });
    const stream = await openEventStream(`${hub.hub.httpUrl()}/api/events`, {
      headers: { authorization: `Bearer ${phone.token}` },
    });
    const client = await connectClient(hub.mqttPort, { username: meter.username, password: meter.password });
    await publishAt(
      clock,
      client,
      routedCounter(hub),
      meterReadings([
        ['2026-11-27 08:00', 10_000],
        ['2026-11-27 10:00', 11_200],
      ]),
      { deviceId: meter.id },
    );
    const alert = await stream.next((event) => event.event === 'alert');
    expect(JSON.parse(alert.data)).toMatchObject({
      ruleId: rule.json().id,
      metric: 'energy',
      value: 1200,
      threshold: 1000,
    });
    stream.close();
    await client.endAsync();
  });
});
