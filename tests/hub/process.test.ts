import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/paths.js';
import { connectClient } from '../helpers/mqtt.js';

interface Line {
  msg: string;
  [key: string]: unknown;
}

let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
});

/** Starts `src/main.ts` as its own process, as `npm start` does (through tsx instead of a build). */
function startProcess(cwd: string, env: Record<string, string>) {
  const lines: Line[] = [];
  const proc = spawn(
    path.join(projectRoot, 'node_modules/.bin/tsx'),
    [path.join(projectRoot, 'src/main.ts')],
    {
      cwd,
      env: { ...process.env, HOMEPAY_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let buffer = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const part of parts) if (part.startsWith('{')) lines.push(JSON.parse(part) as Line);
  });
  const waitFor = (msg: RegExp, timeoutMs = 15_000) =>
    new Promise<Line>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const poll = () => {
        const found = lines.find((line) => msg.test(line.msg));
        if (found) return resolve(found);
        if (Date.now() > deadline) return reject(new Error(`no log line ${msg} in ${JSON.stringify(lines)}`));
        setTimeout(poll, 25);
      };
      poll();
    });
  return { proc, lines, waitFor };
}

describe('the hub process', () => {
  it('starts on defaults with port 0, writes a 0600 admin token, says online, and stops cleanly on SIGTERM', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'homepay-proc-'));
    const { proc, waitFor } = startProcess(cwd, {
      HOMEPAY_MQTT_PORT: '0',
      HOMEPAY_HTTP_PORT: '0',
      HOMEPAY_HTTPS_PORT: '0',
      HOMEPAY_MQTTS_PORT: '0',
    });
    child = proc;
    const ready = await waitFor(/^homepay is ready/);
    const { http, mqtt } = ready as unknown as { http: string; mqtt: { port: number } };
    expect(mqtt.port).toBeGreaterThan(0);
    expect(ready.msg).toContain(`mqtt on port ${mqtt.port}`);

    const tokenLine = await waitFor(/admin token/);
    expect(tokenLine.file).toBe(path.join(cwd, 'data', 'admin-token'));
    expect(statSync(path.join(cwd, 'data', 'admin-token')).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(tokenLine)).not.toMatch(/hpa_/);

    const health = await fetch(`${http}/api/health`);
    expect(await health.json()).toMatchObject({ status: 'ok', mqtt: { port: mqtt.port } });

    // The broker is up and guarded: an anonymous client is refused.
    await expect(connectClient(mqtt.port)).rejects.toThrow(/Not authorized/i);

    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    await waitFor(/^homepay stopped/);
  });
});
