import { type TOTP, URI } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/clock.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { SoftAuthenticator } from '../web/soft-authenticator.js';

/**
 * A security key (WebAuthn, user verification required) as the second factor of a person's admin
 * login instead of the TOTP code. Assertions come from a software authenticator that builds the
 * bytes a browser and key would (tests/web/soft-authenticator.ts).
 */

const ORIGIN = 'http://localhost:8080';
const PASSWORD = 'correct horse battery staple';

let hub: TestHub;
const clock = new ManualClock();
const codes = new Map<string, TOTP>();
let address = 0;

interface Session {
  cookie: string;
  csrf: string;
}

/** Each call from its own address, so the per-address rate limit stays out of tests not about it. */
function post(url: string, payload: unknown, remoteAddress = `127.1.0.${++address % 250}`) {
  return hub.hub.http.inject({
    method: 'POST',
    url,
    payload: payload as Record<string, unknown>,
    headers: { origin: ORIGIN },
    remoteAddress,
  });
}

async function createPerson(username: string): Promise<void> {
  const created = await hub.api({
    method: 'POST',
    url: '/api/admin/users',
    payload: { username, password: PASSWORD },
  });
  expect(created.statusCode, created.body).toBe(201);
  codes.set(username, URI.parse(created.json().totpUri) as TOTP);
}

function sessionOf(response: Awaited<ReturnType<typeof post>>): Session {
  const header = response.headers['set-cookie'];
  const cookie = ((Array.isArray(header) ? header[0] : header) as string).split(';')[0] as string;
  return { cookie, csrf: response.json().csrfToken };
}

/** Signs in the way every person can: password and a fresh TOTP code. */
async function signInWithCode(username: string): Promise<Session> {
  clock.advance(30_000);
  const totp = (codes.get(username) as TOTP).generate({ timestamp: clock.now() });
  const response = await post('/api/admin/login', { username, password: PASSWORD, totp });
  expect(response.statusCode, response.body).toBe(200);
  return sessionOf(response);
}

