import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerErrorHandling } from '../../src/api/errors.js';
import { requireBearer } from '../../src/api/plugins/auth.js';
import { fundingSourceRoutes } from '../../src/api/routes/funding-sources/index.js';
import type { Clock } from '../../src/clock.js';
import { SandboxProvider } from '../../src/payments/provider/sandbox-provider.js';
import { type Db, openDatabase } from '../../src/store/database.js';
import { type FundingSourceChange, FundingSources } from '../../src/wallet/funding-sources.js';

const clock: Clock = { now: () => Date.parse('2026-03-01T08:00:00Z') };
const CMB_CARD = '6225880000000001';

let file: string;
let db: Db;
let changes: FundingSourceChange[];
let sources: FundingSources;

beforeEach(() => {
  file = path.join(mkdtempSync(path.join(tmpdir(), 'homepay-fs-')), 'homepay.db');
  db = openDatabase(file);
  changes = [];
  const provider = new SandboxProvider({ db, clock, seed: 'funding' });
  sources = new FundingSources({ db, provider, clock, onChange: (change) => changes.push(change) });
});

afterEach(() => {
  if (db.open) db.close();
});

/** Every byte SQLite wrote: the main file and, if still there, the write-ahead log. */
function rawDatabaseBytes(): string {
  const parts = [file, `${file}-wal`]
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f).toString('latin1'));
  return parts.join('');
}

