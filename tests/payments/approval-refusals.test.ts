import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Intent } from '../../src/payments/intent.js';
import { WALLET_ACCOUNT } from '../../src/wallet/ledger.js';
import { ManualClock } from '../helpers/clock.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { createIntent, decide, fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';

let hub: TestHub;
let phone: TestPhone;
let otherPhone: TestPhone;
const clock = new ManualClock();

beforeAll(async () => {
  hub = await startHub({ clock });
  phone = await pairPhone(hub, 'Alice');
  otherPhone = await pairPhone(hub, 'Bob');
  await fundWallet(hub, phone, 100_000);
});
afterAll(async () => {
  await hub.stop();
});

/** Everything a refusal must leave as it was: the intent row and its events, and the ledger. */
function snapshot(intentId: string) {
  const db = hub.hub.db;
  return {
    intent: db.prepare('SELECT * FROM intents WHERE id = ?').get(intentId),
    events: db.prepare('SELECT count(*) AS n FROM intent_events WHERE intent_id = ?').get(intentId),
    postings: db.prepare('SELECT count(*) AS n, COALESCE(SUM(amount), 0) AS sum FROM ledger_postings').get(),
    holds: db.prepare('SELECT * FROM ledger_holds ORDER BY id').all(),
    wallet: hub.hub.ledger.balance(WALLET_ACCOUNT),
  };
}

async function expectRefused(
  intent: Intent,
  request: () => ReturnType<typeof decide>,
  status: number,
  code: string,
) {
  const before = snapshot(intent.id);
  const response = await request();
  expect({ status: response.statusCode, code: response.json().error?.code }).toEqual({ status, code });
  expect(snapshot(intent.id)).toEqual(before);
}

describe('approving an intent', () => {
  it('pays on a valid approval: processing, then succeeded, the hold posted once', async () => {
    const intent = await createIntent(hub, { amount: 8900 });
    expect(intent).toMatchObject({
      status: 'requires_approval',
      amount: 8900,
      currency: 'CNY',
      fundingSourceId: null,
    });
    expect(hub.hub.ledger.available(WALLET_ACCOUNT)).toBe(100_000 - 8900);

    const response = await decide(hub, phone, intent, 'approve');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: intent.id, status: 'succeeded', decidedBy: phone.phoneId });
    expect(hub.hub.ledger.balance(WALLET_ACCOUNT)).toBe(100_000 - 8900);
    expect(hub.hub.ledger.balance('payee:mi_store')).toBe(8900);
    expect(hub.hub.ledger.held(WALLET_ACCOUNT)).toBe(0);
    const events = hub.hub.intents.repository.events(intent.id).map((e) => e.toStatus);
    expect(events).toEqual(['requires_approval', 'processing', 'succeeded']);
  });

  it('denies on a valid denial and voids the hold', async () => {
    const intent = await createIntent(hub, { amount: 500 });
    const response = await decide(hub, phone, intent, 'deny');
    expect(response.json()).toMatchObject({ status: 'denied' });
    expect(hub.hub.ledger.held(WALLET_ACCOUNT)).toBe(0);
    expect(hub.hub.ledger.transactionsOfIntent(intent.id)).toEqual([]);
  });
});