function asPerson(session: Session, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) {
  return hub.hub.http.inject({
    method,
    url,
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, origin: ORIGIN },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

async function registerKey(session: Session, name = 'YubiKey 5C'): Promise<SoftAuthenticator> {
  const key = new SoftAuthenticator(ORIGIN);
  const options = await asPerson(session, 'POST', '/api/admin/security-keys/registration-options');
  expect(options.statusCode, options.body).toBe(200);
  const created = await asPerson(session, 'POST', '/api/admin/security-keys', {
    response: key.register(options.json()),
    name,
  });
  expect(created.statusCode, created.body).toBe(201);
  return key;
}

/** The first half of a key login: the password, then the challenge. */
async function challenge(username: string, password = PASSWORD): Promise<string> {
  const response = await post('/api/admin/login/security-key', { username, password });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().challenge;
}

function loginWithKey(username: string, webauthn: unknown, password = PASSWORD) {
  return post('/api/admin/login', { username, password, webauthn });
}

/**
 * The login refuses with the one answer every failure gets, and the hub's log says why (the reason
 * is for the owner of the hub, never for the client).
 */
async function refused(attempt: () => Promise<Awaited<ReturnType<typeof post>>>, reason: RegExp) {
  const mark = hub.logs.length;
  const response = await attempt();
  expect(response.statusCode, response.body).toBe(401);
  expect(response.json()).toMatchObject({ error: { code: 'login_failed' } });
  const why = hub.logs.slice(mark).filter((line) => line.msg === 'security key login refused');
  expect(why.map((line) => String(line.err))).toEqual([expect.stringMatching(reason)]);
}

let alice: SoftAuthenticator;

/**
 * After refusals, Alice's key still signs her in (which also clears her failure count, so the
 * refusals of one test do not add up to a lockout in the next).
 */
async function aliceStillSignsIn(): Promise<void> {
  const response = await loginWithKey('alice', alice.assert(await challenge('alice')));
  expect(response.statusCode, response.body).toBe(200);
}

beforeAll(async () => {
  hub = await startHub({ clock });
  for (const name of ['alice', 'bob', 'carol', 'dave']) await createPerson(name);
  alice = await registerKey(await signInWithCode('alice'));
});
afterAll(async () => {
  await hub.stop();
});

describe('registering a security key for your own login', () => {
  it('asks for user verification, excludes the keys you already have, and lists keys without their public key', async () => {
    const session = await signInWithCode('alice');
    const options = await asPerson(session, 'POST', '/api/admin/security-keys/registration-options');
    expect(options.json()).toMatchObject({
      rp: { id: 'localhost', name: 'homepay' },
      user: { name: 'alice' },
      authenticatorSelection: { userVerification: 'required' },
      excludeCredentials: [{ id: alice.id }],
    });
    const listed = await asPerson(session, 'GET', '/api/admin/security-keys');
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toEqual([
      {
        id: alice.id,
        name: 'YubiKey 5C',
        rpId: 'localhost',
        origin: ORIGIN,
        createdAt: expect.any(String),
        lastUsedAt: null,
      },
    ]);
    expect(listed.body).not.toMatch(/publicKey|public_key|counter/);
  });

  it('is for a person: the admin token has no keys of its own', async () => {
    for (const [method, url] of [
      ['POST', '/api/admin/security-keys/registration-options'],
      ['GET', '/api/admin/security-keys'],
    ] as const) {
      const response = await hub.api({ method, url, headers: { origin: ORIGIN } });
      expect(response.statusCode).toBe(403);
    }
  });

  it('refuses an answer with no ceremony started, one without user verification, and the same key twice', async () => {
    const session = await signInWithCode('carol');
    const unasked = await asPerson(session, 'POST', '/api/admin/security-keys', {
      response: new SoftAuthenticator(ORIGIN).register({ challenge: 'made-up' }),
    });
    expect(unasked.json()).toMatchObject({ error: { code: 'webauthn_registration_failed' } });

    const options = await asPerson(session, 'POST', '/api/admin/security-keys/registration-options');
    const noUv = await asPerson(session, 'POST', '/api/admin/security-keys', {
      response: new SoftAuthenticator(ORIGIN).register(options.json(), { userVerified: false }),
    });
    expect(noUv.statusCode).toBe(400);
    expect(noUv.json()).toMatchObject({ error: { code: 'webauthn_registration_failed' } });

    const again = await asPerson(session, 'POST', '/api/admin/security-keys/registration-options');
    const twice = await asPerson(session, 'POST', '/api/admin/security-keys', {
      response: alice.register(again.json()),
    });
    expect(twice.json()).toMatchObject({ error: { code: 'webauthn_registration_failed' } });
    expect((await asPerson(session, 'GET', '/api/admin/security-keys')).json()).toEqual([]);
  });
});

describe('signing in with password and security key', () => {
  it('signs in with the assertion into the same HttpOnly session as the code gives, and notes the key was used', async () => {
    const response = await loginWithKey('alice', alice.assert(await challenge('alice')));
    expect(response.statusCode, response.body).toBe(200);
    expect(String(response.headers['set-cookie'])).toMatch(/^homepay_session=[A-Za-z0-9_-]{43};.*HttpOnly/);
    const session = sessionOf(response);
    const [key] = (await asPerson(session, 'GET', '/api/admin/security-keys')).json();
    expect(key.lastUsedAt).toBe(new Date(clock.now()).toISOString());
    // A TOTP code still works after a key login, and the other way round.
    await signInWithCode('alice');
    expect((await loginWithKey('alice', alice.assert(await challenge('alice')))).statusCode).toBe(200);
  });

  it('issues a challenge only once the password checks out: a wrong password and an unknown user look the same', async () => {
    const wrong = await post('/api/admin/login/security-key', {
      username: 'alice',
      password: 'wrong password!',
    });
    const nobody = await post('/api/admin/login/security-key', { username: 'nobody', password: PASSWORD });
    expect(wrong.statusCode).toBe(401);
    expect(nobody.statusCode).toBe(401);
    expect(wrong.json()).toEqual(nobody.json());
    expect(wrong.json()).toMatchObject({ error: { code: 'login_failed' } });
    // Only someone with the password learns that this login has no key.
    const keyless = await post('/api/admin/login/security-key', { username: 'dave', password: PASSWORD });
    expect(keyless.statusCode).toBe(409);
    expect(keyless.json()).toMatchObject({ error: { code: 'no_security_key' } });
  });

  it('names only that person’s keys in the challenge, and asks for user verification', async () => {
    const response = await post('/api/admin/login/security-key', { username: 'alice', password: PASSWORD });
    expect(response.json()).toMatchObject({
      rpId: 'localhost',
      userVerification: 'required',
      allowCredentials: [{ id: alice.id, type: 'public-key' }],
    });
  });

  it('refuses a replayed challenge: a used one, an older one, and one spent by a failed try', async () => {
    const used = await challenge('alice');
    expect((await loginWithKey('alice', alice.assert(used))).statusCode).toBe(200);
    // The same challenge signed again, with a counter that moved on: the challenge is spent.
    await refused(() => loginWithKey('alice', alice.assert(used)), /no login challenge is open/);

    const older = await challenge('alice');
    await challenge('alice');
    await refused(() => loginWithKey('alice', alice.assert(older)), /challenge/i);
    await aliceStillSignsIn();

    const tried = await challenge('alice');
    const bad = alice.assert(tried);
    await refused(
      () => loginWithKey('alice', { ...bad, response: { ...bad.response, signature: 'AAAA' } }),
      /ECDSASigValue|signature/i,
    );
    await refused(() => loginWithKey('alice', alice.assert(tried)), /no login challenge is open/);
    await aliceStillSignsIn();
  });

  it('refuses an expired challenge (two minutes)', async () => {
    const late = await challenge('alice');
    clock.advance(2 * 60_000 + 1);
    await refused(() => loginWithKey('alice', alice.assert(late)), /expired/);
    await aliceStillSignsIn();
  });

  it('refuses another person’s key and an unknown key', async () => {
    const bobsKey = await registerKey(await signInWithCode('bob'), 'Bob’s key');
    // Bob's key answering Alice's challenge.
    await refused(
      async () => loginWithKey('alice', bobsKey.assert(await challenge('alice'))),
      /not one of this login’s security keys/,
    );
    await refused(
      async () => loginWithKey('alice', new SoftAuthenticator(ORIGIN).assert(await challenge('alice'))),
      /not one of this login’s security keys/,
    );
    // Bob's own challenge works with his key.
    expect((await loginWithKey('bob', bobsKey.assert(await challenge('bob')))).statusCode).toBe(200);
    await aliceStillSignsIn();
  });

  it('refuses the right key with the wrong password, without looking at the key', async () => {
    const open = await challenge('alice');
    const wrong = await loginWithKey('alice', alice.assert(open), 'wrong password!');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: { code: 'login_failed' } });
    // The challenge was not spent by someone without the password.
    expect((await loginWithKey('alice', alice.assert(open))).statusCode).toBe(200);
  });

  it('refuses a signature counter that went backwards (a cloned key), no user verification, another origin', async () => {
    await refused(
      async () => loginWithKey('alice', alice.assert(await challenge('alice'), { counter: 1 })),
      /counter/i,
    );
    await refused(
      async () => loginWithKey('alice', alice.assert(await challenge('alice'), { userVerified: false })),
      /user verification|verified/i,
    );
    await refused(
      async () =>
        loginWithKey('alice', alice.assert(await challenge('alice'), { origin: 'https://evil.example' })),
      /origin/i,
    );
    await aliceStillSignsIn();
  });

  it('wants exactly one second factor', async () => {
    const both = await post('/api/admin/login', {
      username: 'alice',
      password: PASSWORD,
      totp: '123456',
      webauthn: alice.assert('x'),
    });
    expect(both.statusCode).toBe(400);
    const neither = await post('/api/admin/login', { username: 'alice', password: PASSWORD });
    expect(neither.statusCode).toBe(400);
  });

  it('counts failed key logins towards the same lockout as codes, and locks the key out too', async () => {
    const session = await signInWithCode('carol');
    const carol = await registerKey(session);
    for (let i = 0; i < 5; i++) {
      const response = await loginWithKey(
        'carol',
        carol.assert(await challenge('carol'), { userVerified: false }),
      );
      expect(response.statusCode).toBe(401);
    }
    const locked = await post('/api/admin/login/security-key', { username: 'carol', password: PASSWORD });
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ error: { code: 'account_locked' } });
    clock.advance(15 * 60_000);
    expect((await loginWithKey('carol', carol.assert(await challenge('carol')))).statusCode).toBe(200);
  });

  it('draws the challenge and the login from one per-address rate limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      // Other unknown names each time: the address's limit, not a name's lockout, is under test.
      const asked = await post(
        '/api/admin/login/security-key',
        { username: `nobody-${i}`, password: 'x' },
        '127.8.8.8',
      );
      const tried = await post(
        '/api/admin/login',
        { username: `nobody-else-${i}`, password: 'x', webauthn: alice.assert('x') },
        '127.8.8.8',
      );
      statuses.push(asked.statusCode, tried.statusCode);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });
});

