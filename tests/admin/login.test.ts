import { type TOTP, URI } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/clock.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { expectedQrModules, svgQrModules } from '../helpers/qr.js';

let hub: TestHub;
const clock = new ManualClock();
const PASSWORD = 'correct horse battery staple';
let totp: TOTP;
let address = 0;

beforeAll(async () => {
  hub = await startHub({ clock });
  const created = await hub.api({
    method: 'POST',
    url: '/api/admin/users',
    payload: { username: 'alice', password: PASSWORD },
  });
  expect(created.statusCode).toBe(201);
  totp = URI.parse(created.json().totpUri) as TOTP;
});
afterAll(async () => {
  await hub.stop();
});

/** Each call from its own address, so the per-address rate limit stays out of tests that are not about it. */
function login(body: Record<string, string>) {
  return hub.hub.http.inject({
    method: 'POST',
    url: '/api/admin/login',
    payload: body,
    remoteAddress: `127.0.0.${++address}`,
  });
}

/** A fresh code for the next 30-second step (a code works once). */
function nextCode(): string {
  clock.advance(30_000);
  return totp.generate({ timestamp: clock.now() });
}

function cookieOf(response: Awaited<ReturnType<typeof login>>): string {
  const header = response.headers['set-cookie'];
  const value = (Array.isArray(header) ? header[0] : header) as string;
  return value.split(';')[0] as string;
}

