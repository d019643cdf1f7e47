import { connect } from 'node:net';
import { generate, type Packet, parser } from 'mqtt-packet';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LoginCheck, type LoginRefusal, LoginThrottle } from '../../src/broker/login-throttle.js';
import { ManualClock } from '../helpers/clock.js';
import { addDevice, startHub, type TestHub } from '../helpers/hub.js';
import { connectClient, connectClientFrom, eventually } from '../helpers/mqtt.js';

/**
 * Failed MQTT logins are throttled per username and per remote address, so a guest on the Wi-Fi
 * can neither brute-force a device secret nor starve real logins of scrypt time. The hub's clock
 * is a ManualClock: a backoff passes when the test says so. Guests connect from other loopback
 * addresses than the household's devices (127.0.0.1).
 */

const DEFAULTS = {
  failuresPerUsername: 5,
  failuresPerAddress: 20,
  backoffSeconds: 1,
  maxBackoffSeconds: 300,
  forgetAfterSeconds: 900,
  maxChecksInFlight: 256,
};

let hub: TestHub;
const clock = new ManualClock();
beforeAll(async () => {
  hub = await startHub({ clock });
});
afterEach(() => {
  vi.restoreAllMocks();
});
afterAll(async () => {
  await hub.stop();
});

/** Counts the secret checks (registry.authenticate, where scrypt runs) per username. */
function countChecks(): (username: string) => number {
  const spy = vi.spyOn(hub.hub.registry, 'authenticate');
  return (username) => spy.mock.calls.filter(([name]) => name === username).length;
}

async function logIn(from: string, username: string, password: string): Promise<void> {
  const client = await connectClientFrom(from, hub.mqttPort, { username, password });
  await client.endAsync();
}

function throttledLogs(username: string) {
  return hub.logs.filter((line) => line.msg === 'mqtt login throttled' && line.username === username);
}

/** A raw CONNECT from `from`, resolving with the CONNACK return code (or null if none came). */
function rawLogin(from: string, username: string, password: string): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = connect({ port: hub.mqttPort, host: '127.0.0.1', localAddress: from });
    const reader = parser({ protocolVersion: 4 });
    reader.on('packet', (packet: Packet) => {
      if (packet.cmd === 'connack') resolve(packet.returnCode ?? null);
    });
    socket.on('data', (chunk) => reader.parse(chunk));
    socket.on('error', () => resolve(null));
    socket.on('close', () => resolve(null));
    socket.write(
      generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        clientId: `guess-${Math.random().toString(36).slice(2, 10)}`,
        keepalive: 60,
        username,
        password: Buffer.from(password),
      }),
    );
  });
}

