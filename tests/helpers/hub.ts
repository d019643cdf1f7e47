import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Clock } from '../../src/clock.js';
import { loadSettings } from '../../src/config/load.js';
import type { Settings } from '../../src/config/schema.js';
import { Hub } from '../../src/hub.js';
import { createLogger } from '../../src/logger.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface TestHub {
  hub: Hub;
  settings: Settings;
  dataDir: string;
  adminToken: string;
  mqttPort: number;
  logs: LogLine[];
  /** An HTTP request with the admin token unless `headers.authorization` is given. */
  api(options: InjectOptions & { token?: string | null }): Promise<LightMyRequestResponse>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartHubOptions {
  /** Reuse a data dir (to test restarts); a new temp dir otherwise. */
  dataDir?: string;
  clock?: Clock;
  overrides?: Record<string, unknown>;
}

/**
 * A real hub in this process: embedded aedes and fastify on free ports, SQLite in a temp dir,
 * logs captured as JSON lines so tests can assert what was logged.
 */
export async function startHub(options: StartHubOptions = {}): Promise<TestHub> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'homepay-test-'));
  const ownsDataDir = options.dataDir === undefined;
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as LogLine);
      callback();
    },
  });
  const { settings } = loadSettings({
    cwd: dataDir,
    env: {},
    overrides: deepMerge(
      {
        dataDir,
        logLevel: 'debug',
        mqtt: { port: 0, tlsPort: 0 },
        http: { port: 0, httpsPort: 0 },
        // Anomaly holds depend on the time of day and on what a test created before; tests that
        // are about them turn them on (tests/wallet/anomaly.test.ts), the rest stay deterministic.
        wallet: {
          anomaly: {
            amountSpike: { enabled: false },
            burst: { enabled: false },
            newPayeeAtNight: { enabled: false },
          },
        },
      },
      options.overrides ?? {},
    ),
  });
  let hub = new Hub({
    settings,
    clock: options.clock,
    logger: createLogger({ level: 'debug', destination: sink }),
  });
  await hub.start();
  const adminToken = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();

  const testHub: TestHub = {
    get hub() {
      return hub;
    },
    settings,
    dataDir,
    adminToken,
    get mqttPort() {
      const mqtt = hub.mqtt;
      if (!('port' in mqtt)) throw new Error('the hub uses an external broker');
      return mqtt.port;
    },
    logs,
    api({ token, ...request }) {
      const headers = { ...(request.headers ?? {}) };
      if (token !== null && headers.authorization === undefined) {
        headers.authorization = `Bearer ${token ?? adminToken}`;
      }
      return hub.http.inject({ ...request, headers });
    },
    async restart() {
      await hub.stop();
      hub = new Hub({
        settings,
        clock: options.clock,
        logger: createLogger({ level: 'debug', destination: sink }),
      });
      await hub.start();
    },
    async stop() {
      await hub.stop();
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return testHub;
}

/** Registers a device through the API and returns its id and MQTT credentials. */
export async function addDevice(
  testHub: TestHub,
  body: { profile: string; name: string; identity?: string },
): Promise<{ id: string; identity: string; username: string; password: string }> {
  const response = await testHub.api({ method: 'POST', url: '/api/devices', payload: body });
  if (response.statusCode !== 201) throw new Error(`device add failed: ${response.body}`);
  const created = response.json() as {
    id: string;
    identity: string;
    mqtt: { username: string; password: string };
  };
  return { id: created.id, identity: created.identity, ...created.mqtt };
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const existing = out[key];
    out[key] =
      typeof existing === 'object' && existing && typeof value === 'object' && value && !Array.isArray(value)
        ? deepMerge(existing as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}
