import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDevice, startHub, type TestHub } from '../helpers/hub.js';
import { eventually } from '../helpers/mqtt.js';
import { execFileAsync, mosquittoBinary } from '../helpers/processes.js';

/** Debian's mosquitto_pub / mosquitto_sub against the embedded broker: an independent MQTT stack. */
let hub: TestHub;
let plug: Awaited<ReturnType<typeof addDevice>>;
beforeAll(async () => {
  hub = await startHub();
  plug = await addDevice(hub, { profile: 'tasmota-plug', name: 'Fridge', identity: 'tasmota_8A1F2C' });
});
afterAll(async () => {
  await hub.stop();
});

function pub(args: string[]) {
  return execFileAsync(
    mosquittoBinary('mosquitto_pub'),
    ['-h', '127.0.0.1', '-p', String(hub.mqttPort), '-V', 'mqttv311', ...args],
    {
      timeout: 5000,
    },
  ).then(
    (r) => ({ code: 0, stderr: r.stderr }),
    (err: { code?: number; stderr?: string }) => ({ code: err.code ?? -1, stderr: err.stderr ?? '' }),
  );
}

/** Runs mosquitto_sub for a while and returns its exit code, output and error output. */
function sub(args: string[], waitMs: number, whileRunning?: () => Promise<void>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(mosquittoBinary('mosquitto_sub'), [
      '-h',
      '127.0.0.1',
      '-p',
      String(hub.mqttPort),
      '-V',
      'mqttv311',
      ...args,
    ]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), waitMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (whileRunning) setTimeout(() => void whileRunning(), 300);
  });
}

describe('mosquitto clients against the embedded broker', () => {
  it("publishes a Tasmota SENSOR payload with the device's credentials, and the hub decodes it", async () => {
    const readings: unknown[] = [];
    hub.hub.events.on(readings, 'device.message', (e) => {
      if (e.deviceId === plug.id) readings.push(e.message);
    });
    const result = await pub([
      '-u',
      plug.username,
      '-P',
      plug.password,
      '-q',
      '1',
      '-t',
      'tele/tasmota_8A1F2C/SENSOR',
      '-m',
      '{"Time":"2026-11-27T16:05:00","ENERGY":{"Total":48.372,"Power":36}}',
    ]);
    expect(result.code).toBe(0);
    await eventually(() => readings.length === 1);
    expect(readings[0]).toMatchObject({ energyWh: 48372, powerW: 36 });
    hub.hub.events.removeAllOf(readings);
  });

  it('receives its own command topic with mosquitto_sub', async () => {
    const result = await sub(
      ['-u', plug.username, '-P', plug.password, '-t', 'cmnd/tasmota_8A1F2C/POWER', '-C', '1'],
      4000,
      () => hub.hub.transport.publish('cmnd/tasmota_8A1F2C/POWER', 'ON', { qos: 1 }),
    );
    expect(result.stdout.trim()).toBe('ON');
  });

  it('refuses anonymous and wrong-secret connections', async () => {
    const anonymous = await pub(['-t', 'tele/tasmota_8A1F2C/SENSOR', '-m', '{}']);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/not authori[sz]ed/i);
    const wrong = await pub([
      '-u',
      plug.username,
      '-P',
      'wrong-secret',
      '-t',
      'tele/tasmota_8A1F2C/SENSOR',
      '-m',
      '{}',
    ]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/not authori[sz]ed/i);
  });

  it("does not let the device publish on another device's topic", async () => {
    const other = await addDevice(hub, {
      profile: 'tasmota-plug',
      name: 'Washer',
      identity: 'tasmota_WASHER',
    });
    const seen: string[] = [];
    hub.hub.events.on(seen, 'device.message', (e) => {
      seen.push(e.deviceId);
    });
    await pub([
      '-u',
      plug.username,
      '-P',
      plug.password,
      '-q',
      '1',
      '-t',
      'tele/tasmota_WASHER/SENSOR',
      '-m',
      '{"ENERGY":{"Total":9}}',
    ]);
    await eventually(() =>
      hub.logs.some((l) => l.msg === 'mqtt refused' && l.topic === 'tele/tasmota_WASHER/SENSOR'),
    );
    expect(seen).not.toContain(other.id);
    hub.hub.events.removeAllOf(seen);
  });

  it('does not let the device subscribe to #', async () => {
    const result = await sub(['-u', plug.username, '-P', plug.password, '-t', '#', '-C', '1'], 2500, () =>
      hub.hub.transport.publish('homepay/secret-ish', 'x'),
    );
    expect(result.stdout).toBe('');
    expect(hub.logs.some((l) => l.msg === 'mqtt refused' && l.topic === '#' && l.deviceId === plug.id)).toBe(
      true,
    );
  });
});
