/**
 * (a) Energy ingest: readings per second through the whole hub (broker hooks, converter, meter
 * intervals, tariff, rules, SQLite, retained state), against the same messages forwarded by a bare
 * aedes with one subscriber, both in this process. Each device's readings carry their own time, 2 s
 * apart, so every one is a new interval to price (none is skipped as a duplicate).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { loadSettings } from '../src/config/load.js';
import { Hub } from '../src/hub.js';
import { createLogger } from '../src/logger.js';

interface Message {
  topic: string;
  payload: string;
}

interface DeviceStream {
  profile: string;
  identity?: string;
  /** Topic and payload of reading n at instant `ms` with counter `wh`. */
  message(identity: string, ms: number, wh: number, watts: number): Message;
}

const STREAMS: DeviceStream[] = [
  {
    profile: 'homepay-meter',
    message: (id, ms, wh, watts) => ({
      topic: `homepay/meter/${id}/reading`,
      payload: JSON.stringify({ energyWh: wh, powerW: watts, ts: new Date(ms).toISOString() }),
    }),
  },
  {
    profile: 'tasmota-plug',
    identity: 'tasmota_BE0001',
    // SetOption52 on: Tasmota's Time carries its offset, so the hub can use it.
    message: (id, ms, wh, watts) => ({
      topic: `tele/${id}/SENSOR`,
      payload: JSON.stringify({
        Time: `${new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`,
        ENERGY: {
          TotalStartTime: '2025-03-02T19:24:10',
          Total: Number((wh / 1000).toFixed(3)),
          Yesterday: 0.874,
          Today: 0.286,
          Period: 3,
          Power: Math.round(watts),
          ApparentPower: Math.round(watts * 1.2),
          ReactivePower: Math.round(watts * 0.6),
          Factor: 0.83,
          Voltage: 229,
          Current: Number((watts / 229).toFixed(3)),
        },
      }),
    }),
  },
  {
    profile: 'shelly-gen2-plug',
    identity: 'shellyplusplugs-be0000000002',
    message: (id, ms, wh, watts) => ({
      topic: `${id}/events/rpc`,
      payload: JSON.stringify({
        src: id,
        dst: `${id}/events`,
        method: 'NotifyStatus',
        params: {
          ts: ms / 1000,
          'switch:0': {
            id: 0,
            apower: watts,
            current: Number((watts / 229).toFixed(3)),
            voltage: 229.6,
            aenergy: {
              by_minute: [606.667, 606.21, 607.003],
              minute_ts: Math.floor(ms / 60_000) * 60,
              total: wh,
            },
          },
        },
      }),
    }),
  },
];

const STEP_MS = 2000;

/** Each device's readings, oldest first, ending a few seconds ago. */
function readings(stream: DeviceStream, identity: string, count: number): Message[] {
  const end = Date.now() - 10_000;
  const out: Message[] = [];
  let wh = 48_372;
  for (let i = 0; i < count; i++) {
    const ms = end - (count - i) * STEP_MS;
    const watts = 100 + ((i * 37) % 1900);
    wh += (watts * STEP_MS) / 3_600_000;
    out.push(stream.message(identity, ms, Number(wh.toFixed(3)), watts));
  }
  return out;
}

function connect(port: number, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    ...options,
  });
}

/** Publishes every list on its own client at once, QoS 1, and resolves when all are acknowledged. */
async function publishAll(clients: MqttClient[], lists: Message[][]): Promise<void> {
  await Promise.all(
    lists.map(async (list, i) => {
      const client = clients[i] as MqttClient;
      // A window of unacknowledged messages, as a device with a send queue has.
      const window: Array<Promise<unknown>> = [];
      for (const message of list) {
        window.push(client.publishAsync(message.topic, message.payload, { qos: 1 }));
        if (window.length >= 200) await Promise.all(window.splice(0));
      }
      await Promise.all(window);
    }),
  );
}

export interface IngestResult {
  messages: number;
  hubPerSecond: number;
  baselinePerSecond: number;
}

/** Bare aedes in this process: 3 publishers, 1 subscriber on `#`, QoS 1, lossless. */
async function baseline(lists: Message[][]): Promise<number> {
  const aedes = await Aedes.createBroker();
  const server = createServer({ noDelay: true }, aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const subscriber = await connect(port);
  let received = 0;
  const total = lists.reduce((sum, list) => sum + list.length, 0);
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => (done = resolve));
  subscriber.on('message', () => {
    if (++received === total) done();
  });
  await subscriber.subscribeAsync('#', { qos: 1 });
  const publishers = await Promise.all(lists.map(() => connect(port)));
  const started = performance.now();
  await publishAll(publishers, lists);
  await all;
  const elapsed = performance.now() - started;
  await Promise.all([...publishers, subscriber].map((client) => client.endAsync()));
  await new Promise<void>((resolve) => aedes.close(() => server.close(() => resolve())));
  return (total * 1000) / elapsed;
}

