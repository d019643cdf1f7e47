/**
 * (c) What a fleet costs the hub: N simulated plugs (the simulator's own code and payloads), each
 * reporting once a second, against the compiled hub in its own process; RSS and CPU of that
 * process over a steady window, on a hub restarted after its devices were registered. The
 * baseline is the same fleet, same credentials and same messages, against a bare aedes in its own
 * process (bench/bare-broker.mjs broker).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HubClient } from '../src/cli/hub-client.js';
import { planFleet } from '../src/simulator/fleet-plan.js';
import { FleetRuntime } from '../src/simulator/fleet-runtime.js';
import { registerFleet } from '../src/simulator/registration.js';
import type { SimulatorState, StoredDevice } from '../src/simulator/state-file.js';
import { rssBytes, sampleProcess, startBareProcess, startHubProcess } from './lib/processes.js';

export interface ProcessFigures {
  idleRss: number;
  rssEnd: number;
  rssPeak: number;
  cpuShare: number;
  perSecond: number;
}

export interface FleetResult {
  devices: number;
  clients: number;
  seconds: number;
  hub: ProcessFigures;
  baseline: ProcessFigures;
}

const WARM_UP_MS = 5000;
const FLEET_SEED = 'bench';

async function drive(
  mqttUrl: string,
  pid: number,
  plan: ReturnType<typeof planFleet>,
  devices: ReadonlyMap<string, StoredDevice>,
  seconds: number,
): Promise<ProcessFigures> {
  const idleRss = rssBytes(pid);
  const runtime = new FleetRuntime(
    plan,
    devices,
    {},
    FLEET_SEED,
    {
      mqttUrl,
      // One report a simulated minute at an hour a minute: one message per plug per second.
      speed: 60,
      reportEverySec: 60,
      timeZone: 'Asia/Shanghai',
      orderEveryMin: 1e9,
      firstOrderAfterMs: 1e9,
      connectConcurrency: 16,
    },
    { said() {}, heard() {} },
  );
  try {
    await runtime.connect();
    const refused = runtime.snapshot().refused;
    if (refused.length > 0) throw new Error(`${refused.length} clients could not connect: ${refused[0]}`);
    runtime.start();
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
    const before = runtime.snapshot().published;
    const sample = await sampleProcess(pid, seconds);
    const published = runtime.snapshot().published - before;
    return {
      idleRss,
      rssEnd: sample.rssEnd,
      rssPeak: sample.rssPeak,
      cpuShare: sample.cpuShare,
      perSecond: published / seconds,
    };
  } finally {
    await runtime.stop();
  }
}

export async function benchFleetLoad(
  devicesWanted: number,
  seconds: number,
  options: { profileDir?: string; onStatus?: (text: string) => void } = {},
): Promise<FleetResult> {
  const status = options.onStatus ?? (() => {});
  const plan = planFleet(devicesWanted, FLEET_SEED, false);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'homepay-bench-fleet-'));
  let hubFigures: ProcessFigures;
  let devices: ReadonlyMap<string, StoredDevice>;
  try {
    // Registration first, on a hub of its own: the measured (and profiled) hub is a restart on the
    // same data dir, as a household's hub is long after its devices were added.
    const registering = await startHubProcess({ dataDir });
    try {
      const state: SimulatorState = { version: 1, fleetSeed: FLEET_SEED, devices: {}, counters: {} };
      const api = new HubClient(registering.httpUrl, registering.adminToken);
      const registration = await registerFleet(api, plan, state, (done, total) =>
        status(`registering ${done}/${total}`),
      );
      devices = registration.devices;
    } finally {
      await registering.stop();
    }
    const hub = await startHubProcess({
      dataDir,
      ...(options.profileDir ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', options.profileDir] } : {}),
    });
    try {
      status(`connecting ${plan.clients.length} clients to the hub`);
      hubFigures = await drive(hub.mqttUrl, hub.pid, plan, devices, seconds);
    } finally {
      await hub.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }

  const bare = await startBareProcess('broker');
  let baseline: ProcessFigures;
  try {
    status(`connecting ${plan.clients.length} clients to the bare broker`);
    baseline = await drive(bare.mqttUrl, bare.pid, plan, devices, seconds);
  } finally {
    await bare.stop();
  }
  return { devices: devicesWanted, clients: plan.clients.length, seconds, hub: hubFigures, baseline };
}
