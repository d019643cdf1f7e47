import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../src/clock.js';
import {
  type ProviderOutcome,
  type ProviderRequest,
  ProviderTimeoutError,
} from '../../src/payments/provider/provider.js';
import {
  SandboxProvider,
  type SandboxProviderOptions,
} from '../../src/payments/provider/sandbox-provider.js';
import { type Db, openDatabase } from '../../src/store/database.js';
import { paymentProviderContract } from '../contracts/payment-provider.js';

const clock: Clock = { now: () => Date.parse('2026-03-01T08:00:00Z') };
const opened: Db[] = [];

function tempDbFile(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'homepay-sandbox-')), 'homepay.db');
}

function sandbox(options: Partial<SandboxProviderOptions> = {}, file = tempDbFile()): SandboxProvider {
  const db = options.db ?? openDatabase(file);
  opened.push(db);
  return new SandboxProvider({ clock, seed: 'contract', ...options, db });
}

function movementsIn(db: Db) {
  return (key: string) =>
    (
      db
        .prepare('SELECT COUNT(*) AS n FROM sandbox_provider_requests WHERE idempotency_key = ?')
        .get(key) as { n: number }
    ).n;
}

afterEach(() => {
  for (const db of opened.splice(0)) if (db.open) db.close();
});

for (const how of ['answer_lost', 'request_lost'] as const) {
  paymentProviderContract(`SandboxProvider (${how.replace('_', ' ')} on timeout)`, async () => {
    const db = openDatabase(tempDbFile());
    const provider = new SandboxProvider({ db, clock, seed: how, declineRate: 0.3, latencyMs: 2 });
    return {
      provider,
      forceTimeout: () => provider.timeOutNextExecute(how),
      movements: movementsIn(db),
      close: () => {
        db.close();
      },
    };
  });
}

function charge(idempotencyKey: string, token?: string): ProviderRequest {
  return {
    idempotencyKey,
    operation: 'charge',
    amount: 2599,
    currency: 'CNY',
    account: token ? { kind: 'funding_source', token } : { kind: 'wallet' },
    payee: { id: 'meituan', name: '美团外卖' },
    description: 'Dinner',
  };
}

type Seen = ProviderOutcome | 'timeout';

async function attempt(provider: SandboxProvider, key: string): Promise<Seen> {
  try {
    return await provider.execute(charge(key));
  } catch (err) {
    if (err instanceof ProviderTimeoutError) return 'timeout';
    throw err;
  }
}

/** Retries a key the way the hub does after a timeout, until the bank answers. */
async function settle(provider: SandboxProvider, key: string): Promise<ProviderOutcome> {
  for (let i = 0; i < 50; i++) {
    const seen = await attempt(provider, key);
    if (seen !== 'timeout') return seen;
  }
  throw new Error(`key ${key} never settled`);
}

const keys = (n: number) => Array.from({ length: n }, (_, i) => `pi_key_${i}`);