describe('failed MQTT logins', () => {
  it("refuses a device's correct secret unchecked while its username backs off, and accepts it once the wait has passed", async () => {
    const meter = await addDevice(hub, { profile: 'homepay-meter', name: 'Guessed meter' });
    const checks = countChecks();
    for (let i = 0; i < 5; i++) {
      await expect(logIn('127.0.0.2', meter.username, `guess-${i}`)).rejects.toThrow(/Not authorized/i);
    }
    expect(checks(meter.username)).toBe(5);
    // The real device, from its own address, during the backoff: refused without a check.
    await expect(logIn('127.0.0.1', meter.username, meter.password)).rejects.toThrow(/Not authorized/i);
    expect(checks(meter.username)).toBe(5);
    expect(throttledLogs(meter.username)).toEqual([
      expect.objectContaining({
        clientId: expect.any(String),
        address: '127.0.0.1',
        limitedBy: 'username',
        retryAfterSeconds: 1,
      }),
    ]);
    clock.advance(1000);
    await logIn('127.0.0.1', meter.username, meter.password);
    expect(checks(meter.username)).toBe(6);
    // No log line carries a password or a guess.
    const logged = JSON.stringify(hub.logs);
    expect(logged).not.toContain(meter.password);
    expect(logged).not.toContain('guess-');
  });

  it('waits twice as long after each further failure, and a correct login starts the count again', async () => {
    const plug = await addDevice(hub, { profile: 'homepay-meter', name: 'Doubling meter' });
    const checks = countChecks();
    for (let i = 0; i < 5; i++) {
      await expect(logIn('127.0.0.2', plug.username, 'wrong')).rejects.toThrow(/Not authorized/i);
    }
    clock.advance(1000);
    // One more guess after the first wait: checked, wrong, and now the wait is 2 s.
    await expect(logIn('127.0.0.2', plug.username, 'wrong')).rejects.toThrow(/Not authorized/i);
    expect(checks(plug.username)).toBe(6);
    clock.advance(1000);
    await expect(logIn('127.0.0.1', plug.username, plug.password)).rejects.toThrow(/Not authorized/i);
    expect(throttledLogs(plug.username).at(-1)).toMatchObject({ retryAfterSeconds: 1 });
    clock.advance(1000);
    await logIn('127.0.0.1', plug.username, plug.password);
    expect(checks(plug.username)).toBe(7);
    // The success forgot the failures: five more wrong secrets are each checked again.
    for (let i = 0; i < 5; i++) {
      await expect(logIn('127.0.0.2', plug.username, 'wrong')).rejects.toThrow(/Not authorized/i);
    }
    expect(checks(plug.username)).toBe(12);
    expect(throttledLogs(plug.username)).toHaveLength(1);
  });

  it('lets a device that already logged in since the start reconnect at once while its id is being guessed', async () => {
    const plug = await addDevice(hub, { profile: 'homepay-meter', name: 'Known meter' });
    await logIn('127.0.0.1', plug.username, plug.password);
    for (let i = 0; i < 7; i++) {
      await expect(logIn('127.0.0.2', plug.username, `guess-${i}`)).rejects.toThrow(/Not authorized/i);
    }
    expect(throttledLogs(plug.username).length).toBeGreaterThan(0);
    // Its own secret matches the digest of its last login (no scrypt): no throttle, no lockout.
    await logIn('127.0.0.1', plug.username, plug.password);
    // Guessing still gets nowhere, and is still throttled.
    const throttled = throttledLogs(plug.username).length;
    await expect(logIn('127.0.0.2', plug.username, 'guess-again')).rejects.toThrow(/Not authorized/i);
    expect(throttledLogs(plug.username)).toHaveLength(throttled + 1);
  });

  it('lets another device log in while one device id is flooded with guesses, and checks only the first few', async () => {
    const target = await addDevice(hub, { profile: 'homepay-meter', name: 'Flooded meter' });
    const newcomer = await addDevice(hub, { profile: 'homepay-meter', name: 'Newcomer' });
    const checks = countChecks();
    // 60 guesses at once from one guest, none of which has failed yet when the rest arrive.
    const guesses = Array.from({ length: 60 }, (_, i) => rawLogin('127.0.0.4', target.username, `g${i}`));
    const legit = await connectClient(hub.mqttPort, {
      username: newcomer.username,
      password: newcomer.password,
    });
    expect(legit.connected).toBe(true);
    await legit.endAsync();
    expect(await Promise.all(guesses)).toEqual(Array(60).fill(5));
    // The flood cost five scrypt checks, not sixty.
    expect(checks(target.username)).toBe(5);
    expect(checks(newcomer.username)).toBe(1);
    expect(throttledLogs(target.username)).toHaveLength(55);
  });

  it('stops an address that fails across many device ids, while those devices still log in from elsewhere', async () => {
    const speaker = await addDevice(hub, { profile: 'homepay-speaker', name: 'Hall' });
    const checks = countChecks();
    for (let i = 0; i < 20; i++) {
      await expect(logIn('127.0.0.3', `dev_unknown${String(i).padStart(9, '0')}`, 'x')).rejects.toThrow(
        /Not authorized/i,
      );
    }
    await expect(logIn('127.0.0.3', speaker.username, speaker.password)).rejects.toThrow(/Not authorized/i);
    expect(checks(speaker.username)).toBe(0);
    expect(throttledLogs(speaker.username)).toEqual([
      expect.objectContaining({ address: '127.0.0.3', limitedBy: 'address', retryAfterSeconds: 1 }),
    ]);
    await logIn('127.0.0.1', speaker.username, speaker.password);
  });
});

describe('secret checks in flight', () => {
  let busy: TestHub;
  beforeAll(async () => {
    busy = await startHub({ overrides: { mqtt: { loginThrottle: { maxChecksInFlight: 1 } } } });
  });
  afterAll(async () => {
    await busy?.stop();
  });

  it('answers server unavailable, without checking, while too many checks are already running', async () => {
    const first = await addDevice(busy, { profile: 'homepay-meter', name: 'First' });
    const second = await addDevice(busy, { profile: 'homepay-meter', name: 'Second' });
    const registry = busy.hub.registry;
    const authenticate = registry.authenticate.bind(registry);
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The first check is held open, as a slow scrypt behind a flood would be.
    const spy = vi.spyOn(registry, 'authenticate').mockImplementationOnce(async (username, password) => {
      await held;
      return authenticate(username, password);
    });
    const firstLogin = connectClient(busy.mqttPort, { username: first.username, password: first.password });
    await eventually(() => spy.mock.calls.length === 1);
    await expect(
      connectClient(busy.mqttPort, { username: second.username, password: second.password }),
    ).rejects.toThrow(/Server unavailable/i);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(busy.logs).toContainEqual(
      expect.objectContaining({ username: second.username, limitedBy: 'busy', retryAfterSeconds: 1 }),
    );
    release();
    await (await firstLogin).endAsync();
    // The refusal was no failure of the second device: it logs in as soon as it retries.
    await (
      await connectClient(busy.mqttPort, { username: second.username, password: second.password })
    ).endAsync();
  });
});