/** The whole hub in this process, with energy rules for the home and for each device. */
async function throughHub(count: number, warmup: number): Promise<number> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'homepay-bench-ingest-'));
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const { settings } = loadSettings({
    cwd: dataDir,
    env: {},
    overrides: {
      dataDir,
      logLevel: 'info',
      mqtt: { port: 0, tlsPort: 0, rateLimit: { messagesPerSecond: 1_000_000, burst: 1_000_000 } },
      http: { port: 0, httpsPort: 0 },
      tls: { enabled: false },
      energy: {
        rules: [
          {
            name: 'Home spend today',
            scope: 'home',
            period: 'day',
            metric: 'spend',
            threshold: 100_000_000,
            action: { kind: 'alert' },
          },
          {
            name: 'Home energy this month',
            scope: 'home',
            period: 'month',
            metric: 'energy',
            threshold: 1_000_000_000,
            action: { kind: 'alert' },
          },
          {
            name: 'Projected month',
            scope: 'home',
            period: 'month',
            metric: 'projectedSpend',
            threshold: 1_000_000_000,
            action: { kind: 'alert' },
          },
        ],
      },
    },
  });
  const hub = new Hub({ settings, logger: createLogger({ level: 'info', destination: discard }) });
  await hub.start();
  try {
    const token = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    const authorization = `Bearer ${token}`;
    const port = (hub.mqtt as { port: number }).port;
    const devices: Array<{ id: string; identity: string; mqtt: { username: string; password: string } }> = [];
    for (const stream of STREAMS) {
      const created = await hub.http.inject({
        method: 'POST',
        url: '/api/devices',
        headers: { authorization },
        payload: {
          profile: stream.profile,
          name: `bench ${stream.profile}`,
          ...(stream.identity ? { identity: stream.identity } : {}),
        },
      });
      const device = created.json() as {
        id: string;
        identity: string;
        mqtt: { username: string; password: string };
      };
      await hub.http.inject({
        method: 'POST',
        url: '/api/rules',
        headers: { authorization },
        payload: {
          name: `bench ${stream.profile} today`,
          scope: { deviceId: device.id },
          period: 'day',
          metric: 'spend',
          threshold: 50_000_000,
          action: { kind: 'alert' },
        },
      });
      devices.push(device);
    }
    const lists = STREAMS.map((stream, i) =>
      readings(stream, (devices[i] as { identity: string }).identity, warmup + count),
    );
    const clients = await Promise.all(
      devices.map((device) =>
        connect(port, { username: device.mqtt.username, password: device.mqtt.password }),
      ),
    );
    const channelTimes = hub.db.prepare('SELECT device_id, counter_at FROM energy_channels');
    const finished = (expected: number[]) => () => {
      const rows = channelTimes.all() as Array<{ device_id: string; counter_at: number | null }>;
      return devices.every((device, i) =>
        rows.some((row) => row.device_id === device.id && Number(row.counter_at) >= (expected[i] as number)),
      );
    };
    const waitFor = async (check: () => boolean) => {
      while (!check()) await new Promise((resolve) => setTimeout(resolve, 2));
    };
    const timeOf = (list: Message[], index: number, stream: DeviceStream): number => {
      const body = JSON.parse((list[index] as Message).payload) as Record<string, unknown>;
      if (stream.profile === 'homepay-meter') return Date.parse(body.ts as string);
      if (stream.profile === 'tasmota-plug') return Date.parse(body.Time as string);
      return Math.round((body.params as { ts: number }).ts * 1000);
    };
    // Warm-up: the first readings (baselines, first totals rows, JIT) are not timed.
    const warm = lists.map((list) => list.slice(0, warmup));
    await publishAll(clients, warm);
    await waitFor(finished(STREAMS.map((stream, i) => timeOf(lists[i] as Message[], warmup - 1, stream))));
    const timed = lists.map((list) => list.slice(warmup));
    const started = performance.now();
    await publishAll(clients, timed);
    await waitFor(
      finished(STREAMS.map((stream, i) => timeOf(lists[i] as Message[], warmup + count - 1, stream))),
    );
    const elapsed = performance.now() - started;
    await Promise.all(clients.map((client) => client.endAsync()));
    return (count * STREAMS.length * 1000) / elapsed;
  } finally {
    await hub.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `perDevice` timed readings for each of the three devices (plus a warm-up). */
export async function benchEnergyIngest(
  perDevice: number,
  options: { hubOnly?: boolean } = {},
): Promise<IngestResult> {
  const warmup = 200;
  const lists = STREAMS.map((stream, i) => readings(stream, stream.identity ?? `dev_bench${i}`, perDevice));
  const baselinePerSecond = options.hubOnly ? Number.NaN : await baseline(lists);
  const hubPerSecond = await throughHub(perDevice, warmup);
  return { messages: perDevice * STREAMS.length, hubPerSecond, baselinePerSecond };
}
