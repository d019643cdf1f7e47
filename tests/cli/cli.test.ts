import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { createIntent } from '../helpers/phone.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await startHub();
});
afterAll(async () => {
  await hub.stop();
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

/** Runs `homepay <args>` against the test hub and returns what it printed. */
async function homepay(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  vi.stubEnv('HOMEPAY_URL', hub.hub.httpUrl());
  vi.stubEnv('HOMEPAY_ADMIN_TOKEN', hub.adminToken);
  vi.stubEnv('HOMEPAY_DATA_DIR', hub.dataDir);
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  await runCli(['node', 'homepay', ...args]);
  vi.restoreAllMocks();
  return { out, err, code: Number(process.exitCode ?? 0) };
}

describe('homepay CLI', () => {
  it('adds a device and prints its credentials once, then lists, rotates and removes it', async () => {
    const added = await homepay(
      'device',
      'add',
      '--profile',
      'tasmota-plug',
      '--name',
      'Fridge',
      '--identity',
      'tasmota_CLI001',
    );
    expect(added.code).toBe(0);
    const id = /as (dev_[0-9a-z]{16})/.exec(added.out)?.[1] as string;
    const password = /MQTT password: (\S+)/.exec(added.out)?.[1] as string;
    expect(id).toBeDefined();
    expect(password.length).toBeGreaterThanOrEqual(24);

    const listed = await homepay('device', 'list');
    expect(listed.out).toContain(id);
    expect(listed.out).toContain('Fridge');
    expect(listed.out).not.toContain(password);

    const rotated = await homepay('device', 'rotate', id);
    const newPassword = /MQTT password: (\S+)/.exec(rotated.out)?.[1];
    expect(newPassword).toBeDefined();
    expect(newPassword).not.toBe(password);

    expect((await homepay('device', 'remove', id)).out).toContain(`Removed Fridge (${id})`);
    expect(hub.hub.registry.get(id)).toBeUndefined();
  });

  it('says what is wrong with a bad request, with the error code and a non-zero exit', async () => {
    const result = await homepay('device', 'add', '--profile', 'toaster', '--name', 'X');
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/Unknown profile "toaster".*\(unknown_profile\)/);
  });

  it('doctor reports the running hub, the broker and a device that never connected, with a fix', async () => {
    await homepay('device', 'add', '--profile', 'homepay-meter', '--name', 'Meter');
    const result = await homepay('doctor');
    expect(result.out).toMatch(/✔ http\s+hub answers/);
    expect(result.out).toMatch(/✔ mqtt\s+broker reachable at 127\.0\.0\.1:\d+/);
    expect(result.out).toMatch(/✘ devices\s+1 of 1 never connected: Meter/);
    expect(result.out).toContain('→ Give each device the MQTT host');
    expect(result.code).toBe(1);
  });

  it('doctor explains how to start the hub when nothing answers', async () => {
    vi.stubEnv('HOMEPAY_HTTP_PORT', '1');
    let out = '';
    vi.stubEnv('HOMEPAY_DATA_DIR', hub.dataDir);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    await runCli(['node', 'homepay', 'doctor']);
    vi.restoreAllMocks();
    expect(out).toMatch(/✘ http\s+Cannot reach the hub/);
    expect(out).toContain('Start the hub with `npm start`');
  });
});

describe('homepay pair and approve', () => {
  it('pairs a key file, then approves an intent with it: the intent succeeds and the wallet pays once', async () => {
    const { mkdtempSync, statSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const keyFile = path.join(mkdtempSync(path.join(tmpdir(), 'homepay-key-')), 'phone.json');
    const paired = await homepay('pair', '--name', 'Script', '--out', keyFile);
    expect(paired.out).toMatch(/Paired as ph_/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    // The wallet is empty: pay by card.
    const card = await hub.api({
      method: 'POST',
      url: '/api/funding-sources',
      payload: { kind: 'debit_card', number: '6222021234567890128' },
    });
    const denyMe = await createIntent(hub, { amount: 1, fundingSourceId: card.json().id });
    const intent = await createIntent(hub, { amount: 4450, fundingSourceId: card.json().id });
    const approved = await homepay('approve', intent.id, '--key', keyFile);
    expect(approved.out).toContain(`${intent.id} is succeeded`);
    expect(hub.hub.ledger.transactionsOfIntent(intent.id)).toHaveLength(1);
    const again = await homepay('approve', intent.id, '--key', keyFile);
    expect(again.err).toContain('(challenge_used)');

    const denied = await homepay('deny', denyMe.id, '--key', keyFile);
    expect(denied.out).toContain(`${denyMe.id} is denied`);
  });
});