describe('SandboxProvider decisions', () => {
  it('makes the same decisions for the same seed, whatever order the keys come in', async () => {
    const options = { seed: 42, declineRate: 0.3, timeoutRate: 0.2 };
    const a = sandbox(options);
    const b = sandbox(options);
    const forward: Seen[] = [];
    for (const key of keys(200)) forward.push(await attempt(a, key));
    const backward: Seen[] = [];
    for (const key of keys(200).reverse()) backward.unshift(await attempt(b, key));
    expect(backward).toEqual(forward);
  });

  it('makes different decisions with a different seed for a good share of keys', async () => {
    const a = sandbox({ seed: 'one', declineRate: 0.5 });
    const b = sandbox({ seed: 'two', declineRate: 0.5 });
    let differ = 0;
    for (const key of keys(200)) {
      const [x, y] = [await settle(a, key), await settle(b, key)];
      if (x.status !== y.status) differ += 1;
    }
    // Two independent coin flips differ half the time.
    expect(differ).toBeGreaterThan(60);
    expect(differ).toBeLessThan(140);
  });

  it('declines and times out at roughly the configured rates over 1000 keys', async () => {
    const provider = sandbox({ seed: 'rates', declineRate: 0.2, timeoutRate: 0.1 });
    let timeouts = 0;
    let doneButLost = 0;
    const reasons = new Map<string, number>();
    for (const key of keys(1000)) {
      if ((await attempt(provider, key)) === 'timeout') {
        timeouts += 1;
        if (await provider.lookup(key)) doneButLost += 1;
      }
      const outcome = await settle(provider, key);
      if (outcome.status === 'declined') reasons.set(outcome.reason, (reasons.get(outcome.reason) ?? 0) + 1);
    }
    const declines = [...reasons.values()].reduce((sum, n) => sum + n, 0);
    expect(declines).toBeGreaterThan(140);
    expect(declines).toBeLessThan(260);
    expect(timeouts).toBeGreaterThan(50);
    expect(timeouts).toBeLessThan(160);
    // Both kinds of timeout happen: the bank did the work, or it never heard of the request.
    expect(doneButLost).toBeGreaterThan(timeouts * 0.2);
    expect(doneButLost).toBeLessThan(timeouts * 0.8);
    expect([...reasons.keys()].sort()).toEqual(['card_declined', 'insufficient_funds']);
  });

  it('never times out or declines with both rates at zero', async () => {
    const provider = sandbox({ seed: 'calm' });
    for (const key of keys(100))
      expect((await attempt(provider, key)) as ProviderOutcome).toMatchObject({ status: 'succeeded' });
  });

  it('keeps every outcome in its books across reopening the database, whatever the new seed says', async () => {
    const file = tempDbFile();
    const before = sandbox({ seed: 'before', declineRate: 0.5 }, file);
    const outcomes = new Map<string, ProviderOutcome>();
    for (const key of keys(50)) outcomes.set(key, await settle(before, key));
    opened.pop()?.close();

    const after = sandbox({ seed: 'after', declineRate: 1 }, file);
    for (const [key, outcome] of outcomes) {
      expect(await after.lookup(key)).toEqual(outcome);
      expect(await after.execute(charge(key))).toEqual(outcome);
    }
    expect(await after.lookup('pi_never_sent')).toBeNull();
  });

  it('books a request once: a retry leaves the first record untouched, even later and after a lost answer', async () => {
    let now = Date.parse('2026-03-01T08:00:00Z');
    const db = openDatabase(tempDbFile());
    opened.push(db);
    const provider = new SandboxProvider({ db, clock: { now: () => now }, seed: 'books' });
    const record = () =>
      db.prepare('SELECT rowid, * FROM sandbox_provider_requests WHERE idempotency_key = ?').get('pi_once');
    provider.timeOutNextExecute('answer_lost');
    await expect(provider.execute(charge('pi_once'))).rejects.toBeInstanceOf(ProviderTimeoutError);
    const first = record();
    expect(first).toMatchObject({
      operation: 'charge',
      amount: 2599,
      currency: 'CNY',
      created_at: '2026-03-01T08:00:00.000Z',
    });
    now += 60_000;
    await provider.execute(charge('pi_once'));
    await provider.execute(charge('pi_once'));
    expect(record()).toEqual(first);
  });

  it('waits latencyMs before answering', async () => {
    vi.useFakeTimers();
    try {
      const provider = sandbox({ latencyMs: 300 });
      let answered = false;
      const pending = provider.execute(charge('pi_slow')).then(() => {
        answered = true;
      });
      await vi.advanceTimersByTimeAsync(299);
      expect(answered).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await pending;
      expect(answered).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses rates outside 0..1 and amounts that are not whole fen', async () => {
    expect(() => sandbox({ declineRate: 1.5 })).toThrow(RangeError);
    expect(() => sandbox({ timeoutRate: -0.1 })).toThrow(RangeError);
    const provider = sandbox();
    await expect(provider.execute({ ...charge('pi_float'), amount: 25.99 })).rejects.toThrow(RangeError);
    await expect(provider.lookup('pi_float')).resolves.toBeNull();
  });
});

describe('SandboxProvider test cards', () => {
  it('always declines a card ending 0002 as card_declined, even with no decline rate', async () => {
    const provider = sandbox({ declineRate: 0 });
    const { token } = await provider.tokenizeCard({ number: '6222 0200 0005 0002' });
    for (const key of keys(20)) {
      expect(await provider.execute(charge(`${key}_a`, token))).toEqual({
        status: 'declined',
        reason: 'card_declined',
      });
    }
  });

  it('always declines a card ending 9995 as insufficient_funds', async () => {
    const provider = sandbox();
    const { token } = await provider.tokenizeCard({ number: '4000000000009995' });
    expect(await provider.execute(charge('pi_nsf', token))).toEqual({
      status: 'declined',
      reason: 'insufficient_funds',
    });
  });

  it('always approves a card ending 4242, even when everything else declines', async () => {
    const provider = sandbox({ declineRate: 1 });
    const { token } = await provider.tokenizeCard({ number: '4242-4242-4242-4242' });
    expect(await provider.execute(charge('pi_ok', token))).toMatchObject({ status: 'succeeded' });
    expect(await provider.execute(charge('pi_wallet'))).toMatchObject({ status: 'declined' });
  });

  it('gives card tokens as tok_ and account tokens as acct_', async () => {
    const provider = sandbox();
    expect((await provider.tokenizeCard({ number: '6225880000000001' })).token).toMatch(/^tok_[0-9a-f]{20}$/);
    expect((await provider.linkAccount('alipay', '13812345678')).token).toMatch(/^acct_[0-9a-f]{20}$/);
    await expect(provider.linkAccount('wechat_pay', '  ')).rejects.toMatchObject({ code: 'invalid_account' });
  });
});