describe('login throttle', () => {
  function fail(throttle: LoginThrottle, username: string, address: string): void {
    const check = throttle.begin(username, address);
    if (!('settle' in check)) throw new Error(`refused: ${check.limitedBy}`);
    check.settle('failed');
  }

  it('doubles the wait with each failure past the threshold, up to the cap', () => {
    const clock = new ManualClock();
    const throttle = new LoginThrottle({ ...DEFAULTS, failuresPerUsername: 2, maxBackoffSeconds: 5 }, clock);
    fail(throttle, 'dev_a', '10.0.0.9');
    fail(throttle, 'dev_a', '10.0.0.9');
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const refusal = throttle.begin('dev_a', '10.0.0.9') as LoginRefusal;
      expect(refusal.limitedBy).toBe('username');
      waits.push(refusal.retryAfterSeconds);
      clock.advance(refusal.retryAfterSeconds * 1000);
      fail(throttle, 'dev_a', '10.0.0.9');
    }
    expect(waits).toEqual([1, 2, 4, 5, 5]);
    // Another username from another address is not held up by it.
    expect('settle' in throttle.begin('dev_b', '10.0.0.8')).toBe(true);
  });

  it('counts checks still running, so a burst sent at once cannot pass the threshold', () => {
    const throttle = new LoginThrottle(DEFAULTS, new ManualClock());
    const running = Array.from({ length: 5 }, () => throttle.begin('dev_a', '10.0.0.9'));
    expect(running.every((check) => 'settle' in check)).toBe(true);
    expect(throttle.begin('dev_a', '10.0.0.9')).toMatchObject({ limitedBy: 'username' });
    for (const check of running) (check as LoginCheck).settle('passed');
    expect('settle' in throttle.begin('dev_a', '10.0.0.9')).toBe(true);
  });

  it('lets a whole household log in at once from one address (a NAT, a hub restart) until that address fails', () => {
    const throttle = new LoginThrottle(DEFAULTS, new ManualClock());
    // 100 devices' first logins at once: far past the 20 failures an address may have.
    const storm = Array.from({ length: 100 }, (_, i) => throttle.begin(`dev_${i}`, '192.168.1.1'));
    expect(storm.every((check) => 'settle' in check)).toBe(true);
    for (const check of storm) (check as LoginCheck).settle('passed');
    // Once the address has failed, checks still running count there too.
    fail(throttle, 'dev_x', '192.168.1.2');
    const burst = Array.from({ length: 40 }, (_, i) => throttle.begin(`dev_guess_${i}`, '192.168.1.2'));
    expect(burst.filter((check) => 'settle' in check)).toHaveLength(19);
    expect(burst.at(-1)).toMatchObject({ limitedBy: 'address' });
  });

  it('keeps a bounded number of records, dropping the oldest, and forgets idle ones', () => {
    const clock = new ManualClock();
    const throttle = new LoginThrottle(DEFAULTS, clock, 100);
    for (let i = 0; i < 4; i++) fail(throttle, 'dev_old', '10.1.0.1');
    // A guest inventing usernames and addresses.
    for (let i = 0; i < 1000; i++) fail(throttle, `dev_${i}`, `10.0.${i >> 8}.${i & 255}`);
    expect(throttle.tracked()).toEqual({ usernames: 100, addresses: 100 });
    // The oldest records went first: dev_old's fifth failure is its first again, so it need not wait.
    fail(throttle, 'dev_old', '10.1.0.1');
    const old = throttle.begin('dev_old', '10.1.0.1');
    expect('settle' in old).toBe(true);
    (old as LoginCheck).settle('errored');
    clock.advance(DEFAULTS.forgetAfterSeconds * 1000);
    const check = throttle.begin('dev_new', '10.9.9.9') as LoginCheck;
    check.settle('errored');
    expect(throttle.tracked()).toEqual({ usernames: 0, addresses: 0 });
  });

  it('forgets the failures of a username and an address when a check passes', () => {
    const throttle = new LoginThrottle(DEFAULTS, new ManualClock());
    for (let i = 0; i < 4; i++) fail(throttle, 'dev_a', '10.0.0.9');
    (throttle.begin('dev_a', '10.0.0.9') as LoginCheck).settle('passed');
    expect(throttle.tracked()).toEqual({ usernames: 0, addresses: 0 });
    for (let i = 0; i < 5; i++) fail(throttle, 'dev_a', '10.0.0.9');
    expect(throttle.begin('dev_a', '10.0.0.9')).toMatchObject({ limitedBy: 'username' });
  });
});
