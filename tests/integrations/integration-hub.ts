import { createServer } from 'node:net';
import type { MqttClient } from 'mqtt';
import { addDevice, type StartHubOptions, startHub, type TestHub } from '../helpers/hub.js';
import { connectClient } from '../helpers/mqtt.js';
import { fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';

/**
 * A real hub set up the way a household running Node-RED or Homebridge has it: a paired phone, a
 * funded wallet, a `homepay-integration` device for events and a `homepay-speaker` device for
 * orders. The integrations get only what a person would paste into their settings: the hub URL,
 * the admin token and the two devices' credentials.
 */
export interface IntegrationHub {
  hub: TestHub;
  phone: TestPhone;
  hubUrl: string;
  events: { id: string; password: string };
  speaker: { id: string; password: string };
}

export async function startIntegrationHub(options: StartHubOptions = {}): Promise<IntegrationHub> {
  const hub = await startHub({
    ...options,
    // The integrations speak plain HTTP to 127.0.0.1; HTTPS is covered by tests/tls.
    overrides: { tls: { enabled: false }, ...(options.overrides ?? {}) },
  });
  const phone = await pairPhone(hub);
  await fundWallet(hub, phone, 100_000);
  const events = await addDevice(hub, { profile: 'homepay-integration', name: 'integration events' });
  const speaker = await addDevice(hub, { profile: 'homepay-speaker', name: 'integration speaker' });
  return {
    hub,
    phone,
    get hubUrl() {
      return hub.hub.httpUrl();
    },
    events: { id: events.id, password: events.password },
    speaker: { id: speaker.id, password: speaker.password },
  };
}

/** Two ports free right now, for a hub that must come back on the same ports after a restart. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((resolve) => {
          const server = createServer();
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/**
 * A native meter that reports `deltaWh` used over the last minute, so a home energy rule for the
 * day crosses at once. Returns the meter's device id.
 */
export async function meterUses(hub: TestHub, deltaWh: number): Promise<string> {
  const meter = await addDevice(hub, { profile: 'homepay-meter', name: `meter ${Date.now()}` });
  const client: MqttClient = await connectClient(hub.mqttPort, {
    username: meter.username,
    password: meter.password,
  });
  try {
    const now = Date.now();
    const topic = `homepay/meter/${meter.id}/reading`;
    for (const [offset, energyWh] of [
      [60_000, 10_000],
      [0, 10_000 + deltaWh],
    ] as const) {
      const ts = new Date(now - offset).toISOString();
      await client.publishAsync(topic, JSON.stringify({ energyWh, powerW: 100, ts }), { qos: 1 });
    }
  } finally {
    await client.endAsync();
  }
  return meter.id;
}

/** An energy rule on the home's use today, crossed by `meterUses` with more than `thresholdWh`. */
export async function createEnergyRule(hub: TestHub, name: string, thresholdWh: number): Promise<string> {
  const response = await hub.api({
    method: 'POST',
    url: '/api/rules',
    payload: {
      name,
      scope: 'home',
      period: 'day',
      metric: 'energy',
      threshold: thresholdWh,
      action: { kind: 'alert' },
    },
  });
  if (response.statusCode !== 201) throw new Error(`rule create failed: ${response.body}`);
  return (response.json() as { id: string }).id;
}
