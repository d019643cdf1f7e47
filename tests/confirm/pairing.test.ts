import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/clock.js';
import { startHub, type TestHub } from '../helpers/hub.js';

let hub: TestHub;
const clock = new ManualClock();
beforeAll(async () => {
  hub = await startHub({ clock });
});
afterAll(async () => {
  await hub.stop();
});

const publicKey = () => Buffer.from(nacl.sign.keyPair().publicKey).toString('base64');

async function newCode(): Promise<{ code: string; url: string; expiresAt: string }> {
  const response = await hub.api({ method: 'POST', url: '/api/pairing' });
  expect(response.statusCode).toBe(201);
  return response.json();
}

function pair(code: string, key = publicKey()) {
  return hub.api({
    method: 'POST',
    url: '/api/phones',
    token: null,
    payload: { code, name: 'Phone', publicKey: key },
  });
}

describe('pairing a phone', () => {
  it('gives a code and an HTTPS /pair link valid for 10 minutes, with the CA fingerprint to compare', async () => {
    const response = await hub.api({ method: 'POST', url: '/api/pairing' });
    const { code, url, expiresAt, caFingerprint } = response.json();
    expect(code).toMatch(/^[2-9A-HJ-NP-Z]{10}$/);
    expect(url).toBe(`https://127.0.0.1:${hub.hub.httpsPort()}/pair?code=${code}`);
    expect(caFingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(Date.parse(expiresAt) - clock.now()).toBe(10 * 60_000);
  });

  it('pairs once with a code; the token works; the code cannot be used again', async () => {
    const { code } = await newCode();
    const paired = await pair(code);
    expect(paired.statusCode).toBe(201);
    const { phoneId, token } = paired.json();
    expect(phoneId).toMatch(/^ph_/);
    expect((await hub.api({ method: 'GET', url: '/api/wallet', token })).statusCode).toBe(200);
    expect((await pair(code)).json().error.code).toBe('invalid_pairing_code');
    // Only a hash of the token is stored.
    const row = hub.hub.db.prepare('SELECT token_hash FROM phones WHERE id = ?').get(phoneId) as {
      token_hash: string;
    };
    expect(row.token_hash).not.toContain(token);
    expect(JSON.stringify((await hub.api({ method: 'GET', url: '/api/phones' })).json())).not.toContain(
      token,
    );
  });

  it('refuses an expired code', async () => {
    const { code } = await newCode();
    clock.advance(10 * 60_000 + 1);
    const response = await pair(code);
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe('invalid_pairing_code');
  });

  it('locks a code after 5 wrong tries, even the right code afterwards', async () => {
    const { code } = await newCode();
    for (let i = 0; i < 5; i++) expect((await pair('WRONGCODE2')).statusCode).toBe(401);
    expect((await pair(code)).json().error.code).toBe('invalid_pairing_code');
  });

  it('closes the previous code when a new one is made', async () => {
    const first = await newCode();
    const second = await newCode();
    expect((await pair(first.code)).statusCode).toBe(401);
    expect((await pair(second.code)).statusCode).toBe(201);
  });

  it('refuses a public key that is not 32 bytes of base64, without using up the code', async () => {
    const { code } = await newCode();
    for (const key of ['', 'abc', Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64')]) {
      const response = await pair(code, key);
      expect(response.statusCode).toBe(400);
    }
    expect((await pair(code)).statusCode).toBe(201);
  });

  it('revokes a phone: its token is refused at once', async () => {
    const { code } = await newCode();
    const { phoneId, token } = (await pair(code)).json();
    const revoked = await hub.api({ method: 'DELETE', url: `/api/phones/${phoneId}` });
    expect(revoked.json().revokedAt).not.toBeNull();
    expect((await hub.api({ method: 'GET', url: '/api/wallet', token })).statusCode).toBe(401);
    expect((await hub.api({ method: 'DELETE', url: '/api/phones/ph_nope' })).json().error.code).toBe(
      'phone_not_found',
    );
  });

  it('lets only the admin make codes and list or revoke phones', async () => {
    const { code } = await newCode();
    const { token } = (await pair(code)).json();
    expect((await hub.api({ method: 'POST', url: '/api/pairing', token })).statusCode).toBe(403);
    expect((await hub.api({ method: 'GET', url: '/api/phones', token })).statusCode).toBe(403);
  });
});
