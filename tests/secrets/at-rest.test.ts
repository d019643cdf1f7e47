import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { URI } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataKeys } from '../../src/secrets/data-keys.js';
import { startHub, type TestHub } from '../helpers/hub.js';

let hub: TestHub;
let fundingSourceId: string;
let totpSeed: string;

beforeAll(async () => {
  hub = await startHub();
  const card = await hub.api({
    method: 'POST',
    url: '/api/funding-sources',
    payload: { kind: 'debit_card', number: '6222021234567890128' },
  });
  fundingSourceId = card.json().id;
  const user = await hub.api({
    method: 'POST',
    url: '/api/admin/users',
    payload: { username: 'alice', password: 'correct horse battery staple' },
  });
  totpSeed = URI.parse(user.json().totpUri).secret.base32;
});
afterAll(async () => {
  await hub.stop();
});

/** Every byte the database keeps on disk: the file and its write-ahead log. */
function databaseBytes(): string {
  hub.hub.db.pragma('wal_checkpoint(TRUNCATE)');
  return readdirSync(hub.dataDir)
    .filter((name) => name.startsWith('homepay.db'))
    .map((name) => readFileSync(path.join(hub.dataDir, name)).toString('latin1'))
    .join('');
}

function caKeyBody(): string {
  const keys = DataKeys.load(hub.dataDir);
  return keys.reveal(readFileSync(path.join(hub.dataDir, 'tls', 'ca.key'), 'utf8'));
}

describe('secrets at rest', () => {
  it('keeps no provider token, TOTP seed or card number readable in the database file', () => {
    const token = hub.hub.fundingSources.tokenFor(fundingSourceId);
    expect(token).toMatch(/^tok_/);
    const bytes = databaseBytes();
    expect(bytes).not.toContain(token);
    expect(bytes).not.toContain(totpSeed);
    expect(bytes).not.toContain('6222021234567890128');
    expect(bytes).toContain('hpsec1:');
  });

  it('seals the private keys in the data dir, and keeps the data key in a 0600 file', () => {
    const sealed = readFileSync(path.join(hub.dataDir, 'tls', 'ca.key'), 'utf8');
    expect(sealed).toMatch(/^hpsec1:/);
    expect(sealed).not.toContain('PRIVATE KEY');
    for (const file of ['tls/server.key', 'webhook-signing-key', 'vapid-keys.json']) {
      expect(readFileSync(path.join(hub.dataDir, file), 'utf8'), file).toMatch(/^hpsec1:/);
    }
    expect(readFileSync(path.join(hub.dataDir, 'vapid-keys.json'), 'utf8')).not.toContain('privateKey');
    expect(caKeyBody()).toContain('BEGIN PRIVATE KEY');
    expect(statSync(path.join(hub.dataDir, 'data-key')).mode & 0o777).toBe(0o600);
  });

  it('re-encrypts everything under a new key on rotation; all of it still decrypts, also after a restart', async () => {
    const token = hub.hub.fundingSources.tokenFor(fundingSourceId);
    const before = JSON.parse(readFileSync(path.join(hub.dataDir, 'data-key'), 'utf8')) as {
      current: string;
    };
    const rotated = await hub.api({ method: 'POST', url: '/api/admin/keys/rotate' });
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json()).toMatchObject({ rows: 2, files: 4 });
    const after = JSON.parse(readFileSync(path.join(hub.dataDir, 'data-key'), 'utf8')) as {
      current: string;
      keys: Record<string, string>;
    };
    expect(after.current).not.toBe(before.current);
    expect(Object.keys(after.keys)).toEqual([after.current]);
    // Every sealed value names the new key, and none the old one.
    const bytes = databaseBytes();
    expect(bytes).toContain(`hpsec1:${after.current}:`);
    expect(bytes).not.toContain(`hpsec1:${before.current}:`);
    expect(bytes).not.toContain(token);
    expect(hub.hub.fundingSources.tokenFor(fundingSourceId)).toBe(token);
    await hub.restart();
    expect(hub.hub.fundingSources.tokenFor(fundingSourceId)).toBe(token);
    expect(caKeyBody()).toContain('BEGIN PRIVATE KEY');
    expect((await hub.api({ method: 'GET', url: '/ca.crt', token: null })).statusCode).toBe(200);
  });
});