describe('every refusal leaves the intent and the ledger unchanged', () => {
  it('refuses a signature made with another key', async () => {
    const intent = await createIntent(hub);
    const forged = otherPhone.sign(intent, 'approve', { phoneId: phone.phoneId });
    await expectRefused(intent, () => decide(hub, phone, intent, 'approve', forged), 403, 'bad_signature');
  });

  it('refuses a signature over another amount', async () => {
    const intent = await createIntent(hub, { amount: 8900 });
    const sig = phone.sign(intent, 'approve', { amount: 890 });
    await expectRefused(intent, () => decide(hub, phone, intent, 'approve', sig), 403, 'bad_signature');
  });

  it('refuses a signature over another payee', async () => {
    const intent = await createIntent(hub);
    const sig = phone.sign(intent, 'approve', { payeeId: 'attacker' });
    await expectRefused(intent, () => decide(hub, phone, intent, 'approve', sig), 403, 'bad_signature');
  });

  it('refuses a deny signature used to approve, and one for another intent', async () => {
    const intent = await createIntent(hub);
    const other = await createIntent(hub);
    await expectRefused(
      intent,
      () => decide(hub, phone, intent, 'approve', phone.sign(intent, 'deny')),
      403,
      'bad_signature',
    );
    await expectRefused(
      intent,
      () => decide(hub, phone, intent, 'approve', phone.sign(other, 'approve')),
      403,
      'bad_signature',
    );
  });

  it('refuses garbage signatures of every shape', async () => {
    const intent = await createIntent(hub);
    for (const signature of [
      '',
      'not base64!',
      'AAAA',
      Buffer.alloc(64).toString('base64'),
      'x'.repeat(200),
    ]) {
      const response = await decide(hub, phone, intent, 'approve', signature);
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
    }
    expect(hub.hub.intents.require(intent.id).status).toBe('requires_approval');
  });

  it('refuses a phone signing as another phone, and a phoneId that is not paired', async () => {
    const intent = await createIntent(hub);
    await expectRefused(
      intent,
      () =>
        hub.api({
          method: 'POST',
          url: `/api/intents/${intent.id}/approve`,
          token: otherPhone.token,
          payload: { phoneId: phone.phoneId, signature: phone.sign(intent, 'approve') },
        }),
      403,
      'phone_mismatch',
    );
    await expectRefused(
      intent,
      () =>
        hub.api({
          method: 'POST',
          url: `/api/intents/${intent.id}/approve`,
          payload: { phoneId: 'ph_x', signature: 'AAAA' },
        }),
      403,
      'forbidden',
    );
  });

  it('refuses a revoked phone: its token at once, and its signature even if presented otherwise', async () => {
    const lost = await pairPhone(hub, 'Lost phone');
    const intent = await createIntent(hub);
    expect((await hub.api({ method: 'DELETE', url: `/api/phones/${lost.phoneId}` })).statusCode).toBe(200);
    await expectRefused(intent, () => decide(hub, lost, intent, 'approve'), 401, 'unauthorized');
    expect(hub.hub.phones.get(lost.phoneId)?.revokedAt).not.toBeNull();
  });

  it('refuses a replay of a used approval with challenge_used, and pays once', async () => {
    const intent = await createIntent(hub, { amount: 300 });
    const signature = phone.sign(intent, 'approve');
    expect((await decide(hub, phone, intent, 'approve', signature)).json().status).toBe('succeeded');
    await expectRefused(
      intent,
      () => decide(hub, phone, intent, 'approve', signature),
      409,
      'challenge_used',
    );
    expect(hub.hub.ledger.transactionsOfIntent(intent.id)).toHaveLength(1);
  });

  it('refuses an intent that is no longer pending (canceled)', async () => {
    const intent = await createIntent(hub);
    expect((await hub.api({ method: 'POST', url: `/api/intents/${intent.id}/cancel` })).json().status).toBe(
      'canceled',
    );
    await expectRefused(intent, () => decide(hub, phone, intent, 'approve'), 409, 'intent_not_pending');
  });

  it('refuses an approval after expiresAt, before the sweeper has run', async () => {
    const intent = await createIntent(hub);
    clock.advance(10 * 60_000);
    await expectRefused(intent, () => decide(hub, phone, intent, 'approve'), 410, 'expired');
    expect(hub.hub.intents.expireDue()).toBeGreaterThanOrEqual(1);
    expect(hub.hub.intents.require(intent.id).status).toBe('expired');
    expect(hub.hub.ledger.holdOf(intent.id)?.status).toBe('voided');
  });

  it('refuses an unknown intent with 404', async () => {
    const response = await hub.api({
      method: 'POST',
      url: '/api/intents/pi_nope/approve',
      token: phone.token,
      payload: { phoneId: phone.phoneId, signature: 'AAAA' },
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('intent_not_found');
  });
});
