/**
 * (b) Voice order latency, as a household sees it: a speaker publishes an utterance and a paired
 * phone's event stream (SSE) shows the intent to approve; the phone posts its signed approval and
 * the answer says the intent succeeded (sandbox provider, no latency). C speakers order at the same
 * moment, round after round. The baseline is the same client against a bare aedes + fastify that
 * answer at once (bench/bare-broker.mjs echo): the floor of MQTT, SSE and HTTP on this machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { HubClient } from '../src/cli/hub-client.js';
import type { Intent } from '../src/payments/intent.js';
import { SimulatedPhone } from '../src/simulator/phone.js';
import { type HubProcess, startBareProcess, startHubProcess } from './lib/processes.js';
import { percentile } from './lib/report.js';

interface Target {
  mqttUrl: string;
  httpUrl: string;
  /** The phone's bearer token (for SSE and approvals). */
  token: string;
  /** The approval body for an intent. */
  decision(intent: Intent): Record<string, unknown>;
}

interface Speaker {
  id: string;
  client: MqttClient;
}

export interface LatencyFigures {
  concurrency: number;
  samples: number;
  notifiedP50: number;
  notifiedP99: number;
  succeededP50: number;
  succeededP99: number;
}

/** Server-sent events from `GET /api/events`, handed over as they arrive. */
async function openEvents(
  target: Target,
  onEvent: (kind: string, data: Record<string, unknown>, at: number) => void,
): Promise<AbortController> {
  const abort = new AbortController();
  const response = await fetch(`${target.httpUrl}/api/events?token=${encodeURIComponent(target.token)}`, {
    signal: abort.signal,
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        const at = performance.now();
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          const kind = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (kind && data) onEvent(kind, JSON.parse(data) as Record<string, unknown>, at);
        }
      }
    } catch {
      // aborted at the end
    }
  })();
  return abort;
}

async function measure(
  target: Target,
  speakers: Speaker[],
  concurrency: number,
  rounds: number,
): Promise<LatencyFigures> {
  const notified: number[] = [];
  const succeeded: number[] = [];
  let waiting = new Map<string, number>();
  let arrived: Intent[] = [];
  let roundDone: () => void = () => {};
  const events = await openEvents(target, (kind, data, at) => {
    if (kind !== 'approval_needed') return;
    const intent = data as unknown as Intent;
    const deviceId = intent.source?.deviceId;
    const sentAt = deviceId ? waiting.get(deviceId) : undefined;
    if (sentAt === undefined || !deviceId) return;
    waiting.delete(deviceId);
    notified.push(at - sentAt);
    arrived.push(intent);
    if (waiting.size === 0) roundDone();
  });
  const group = speakers.slice(0, concurrency);
  try {
    // One warm-up round, not counted.
    for (let round = -1; round < rounds; round++) {
      const before = notified.length;
      waiting = new Map();
      arrived = [];
      const all = new Promise<void>((resolve, reject) => {
        roundDone = resolve;
        setTimeout(
          () => reject(new Error(`round ${round}: ${waiting.size} of ${concurrency} never notified`)),
          20_000,
        );
      });
      for (const speaker of group) {
        waiting.set(speaker.id, performance.now());
        speaker.client.publish(
          `homepay/speaker/${speaker.id}/utterance`,
          JSON.stringify({
            text: '买一盒鸡蛋',
            sessionId: `bench-${speaker.id}-${round}-${Date.now()}`,
            lang: 'zh-CN',
          }),
          { qos: 1 },
        );
      }
      await all;
      const approvals = arrived.map(async (intent) => {
        const startedAt = performance.now();
        const response = await fetch(`${target.httpUrl}/api/intents/${intent.id}/approve`, {
          method: 'POST',
          headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(target.decision(intent)),
        });
        const decided = (await response.json()) as Intent;
        if (decided.status !== 'succeeded')
          throw new Error(`approval ended ${decided.status}: ${JSON.stringify(decided)}`);
        return performance.now() - startedAt;
      });
      const times = await Promise.all(approvals);
      if (round < 0) notified.splice(before);
      else succeeded.push(...times);
    }
  } finally {
    events.abort();
  }
  return {
    concurrency,
    samples: notified.length,
    notifiedP50: percentile(notified, 50),
    notifiedP99: percentile(notified, 99),
    succeededP50: percentile(succeeded, 50),
    succeededP99: percentile(succeeded, 99),
  };
}

