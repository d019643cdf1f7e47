import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WALLET_ACCOUNT } from '../../src/wallet/ledger.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { createIntent, decide, fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';

let hub: TestHub;
let phones: TestPhone[];
beforeAll(async () => {
  hub = await startHub();
  phones = [await pairPhone(hub, 'Alice'), await pairPhone(hub, 'Bob')];
  await fundWallet(hub, phones[0] as TestPhone, 50_000);
});
afterAll(async () => {
  await hub.stop();
});

describe('concurrent decisions', () => {
  it('lets exactly one of 200 concurrent approvals and denials of the same intent win', async () => {
    const intent = await createIntent(hub, { amount: 1234 });
    const requests = Array.from({ length: 200 }, (_, i) => {
      const phone = phones[i % 2] as TestPhone;
      return decide(hub, phone, intent, i % 3 === 0 ? 'deny' : 'approve');
    });
    const responses = await Promise.all(requests);
    const winners = responses.filter((r) => r.statusCode === 200);
    expect(winners).toHaveLength(1);
    const losers = responses.filter((r) => r.statusCode !== 200).map((r) => r.json().error.code);
    expect(new Set(losers)).toEqual(new Set(['challenge_used']));

    const final = hub.hub.intents.require(intent.id);
    expect(['succeeded', 'denied']).toContain(final.status);
    const transactions = hub.hub.ledger.transactionsOfIntent(intent.id);
    expect(transactions).toHaveLength(final.status === 'succeeded' ? 1 : 0);
    expect(hub.hub.ledger.balance(WALLET_ACCOUNT)).toBe(
      final.status === 'succeeded' ? 50_000 - 1234 : 50_000,
    );
    expect(hub.hub.ledger.held(WALLET_ACCOUNT)).toBe(0);
    const events = hub.hub.intents.repository.events(intent.id).map((e) => e.toStatus);
    expect(events.filter((s) => s === 'processing' || s === 'denied').length).toBe(1);
  });

  it('never lets concurrent intents hold more than the wallet has', async () => {
    const available = hub.hub.ledger.available(WALLET_ACCOUNT);
    const attempts = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        hub.api({
          method: 'POST',
          url: '/api/intents',
          headers: { 'idempotency-key': `race-${i}` },
          payload: { amount: 5000, payee: { id: 'shop', name: 'Shop' }, description: `race ${i}` },
        }),
      ),
    );
    const created = attempts.filter((r) => r.statusCode === 201).length;
    expect(created).toBe(Math.floor(available / 5000));
    expect(
      attempts.filter((r) => r.statusCode === 402).every((r) => r.json().error.code === 'insufficient_funds'),
    ).toBe(true);
    expect(hub.hub.ledger.available(WALLET_ACCOUNT)).toBeGreaterThanOrEqual(0);
  });
});
