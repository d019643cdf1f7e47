/**
 * The soak: a real hub in this process, many devices talking to it over MQTT for a long time, a
 * phone approving and topping up over HTTP. Every few seconds it prints the hub's memory and the
 * size of everything that could pile up (connections, settlements in flight and waiting to retry,
 * event streams, conversation memory, last-seen times, listeners, pending intents, the WAL), and it
 * fails when the heap or any of those keeps growing once the start is behind it.
 *
 *   npm run soak                                  # 60 s, 200 devices
 *   npm run soak -- --minutes 10 --devices 1000   # the long one
 *
 * tests/safety/soak.test.ts runs the same minute with 200 devices in the test suite (and CI).
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import mqtt, { type MqttClient } from 'mqtt';
import nacl from 'tweetnacl';
import { loadSettings } from '../src/config/load.js';
import {
  approvalFieldsOf,
  buildApprovalMessage,
  signApprovalMessage,
} from '../src/confirm/approval-message.js';
import { Hub } from '../src/hub.js';
import { createLogger } from '../src/logger.js';
import type { Intent } from '../src/payments/intent.js';

export interface SoakOptions {
  durationMs: number;
  devices: number;
  /** How often each meter reports. */
  readingEveryMs: number;
  /** How often each speaker says something. */
  utteranceEveryMs: number;
  sampleEveryMs: number;
  /** Where the hub's log goes (JSON lines); a temp file by default. */
  logFile?: string;
  print?: (line: string) => void;
}

export interface Sample {
  atMs: number;
  heapMb: number;
  rssMb: number;
  loopP99Ms: number;
  queues: Record<string, number>;
}

export interface SoakReport {
  samples: Sample[];
  /** Heap growth per minute after the warm-up, by least squares. */
  heapSlopeMbPerMin: number;
  heapGrowthMb: number;
  growing: string[];
  work: { readings: number; utterances: number; approvals: number; topups: number };
  logFile: string;
  ok: boolean;
}

let gc: (() => void) | undefined;
try {
  setFlagsFromString('--expose_gc');
  gc = runInNewContext('gc') as () => void;
} catch {
  gc = undefined;
}