function connectSpeaker(url: string, id: string, password: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    username: id,
    password,
    clientId: id,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
}

const HUB_CONFIG = {
  wallet: {
    anomaly: {
      amountSpike: { enabled: false },
      burst: { enabled: false },
      newPayeeAtNight: { enabled: false },
    },
  },
  voice: { policy: { dailyCap: 1_000_000_000 } },
};

/**
 * The hub (compiled, in its own process) set up like a household: a phone, a funded wallet,
 * speakers. The setup runs on a hub of its own; the measured (and profiled) hub is a restart on
 * the same data dir, so a profile shows orders and approvals rather than a hundred scrypt hashes.
 */
async function hubTarget(speakerCount: number, nodeArgs: string[] = []) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'homepay-bench-voice-'));
  const setup: HubProcess = await startHubProcess({ dataDir, config: HUB_CONFIG });
  const credentials: Array<{ id: string; password: string }> = [];
  let phone: SimulatedPhone;
  try {
    const admin = new HubClient(setup.httpUrl, setup.adminToken);
    phone = await SimulatedPhone.connect(admin, undefined);
    await phone.fundTo(100_000_00);
    const queue = Array.from({ length: speakerCount }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          const created = await admin.request<{ id: string; mqtt: { password: string } }>(
            'POST',
            '/api/devices',
            { profile: 'homepay-speaker', name: `Bench speaker ${i}` },
          );
          credentials.push({ id: created.id, password: created.mqtt.password });
        }
      }),
    );
  } finally {
    await setup.stop();
  }
  const hub = await startHubProcess({ dataDir, config: HUB_CONFIG, nodeArgs });
  const speakers: Speaker[] = await Promise.all(
    credentials.map(async ({ id, password }) => ({
      id,
      client: await connectSpeaker(hub.mqttUrl, id, password),
    })),
  );
  const target: Target = {
    mqttUrl: hub.mqttUrl,
    httpUrl: hub.httpUrl,
    token: phone.state.token,
    decision: (intent) => phone.decision(intent),
  };
  return { hub, target, speakers };
}

export interface VoiceResult {
  hub: LatencyFigures[];
  baseline: LatencyFigures[];
}

export async function benchVoiceLatency(
  plan: Array<{ concurrency: number; rounds: number }>,
  options: { profileDir?: string; hubOnly?: boolean } = {},
): Promise<VoiceResult> {
  const most = Math.max(...plan.map((step) => step.concurrency));
  const baseline = options.hubOnly ? [] : await measureBaseline(plan, most);

  const nodeArgs = options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : [];
  const { hub, target, speakers } = await hubTarget(most, nodeArgs);
  const figures: LatencyFigures[] = [];
  try {
    for (const step of plan) figures.push(await measure(target, speakers, step.concurrency, step.rounds));
    await Promise.all(speakers.map((speaker) => speaker.client.endAsync()));
  } finally {
    await hub.stop();
    rmSync(hub.dataDir, { recursive: true, force: true });
  }
  return { hub: figures, baseline };
}

async function measureBaseline(
  plan: Array<{ concurrency: number; rounds: number }>,
  most: number,
): Promise<LatencyFigures[]> {
  const bare = await startBareProcess('echo');
  const baseline: LatencyFigures[] = [];
  try {
    const speakers = await Promise.all(
      Array.from({ length: most }, async (_, i) => {
        const id = `dev_bench${String(i).padStart(12, '0')}`;
        return { id, client: await connectSpeaker(bare.mqttUrl, id, 'unused') };
      }),
    );
    const target: Target = {
      mqttUrl: bare.mqttUrl,
      httpUrl: bare.httpUrl as string,
      token: 'unused',
      decision: (intent) => ({ phoneId: 'ph_bench', signature: intent.id }),
    };
    for (const step of plan) baseline.push(await measure(target, speakers, step.concurrency, step.rounds));
    await Promise.all(speakers.map((speaker) => speaker.client.endAsync()));
  } finally {
    await bare.stop();
  }
  return baseline;
}
