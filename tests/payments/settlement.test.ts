import { afterAll, describe, expect, it } from 'vitest';
import type { Intent } from '../../src/payments/intent.js';
import { inTransaction } from '../../src/store/database.js';
import { WALLET_ACCOUNT } from '../../src/wallet/ledger.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { eventually } from '../helpers/mqtt.js';
import { createIntent, decide, fundWallet, pairPhone } from '../helpers/phone.js';

const hubs: TestHub[] = [];
afterAll(async () => {
  for (const hub of hubs) await hub.stop().catch(() => {});
});

async function fundedHub() {
  const hub = await startHub();
  hubs.push(hub);
  const phone = await pairPhone(hub);
  await fundWallet(hub, phone, 10_000);
  return { hub, phone };
}

/** What a crash right after the approval's commit leaves: the intent processing, its challenge used. */
function approveWithoutSettling(hub: TestHub, intent: Intent, phoneId: string): void {
  inTransaction(hub.hub.db, () =>
    hub.hub.intents.repository.transition(
      intent.id,
      'requires_approval',
      'processing',
      new Date().toISOString(),
      {
        decidedBy: phoneId,
        challengeUsed: true,
      },
    ),
  );
}

function providerRecords(hub: TestHub, intentId: string): number {
  return (
    hub.hub.db
      .prepare('SELECT count(*) AS n FROM sandbox_provider_requests WHERE idempotency_key = ?')
      .get(intentId) as {
      n: number;
    }
  ).n;
}

describe('settlement', () => {
  it('settles once after a restart an intent that was approved but never sent to the provider', async () => {
    const { hub, phone } = await fundedHub();
    const intent = await createIntent(hub, { amount: 2500 });
    approveWithoutSettling(hub, intent, phone.phoneId);
    await hub.restart();
    await eventually(() => hub.hub.intents.require(intent.id).status === 'succeeded');
    expect(hub.hub.ledger.transactionsOfIntent(intent.id)).toHaveLength(1);
    expect(providerRecords(hub, intent.id)).toBe(1);
    expect(hub.hub.ledger.balance(WALLET_ACCOUNT)).toBe(10_000 - 2500);
    expect(hub.hub.ledger.held(WALLET_ACCOUNT)).toBe(0);
  });

  it('books once after a restart a payment the provider made but the hub never recorded', async () => {
    const { hub, phone } = await fundedHub();
    const intent = await createIntent(hub, { amount: 1500 });
    approveWithoutSettling(hub, intent, phone.phoneId);
    // The bank did it; the answer was lost in the crash.
    hub.hub.provider.timeOutNextExecute('answer_lost');
    await hub.hub.settlement.settle(intent.id);
    expect(providerRecords(hub, intent.id)).toBe(1);
    expect(hub.hub.intents.require(intent.id)).toMatchObject({
      status: 'processing',
      lastError: 'provider_timeout',
    });
    await hub.restart();
    await eventually(() => hub.hub.intents.require(intent.id).status === 'succeeded');
    expect(providerRecords(hub, intent.id)).toBe(1);
    expect(hub.hub.ledger.transactionsOfIntent(intent.id)).toHaveLength(1);
    expect(hub.hub.ledger.balance(WALLET_ACCOUNT)).toBe(10_000 - 1500);
  });

  it('answers processing when the provider times out, then settles by asking again with the same key', async () => {
    const { hub, phone } = await fundedHub();
    const intent = await createIntent(hub, { amount: 700 });
    hub.hub.provider.timeOutNextExecute('request_lost');
    const response = await decide(hub, phone, intent, 'approve');
    expect(response.json()).toMatchObject({ status: 'processing', lastError: 'provider_timeout' });
    await eventually(() => hub.hub.intents.require(intent.id).status === 'succeeded', 5000);
    expect(hub.hub.intents.require(intent.id).lastError).toBeUndefined();
    expect(hub.hub.ledger.transactionsOfIntent(intent.id)).toHaveLength(1);
    expect(providerRecords(hub, intent.id)).toBe(1);
  });

  it('fails a declined card payment without touching the wallet', async () => {
    const { hub, phone } = await fundedHub();
    const declining = (
      await hub.api({
        method: 'POST',
        url: '/api/funding-sources',
        payload: { kind: 'credit_card', number: '4000000000000002' },
      })
    ).json() as { id: string };
    const intent = await createIntent(hub, { amount: 900, fundingSourceId: declining.id });
    const response = await decide(hub, phone, intent, 'approve');
    expect(response.json()).toMatchObject({ status: 'failed', lastError: 'card_declined' });
    expect(hub.hub.ledger.transactionsOfIntent(intent.id)).toEqual([]);
    expect(hub.hub.ledger.balance(WALLET_ACCOUNT)).toBe(10_000);
  });

  it('expires at start the intents whose time ran out while the hub was down', async () => {
    const hub = await startHub({ overrides: { payments: { intentTtlSeconds: 10 } } });
    hubs.push(hub);
    const phone = await pairPhone(hub);
    await fundWallet(hub, phone, 1000);
    const intent = await createIntent(hub, { amount: 100 });
    await hub.hub.stop();
    // Pretend the hub was down past expiresAt by moving the stored deadline into the past.
    const { default: Database } = await import('better-sqlite3');
    const raw = new Database(`${hub.dataDir}/homepay.db`);
    raw
      .prepare('UPDATE intents SET expires_at = ? WHERE id = ?')
      .run(new Date(Date.now() - 1000).toISOString(), intent.id);
    raw.close();
    await hub.restart();
    expect(hub.hub.intents.require(intent.id).status).toBe('expired');
    expect(hub.hub.ledger.holdOf(intent.id)?.status).toBe('voided');
  });
});
