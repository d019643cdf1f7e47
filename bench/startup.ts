/**
 * (d) Start to ready: from spawning `node dist/src/main.js` (what `npm start` runs after building)
 * to the first answer of `GET /api/health`. Cold is a new process on an empty data dir (database,
 * admin token, keys and the hub's CA are all created); a restart is a new process on that data dir.
 * The baseline is a new process that only starts aedes and fastify and listens (bench/bare-broker.mjs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBareProcess, startHubProcess } from './lib/processes.js';
import { median } from './lib/report.js';

export interface StartupResult {
  coldMs: number;
  restartMs: number;
  baselineMs: number;
  runs: number;
}

export async function benchStartup(
  runs: number,
  options: { profileDir?: string } = {},
): Promise<StartupResult> {
  const cold: number[] = [];
  const restart: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < runs; i++) {
    const bare = await startBareProcess('startup');
    baseline.push(bare.readyMs);
    await bare.stop();

    const hub = await startHubProcess();
    cold.push(hub.readyMs);
    await hub.stop();

    const dataDir = mkdtempSync(path.join(tmpdir(), 'homepay-bench-restart-'));
    try {
      await (await startHubProcess({ dataDir })).stop();
      const again = await startHubProcess({ dataDir });
      restart.push(again.readyMs);
      await again.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  if (options.profileDir) {
    const profiled = await startHubProcess({
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir', options.profileDir],
    });
    await profiled.stop();
  }
  return { coldMs: median(cold), restartMs: median(restart), baselineMs: median(baseline), runs };
}