describe('admin login with password and TOTP', () => {
  it('returns the TOTP enrolment once, as the otpauth URI and as a QR code of exactly that URI', async () => {
    const created = await hub.api({
      method: 'POST',
      url: '/api/admin/users',
      payload: { username: 'bob', password: PASSWORD },
    });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(Object.keys(body).sort()).toEqual(['qr', 'totpUri', 'username']);
    expect(body.username).toBe('bob');
    expect(body.totpUri).toMatch(/^otpauth:\/\/totp\/homepay:bob\?/);
    expect(body.qr).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(svgQrModules(body.qr)).toEqual(expectedQrModules(body.totpUri));
    // The password never comes back.
    expect(created.body).not.toContain(PASSWORD);
  });

  it('documents the qr field in the OpenAPI response of POST /api/admin/users', async () => {
    const spec = (await hub.hub.http.inject({ method: 'GET', url: '/docs/json' })).json();
    const schema = spec.paths['/api/admin/users'].post.responses['201'].content['application/json'].schema;
    expect(schema.required).toEqual(expect.arrayContaining(['username', 'totpUri', 'qr']));
    expect(schema.properties.qr.type).toBe('string');
  });

  it('logs in with both factors into an HttpOnly, Secure, SameSite=Strict session', async () => {
    const response = await login({ username: 'alice', password: PASSWORD, totp: nextCode() });
    expect(response.statusCode).toBe(200);
    const setCookie = String(response.headers['set-cookie']);
    expect(setCookie).toMatch(/^homepay_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('Secure');
    expect(setCookie).toContain('SameSite=Strict');
    const { csrfToken } = response.json();

    const cookie = cookieOf(response);
    const read = await hub.hub.http.inject({ method: 'GET', url: '/api/devices', headers: { cookie } });
    expect(read.statusCode).toBe(200);
    const change = await hub.hub.http.inject({
      method: 'POST',
      url: '/api/devices',
      headers: { cookie, 'x-csrf-token': csrfToken },
      payload: { profile: 'homepay-meter', name: 'From the browser' },
    });
    expect(change.statusCode).toBe(201);
  });

  it('refuses a state-changing request from the session without the CSRF token', async () => {
    const response = await login({ username: 'alice', password: PASSWORD, totp: nextCode() });
    const cookie = cookieOf(response);
    for (const csrf of [undefined, 'forged']) {
      const change = await hub.hub.http.inject({
        method: 'POST',
        url: '/api/devices',
        headers: { cookie, ...(csrf ? { 'x-csrf-token': csrf } : {}) },
        payload: { profile: 'homepay-meter', name: 'Forged' },
      });
      expect(change.statusCode).toBe(403);
      expect(change.json().error.code).toBe('csrf_failed');
    }
  });

  it('refuses a wrong password, a wrong code, and a replayed code', async () => {
    expect(
      (await login({ username: 'alice', password: 'wrong password!', totp: nextCode() })).json().error.code,
    ).toBe('login_failed');
    expect((await login({ username: 'alice', password: PASSWORD, totp: '000000' })).statusCode).toBe(401);
    const code = nextCode();
    expect((await login({ username: 'alice', password: PASSWORD, totp: code })).statusCode).toBe(200);
    const replay = await login({ username: 'alice', password: PASSWORD, totp: code });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.code).toBe('login_failed');
    expect((await login({ username: 'nobody', password: PASSWORD, totp: nextCode() })).statusCode).toBe(401);
  });

  it('locks the account after 5 failures, even for the right password and code, until the lockout ends', async () => {
    for (let i = 0; i < 5; i++)
      await login({ username: 'alice', password: 'wrong password!', totp: nextCode() });
    const locked = await login({ username: 'alice', password: PASSWORD, totp: nextCode() });
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe('account_locked');
    clock.advance(15 * 60_000);
    expect((await login({ username: 'alice', password: PASSWORD, totp: nextCode() })).statusCode).toBe(200);
  });

  it('locks a username nobody has just like a real one, so the answer does not tell who exists', async () => {
    const answers: string[] = [];
    for (let i = 0; i < 6; i++)
      answers.push(
        (await login({ username: 'mallory', password: 'wrong password!', totp: '000000' })).json().error.code,
      );
    expect(answers).toEqual([...Array(5).fill('login_failed'), 'account_locked']);
    clock.advance(15 * 60_000);
    expect((await login({ username: 'mallory', password: 'x', totp: '000000' })).json().error.code).toBe(
      'login_failed',
    );
  });

  it('checks one login per username at a time, so guesses sent together cannot outrun the lockout', async () => {
    await hub.api({
      method: 'POST',
      url: '/api/admin/users',
      payload: { username: 'bob', password: PASSWORD },
    });
    // Twenty wrong guesses at once, each from its own address (past the per-address limit).
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        login({ username: 'bob', password: `guess ${i}`, totp: '000000' }),
      ),
    );
    const codes = answers.map((answer) => answer.json().error.code).sort();
    expect(codes.filter((code) => code === 'login_failed')).toHaveLength(1);
    expect(codes.filter((code) => code === 'rate_limited')).toHaveLength(19);
    // An unknown username is answered the same way, so the answer tells nothing about who exists.
    const nobody = await Promise.all(
      Array.from({ length: 3 }, () => login({ username: 'nobody', password: 'x', totp: '000000' })),
    );
    expect(nobody.map((answer) => answer.json().error.code).sort()).toEqual([
      'login_failed',
      'rate_limited',
      'rate_limited',
    ]);
    // Each failure counted, none lost: four more lock the account.
    for (let i = 0; i < 4; i++)
      expect((await login({ username: 'bob', password: 'wrong', totp: '000000' })).json().error.code).toBe(
        'login_failed',
      );
    expect((await login({ username: 'bob', password: PASSWORD, totp: nextCode() })).json().error.code).toBe(
      'account_locked',
    );
  });

  it('rate-limits login attempts from one address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const response = await hub.hub.http.inject({
        method: 'POST',
        url: '/api/admin/login',
        // Another unknown name each time: the address's limit, not a name's lockout, is under test.
        payload: { username: `nobody-${i}`, password: 'x', totp: '123456' },
        remoteAddress: '127.9.9.9',
      });
      statuses.push(response.statusCode);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });

  it('ends the session on logout', async () => {
    const response = await login({ username: 'alice', password: PASSWORD, totp: nextCode() });
    const cookie = cookieOf(response);
    const out = await hub.hub.http.inject({
      method: 'POST',
      url: '/api/admin/logout',
      headers: { cookie, 'x-csrf-token': response.json().csrfToken },
    });
    expect(out.statusCode).toBe(204);
    expect(
      (await hub.hub.http.inject({ method: 'GET', url: '/api/devices', headers: { cookie } })).statusCode,
    ).toBe(401);
  });
});