describe('removing a security key', () => {
  it('forgets the key, after which it no longer signs in; another person cannot remove it', async () => {
    const session = await signInWithCode('dave');
    const key = await registerKey(session, 'Laptop fingerprint');
    const bobs = await signInWithCode('bob');
    const notTheirs = await asPerson(bobs, 'DELETE', `/api/admin/security-keys/${key.id}`);
    expect(notTheirs.statusCode).toBe(404);
    expect(notTheirs.json()).toMatchObject({ error: { code: 'credential_not_found' } });

    const removed = await asPerson(session, 'DELETE', `/api/admin/security-keys/${key.id}`);
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toMatchObject({ id: key.id, name: 'Laptop fingerprint' });
    expect((await asPerson(session, 'GET', '/api/admin/security-keys')).json()).toEqual([]);
    const keyless = await post('/api/admin/login/security-key', { username: 'dave', password: PASSWORD });
    expect(keyless.json()).toMatchObject({ error: { code: 'no_security_key' } });
    expect((await loginWithKey('dave', key.assert('anything'))).statusCode).toBe(401);
  });

  it('needs the CSRF token to remove a key, like every change', async () => {
    const session = await signInWithCode('bob');
    const [key] = (await asPerson(session, 'GET', '/api/admin/security-keys')).json();
    const forged = await hub.hub.http.inject({
      method: 'DELETE',
      url: `/api/admin/security-keys/${key.id}`,
      headers: { cookie: session.cookie },
    });
    expect(forged.statusCode).toBe(403);
    expect(forged.json()).toMatchObject({ error: { code: 'csrf_failed' } });
  });

  it('never logged a password, a session cookie or key material', () => {
    const logged = JSON.stringify(hub.logs);
    expect(logged).not.toContain(PASSWORD);
    expect(logged).not.toContain('homepay_session=');
  });
});