describe('adding a card', () => {
  it('keeps only the provider token, the last four digits and the bank: the number is nowhere in the file', async () => {
    const added = await sources.add({ kind: 'debit_card', number: '6225 8800 0000 0001', holder: '李雷' });
    expect(added).toEqual({
      id: expect.stringMatching(/^fs_[0-9a-z]{16}$/),
      kind: 'debit_card',
      bank: { code: 'CMB', name: '招商银行', nameEn: 'China Merchants Bank' },
      last4: '0001',
      holder: '李雷',
      status: 'active',
      createdAt: '2026-03-01T08:00:00.000Z',
    });
    expect(JSON.stringify(added)).not.toMatch(/tok_/);
    expect(sources.tokenFor(added.id)).toMatch(/^tok_/);

    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const bytes = rawDatabaseBytes();
    expect(bytes).toContain('0001');
    expect(bytes).not.toContain(CMB_CARD);
    expect(bytes).not.toContain('6225 8800 0000 0001');
    expect(bytes).not.toContain(CMB_CARD.slice(0, 12));
  });

  it('names no bank for a card whose issuer it does not know, but keeps its last four', async () => {
    const added = await sources.add({ kind: 'credit_card', number: '4111-1111-1111-1111' });
    expect(added).not.toHaveProperty('bank');
    expect(added.last4).toBe('1111');
  });

  it('refuses a number that fails the Luhn check with invalid_card_number, without repeating it', async () => {
    const attempt = sources.add({ kind: 'debit_card', number: '6225880000000002' });
    await expect(attempt).rejects.toMatchObject({ code: 'invalid_card_number' });
    await expect(attempt).rejects.not.toThrow(/6225880000000002/);
    await expect(sources.add({ kind: 'debit_card', number: '1234' })).rejects.toMatchObject({
      code: 'invalid_card_number',
    });
    expect(sources.list()).toEqual([]);
  });

  it('refuses a card without a number, or with an account instead', async () => {
    await expect(sources.add({ kind: 'credit_card' })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(
      sources.add({ kind: 'debit_card', number: CMB_CARD, account: '13812345678' }),
    ).rejects.toMatchObject({
      code: 'invalid_request',
    });
  });
});

describe('adding an Alipay or WeChat Pay account', () => {
  it('stores a phone number masked as 138****5678', async () => {
    const added = await sources.add({ kind: 'alipay', account: '+86 138-1234-5678' });
    expect(added).toMatchObject({ kind: 'alipay', account: '138****5678', status: 'active' });
    expect(added).not.toHaveProperty('last4');
    db.close();
    expect(rawDatabaseBytes()).not.toContain('13812345678');
  });

  it('stores an email masked as a***@example.com', async () => {
    const added = await sources.add({ kind: 'wechat_pay', account: 'Alice@Example.com' });
    expect(added.account).toBe('a***@example.com');
    expect(sources.tokenFor(added.id)).toMatch(/^acct_/);
  });

  it('refuses an account that is neither a mobile number nor an email', async () => {
    for (const account of ['12345', 'alice', '23812345678', 'a@b']) {
      await expect(sources.add({ kind: 'alipay', account })).rejects.toMatchObject({
        code: 'invalid_account',
      });
    }
    await expect(sources.add({ kind: 'alipay' })).rejects.toMatchObject({ code: 'invalid_request' });
  });
});

describe('freezing, releasing and removing', () => {
  it('freezes a source so it cannot pay, and releases it again', async () => {
    const { id } = await sources.add({ kind: 'debit_card', number: CMB_CARD });
    expect(sources.freeze(id, 'transaction tx_1 reported as suspicious').status).toBe('frozen');
    expect(sources.require(id).status).toBe('frozen');
    expect(() => sources.tokenFor(id)).toThrow(expect.objectContaining({ code: 'funding_source_frozen' }));
    expect(sources.list().map((s) => s.id)).toContain(id);

    expect(sources.release(id).status).toBe('active');
    expect(sources.tokenFor(id)).toMatch(/^tok_/);
    expect(changes).toEqual([
      { id, from: 'active', to: 'frozen', reason: 'transaction tx_1 reported as suspicious' },
      { id, from: 'frozen', to: 'active' },
    ]);
  });

  it('treats freezing a frozen source and releasing an active one as no change', async () => {
    const { id } = await sources.add({ kind: 'alipay', account: '13812345678' });
    sources.release(id);
    sources.freeze(id, 'first report');
    sources.freeze(id, 'second report');
    expect(changes).toHaveLength(1);
  });

  it('keeps a removed source for history but no longer lists it or lets it pay', async () => {
    const kept = await sources.add({ kind: 'debit_card', number: CMB_CARD });
    const gone = await sources.add({ kind: 'alipay', account: '13812345678' });
    expect(sources.remove(gone.id).status).toBe('removed');
    expect(sources.list().map((s) => s.id)).toEqual([kept.id]);
    expect(sources.get(gone.id)?.status).toBe('removed');
    expect(() => sources.tokenFor(gone.id)).toThrow(
      expect.objectContaining({ code: 'funding_source_removed' }),
    );
    expect(() => sources.release(gone.id)).toThrow(
      expect.objectContaining({ code: 'funding_source_removed' }),
    );
    expect(() => sources.freeze(gone.id, 'late report')).toThrow(
      expect.objectContaining({ code: 'funding_source_removed' }),
    );
  });

  it('answers an unknown id with funding_source_not_found', () => {
    expect(sources.get('fs_nope')).toBeUndefined();
    expect(() => sources.require('fs_nope')).toThrow(
      expect.objectContaining({ code: 'funding_source_not_found' }),
    );
    expect(() => sources.tokenFor('fs_nope')).toThrow(
      expect.objectContaining({ code: 'funding_source_not_found' }),
    );
  });
});

describe('funding sources over HTTP', () => {
  let app: FastifyInstance;
  const admin = { authorization: 'Bearer admin-token' };
  const phone = { authorization: 'Bearer phone-token' };

  beforeEach(async () => {
    app = Fastify({
      ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    }).withTypeProvider<TypeBoxTypeProvider>();
    registerErrorHandling(app);
    await app.register(async (authenticated) => {
      requireBearer(authenticated, [
        (token) => (token === 'admin-token' ? { kind: 'admin' } : null),
        (token) => (token === 'phone-token' ? { kind: 'phone', phoneId: 'ph_1' } : null),
      ]);
      await authenticated.register(fundingSourceRoutes, { services: { fundingSources: sources } });
    });
    await app.ready();
  });

  afterEach(async () => {
    await app.close();
  });

  it('adds a card with 201 and answers with the public shape only', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/funding-sources',
      headers: admin,
      payload: { kind: 'debit_card', number: '6222 0200 0005 0002', holder: 'Li Lei' },
    });
    expect(response.statusCode).toBe(201);
    expect(Object.keys(response.json()).sort()).toEqual([
      'bank',
      'createdAt',
      'holder',
      'id',
      'kind',
      'last4',
      'status',
    ]);
    expect(response.json()).toMatchObject({ bank: { code: 'ICBC' }, last4: '0002', status: 'active' });
    expect(response.body).not.toMatch(/tok_|6222020000050002/);
  });

  it('lists sources for the admin and a phone, and shows one by id', async () => {
    const added = await sources.add({ kind: 'alipay', account: '13812345678' });
    for (const headers of [admin, phone]) {
      const listed = await app.inject({ method: 'GET', url: '/api/funding-sources', headers });
      expect(listed.statusCode).toBe(200);
      expect(listed.json()).toEqual([expect.objectContaining({ id: added.id, account: '138****5678' })]);
      expect(listed.body).not.toContain('acct_');
    }
    const one = await app.inject({ method: 'GET', url: `/api/funding-sources/${added.id}`, headers: phone });
    expect(one.json()).toMatchObject({ id: added.id, kind: 'alipay' });
  });

  it('lets only the admin add, remove or release', async () => {
    const added = await sources.add({ kind: 'alipay', account: '13812345678' });
    const attempts = [
      {
        method: 'POST' as const,
        url: '/api/funding-sources',
        payload: { kind: 'alipay', account: '13912345678' },
      },
      { method: 'DELETE' as const, url: `/api/funding-sources/${added.id}` },
      { method: 'POST' as const, url: `/api/funding-sources/${added.id}/release` },
    ];
    for (const attempt of attempts) {
      const response = await app.inject({ ...attempt, headers: phone });
      expect(response.statusCode).toBe(403);
    }
    const anonymous = await app.inject({ method: 'GET', url: '/api/funding-sources' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('releases a frozen source and removes one', async () => {
    const added = await sources.add({ kind: 'debit_card', number: CMB_CARD });
    sources.freeze(added.id, 'reported');
    const released = await app.inject({
      method: 'POST',
      url: `/api/funding-sources/${added.id}/release`,
      headers: admin,
    });
    expect(released.json()).toMatchObject({ id: added.id, status: 'active' });
    const removed = await app.inject({
      method: 'DELETE',
      url: `/api/funding-sources/${added.id}`,
      headers: admin,
    });
    expect(removed.json()).toMatchObject({ id: added.id, status: 'removed' });
    const listed = await app.inject({ method: 'GET', url: '/api/funding-sources', headers: admin });
    expect(listed.json()).toEqual([]);
  });

  it('answers mistakes with catalogue codes', async () => {
    const cases: Array<[object, number, string]> = [
      [{ kind: 'debit_card', number: '6225880000000002' }, 400, 'invalid_card_number'],
      [{ kind: 'alipay', account: 'not an account' }, 400, 'invalid_account'],
      [{ kind: 'paypal', account: 'a@example.com' }, 400, 'invalid_request'],
      [{ kind: 'debit_card', number: CMB_CARD, cvv: '123' }, 400, 'invalid_request'],
    ];
    for (const [payload, status, code] of cases) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/funding-sources',
        headers: admin,
        payload,
      });
      expect(response.statusCode, JSON.stringify(payload)).toBe(status);
      expect(response.json().error.code).toBe(code);
      expect(response.body).not.toContain('6225880000000002');
    }
    const missing = await app.inject({ method: 'GET', url: '/api/funding-sources/fs_nope', headers: admin });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('funding_source_not_found');
  });
});