type Kind = 'meter' | 'tasmota' | 'speaker';
interface SoakDevice {
  kind: Kind;
  id: string;
  identity: string;
  username: string;
  password: string;
  client?: MqttClient;
  counterWh: number;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dir = mkdtempSync(path.join(tmpdir(), 'homepay-soak-'));
  const logFile = options.logFile ?? path.join(dir, 'hub.log');
  const { settings } = loadSettings({
    cwd: dir,
    env: {},
    overrides: {
      dataDir: dir,
      logLevel: 'info',
      mqtt: { port: 0, tlsPort: 0 },
      http: { port: 0, httpsPort: 0 },
      tls: { enabled: false },
      payments: { provider: { latencyMs: 20, declineRate: 0.05, timeoutRate: 0.05, seed: 7 } },
      voice: { policy: { dailyCap: 1_000_000_000 } },
      wallet: {
        anomaly: {
          amountSpike: { enabled: false },
          burst: { enabled: false },
          newPayeeAtNight: { enabled: false },
        },
      },
      energy: {
        rules: [
          {
            name: 'Home day over 50 kWh',
            scope: 'home',
            period: 'day',
            metric: 'energy',
            threshold: 50_000,
            action: { kind: 'alert' },
          },
          {
            name: 'Home month over 500 yuan',
            scope: 'home',
            period: 'month',
            metric: 'spend',
            threshold: 50_000,
            action: { kind: 'alert' },
          },
        ],
      },
    },
  });
  const logStream = createWriteStream(logFile);
  const hub = new Hub({ settings, logger: createLogger({ level: 'info', destination: logStream }) });
  await hub.start();
  const admin = readFileSync(path.join(dir, 'admin-token'), 'utf8').trim();
  const api = async (method: string, url: string, body?: unknown, token = admin, headers = {}) => {
    const response = await hub.http.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${token}`, ...headers },
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });
    return { status: response.statusCode, json: response.json() as Record<string, unknown> };
  };
  const port = (hub.mqtt as { port: number }).port;
  const work = { readings: 0, utterances: 0, approvals: 0, topups: 0 };
  const timers: NodeJS.Timeout[] = [];
  let stopping = false;

  // The phone and its card.
  const keys = nacl.sign.keyPair();
  const { code } = (await api('POST', '/api/pairing')).json as { code: string };
  const phone = (
    await api('POST', '/api/phones', {
      code,
      name: 'Soak phone',
      publicKey: Buffer.from(keys.publicKey).toString('base64'),
    })
  ).json as { phoneId: string; token: string };
  const card = (
    await api('POST', '/api/funding-sources', { kind: 'debit_card', number: '6222 0212 3456 7890 128' })
  ).json as {
    id: string;
  };
  const decide = async (intent: Intent, action: 'approve' | 'deny') => {
    const message = buildApprovalMessage(approvalFieldsOf(intent, action, phone.phoneId));
    const signature = signApprovalMessage(message, keys.secretKey);
    return api(
      'POST',
      `/api/intents/${intent.id}/${action}`,
      { phoneId: phone.phoneId, signature },
      phone.token,
    );
  };

  // The devices: meters and Tasmota plugs report energy, speakers order.
  print(`soak: registering ${options.devices} devices`);
  const devices: SoakDevice[] = [];
  for (let i = 0; i < options.devices; i++) {
    const kind: Kind = i % 10 < 6 ? 'meter' : i % 10 < 8 ? 'tasmota' : 'speaker';
    const identity = kind === 'tasmota' ? `tasmota_SOAK${String(i).padStart(5, '0')}` : undefined;
    const created = await api('POST', '/api/devices', {
      profile: kind === 'meter' ? 'homepay-meter' : kind === 'tasmota' ? 'tasmota-plug' : 'homepay-speaker',
      name: `Soak ${kind} ${i}`,
      ...(identity ? { identity } : {}),
    });
    const body = created.json as {
      id: string;
      identity: string;
      mqtt: { username: string; password: string };
    };
    devices.push({ kind, id: body.id, identity: body.identity, ...body.mqtt, counterWh: 1000 * i });
  }
  print(`soak: connecting ${devices.length} devices`);
  for (let i = 0; i < devices.length; i += 20) {
    await Promise.all(
      devices.slice(i, i + 20).map(async (device) => {
        device.client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
          protocolVersion: 4,
          reconnectPeriod: 1000,
          username: device.username,
          password: device.password,
        });
        device.client.on('error', () => {});
      }),
    );
  }
  const watcherDevice = (
    await api('POST', '/api/devices', { profile: 'homepay-integration', name: 'Soak watcher' })
  ).json as {
    mqtt: { username: string; password: string };
  };
  const watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    protocolVersion: 4,
    ...watcherDevice.mqtt,
  });
  let heard = 0;
  watcher.on('message', () => heard++);
  await watcher.subscribeAsync(['homepay/intent/+', 'homepay/alert/+', 'homepay/energy/+/state'], { qos: 1 });

  // Each device on its own timer, spread over the interval.
  const publish = (device: SoakDevice) => {
    if (stopping || !device.client?.connected) return;
    if (device.kind === 'speaker') {
      const text = Math.random() < 0.6 ? '帮我买两袋猫粮' : Math.random() < 0.5 ? '我还有多少钱' : '取消';
      device.client.publish(
        `homepay/speaker/${device.id}/utterance`,
        JSON.stringify({ text, sessionId: `soak-${work.utterances}` }),
        { qos: 1 },
      );
      work.utterances++;
      return;
    }
    device.counterWh += 5 + Math.random() * 50;
    const payload =
      device.kind === 'meter'
        ? {
            energyWh: Math.round(device.counterWh * 10) / 10,
            powerW: 100 + Math.random() * 900,
            ts: new Date().toISOString(),
          }
        : {
            Time: new Date().toISOString().slice(0, 19),
            ENERGY: { Total: device.counterWh / 1000, Power: Math.round(Math.random() * 900) },
          };
    const topic =
      device.kind === 'meter' ? `homepay/meter/${device.id}/reading` : `tele/${device.identity}/SENSOR`;
    device.client.publish(topic, JSON.stringify(payload), { qos: device.kind === 'meter' ? 1 : 0 });
    work.readings++;
  };
  for (const device of devices) {
    const every = device.kind === 'speaker' ? options.utteranceEveryMs : options.readingEveryMs;
    const start = setTimeout(() => {
      publish(device);
      timers.push(setInterval(() => publish(device), every));
    }, Math.random() * every);
    timers.push(start);
  }

  // The phone: approves most of what waits, denies some; tops the wallet up when it runs low.
  const phoneLoop = async () => {
    while (!stopping) {
      const pending = (
        await api('GET', '/api/intents?status=requires_approval&limit=50', undefined, phone.token)
      ).json as unknown as Intent[];
      for (const intent of pending) {
        if (stopping) break;
        await decide(intent, Math.random() < 0.9 ? 'approve' : 'deny');
        work.approvals++;
      }
      const wallet = (await api('GET', '/api/wallet')).json as { available: number };
      if (wallet.available < 100_000) {
        const topup = await api(
          'POST',
          '/api/wallet/topups',
          { amount: 500_000, fundingSourceId: card.id },
          phone.token,
          { 'idempotency-key': `soak-topup-${work.topups}` },
        );
        if (topup.status === 201) await decide(topup.json as unknown as Intent, 'approve');
        work.topups++;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };
  const phoneDone = phoneLoop();

  // Sampling.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const samples: Sample[] = [];
  const started = Date.now();
  const dbFile = path.join(dir, 'homepay.db');
  const sample = () => {
    gc?.();
    const memory = process.memoryUsage();
    const s: Sample = {
      atMs: Date.now() - started,
      heapMb: memory.heapUsed / 1024 / 1024,
      rssMb: memory.rss / 1024 / 1024,
      loopP99Ms: loop.percentile(99) / 1e6,
      queues: { ...queueSizes(hub, dbFile), mqttHeard: heard },
    };
    loop.reset();
    samples.push(s);
    const queues = Object.entries(s.queues)
      .filter(([name]) => name !== 'mqttHeard')
      .map(([name, value]) => `${name}=${value}`)
      .join(' ');
    print(
      `soak ${String(Math.round(s.atMs / 1000)).padStart(4)}s heap=${s.heapMb.toFixed(1)}MB rss=${s.rssMb.toFixed(0)}MB loop.p99=${s.loopP99Ms.toFixed(1)}ms readings=${work.readings} utterances=${work.utterances} approvals=${work.approvals} ${queues}`,
    );
  };
  sample();
  await new Promise<void>((resolve) => {
    const sampler = setInterval(sample, options.sampleEveryMs);
    setTimeout(() => {
      clearInterval(sampler);
      resolve();
    }, options.durationMs);
  });
  sample();

  stopping = true;
  for (const timer of timers) clearTimeout(timer);
  await phoneDone;
  await Promise.all(devices.map((device) => device.client?.endAsync()));
  await watcher.endAsync();
  loop.disable();
  await hub.stop();
  await new Promise((resolve) => logStream.end(resolve));

  const report = judge(samples, work, logFile);
  print(
    `soak: ${report.ok ? 'flat' : 'GROWING'}: heap ${report.heapGrowthMb.toFixed(1)} MB after the warm-up (${report.heapSlopeMbPerMin.toFixed(2)} MB/min)${report.growing.length ? `; growing: ${report.growing.join(', ')}` : ''}${report.ok ? '' : `; log ${logFile}`}`,
  );
  if (report.ok && !options.logFile) rmSync(dir, { recursive: true, force: true });
  return report;
}

/** Everything that could pile up, read from the running hub (its private parts, on purpose). */
function queueSizes(hub: Hub, dbFile: string): Record<string, number> {
  const running = (hub as unknown as { running: Record<string, unknown> }).running;
  const field = (object: unknown, name: string): unknown =>
    (object as Record<string, unknown> | undefined)?.[name];
  const size = (value: unknown) => (value instanceof Map || value instanceof Set ? value.size : -1);
  const transport = running.transport;
  const aedes = field(transport, 'aedes') as { connectedClients: number } | undefined;
  const gate = field(transport, 'gate');
  const voice = running.voice;
  const events = running.events as { listenerCount(event: string): number };
  const listeners = ['device.message', 'intent.changed', 'energy.alert', 'phone.revoked', 'order.created']
    .map((name) => events.listenerCount(name as 'device.message'))
    .reduce((a, b) => a + b, 0);
  const pending = (
    hub.db
      .prepare("SELECT COUNT(*) AS n FROM intents WHERE status IN ('requires_approval', 'processing')")
      .get() as {
      n: number;
    }
  ).n;
  let walKb = 0;
  try {
    walKb = Math.round(statSync(`${dbFile}-wal`).size / 1024);
  } catch {
    walKb = 0;
  }
  return {
    clients: aedes?.connectedClients ?? -1,
    settling: size(field(running.settlement, 'inFlight')),
    retrying: size(field(running.settlement, 'retryTimers')),
    sse: size(field(running.sse, 'streams')),
    hermesSessions: size(field(gate, 'sessions')),
    clientsByDevice: size(field(gate, 'clientsByDevice')),
    lastSeen: size(field(running.registry, 'lastSeen')),
    recentAnswers: size(field(field(voice, 'recent'), 'answers')),
    openQuestions: size(field(field(voice, 'questions'), 'questions')),
    listeners,
    pendingIntents: pending,
    walKb,
  };
}

/** Flat or growing: the heap's trend after the warm-up, and each queue's last third against its middle. */
export function judge(samples: Sample[], work: SoakReport['work'], logFile: string): SoakReport {
  const steady = samples.slice(Math.floor(samples.length / 4));
  const n = steady.length;
  const xs = steady.map((s) => s.atMs / 60_000);
  const ys = steady.map((s) => s.heapMb);
  const meanX = xs.reduce((a, b) => a + b, 0) / n;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  const covariance = xs.reduce((sum, x, i) => sum + (x - meanX) * ((ys[i] as number) - meanY), 0);
  const variance = xs.reduce((sum, x) => sum + (x - meanX) ** 2, 0);
  const slope = variance > 0 ? covariance / variance : 0;
  const heapGrowth = (ys.at(-1) ?? 0) - (ys[0] ?? 0);
  const third = Math.max(1, Math.floor(n / 3));
  const middle = steady.slice(third, 2 * third);
  const last = steady.slice(2 * third);
  const growing: string[] = [];
  for (const name of Object.keys(steady[0]?.queues ?? {})) {
    if (name === 'mqttHeard' || name === 'walKb') continue;
    const before = Math.max(...middle.map((s) => s.queues[name] ?? 0));
    const after = Math.max(...last.map((s) => s.queues[name] ?? 0));
    // A queue may breathe; it may not keep climbing.
    if (after > 2 * before + 20) growing.push(`${name} ${before} -> ${after}`);
  }
  const minutes = (steady.at(-1)?.atMs ?? 0) / 60_000;
  // A leak shows as a steady climb; a short run can only bound the total.
  const heapOk = minutes >= 2 ? slope < 3 || heapGrowth < 15 : heapGrowth < 40;
  return {
    samples,
    heapSlopeMbPerMin: slope,
    heapGrowthMb: heapGrowth,
    growing,
    work,
    logFile,
    ok: heapOk && growing.length === 0,
  };
}

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const minutes = option('minutes', 1);
  const report = await runSoak({
    durationMs: minutes * 60_000,
    devices: option('devices', 200),
    readingEveryMs: option('reading-seconds', 5) * 1000,
    utteranceEveryMs: option('utterance-seconds', 30) * 1000,
    sampleEveryMs: minutes > 2 ? 15_000 : 5000,
  });
  process.exit(report.ok ? 0 : 1);
}
