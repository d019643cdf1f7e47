import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WALLET_ACCOUNT } from '../../src/wallet/ledger.js';
import { ManualClock } from '../helpers/clock.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';
import { pay } from './wallet-helpers.js';

const clock = new ManualClock(Date.parse('2026-11-27T08:00:00.000Z'));
let hub: TestHub;
let phone: TestPhone;

beforeAll(async () => {
  hub = await startHub({ clock });
  phone = await pairPhone(hub);
  await fundWallet(hub, phone, 100_000);
});
afterAll(async () => {
  await hub.stop();
});

const wallet = () => hub.hub.ledger.balance(WALLET_ACCOUNT);

describe('savings goals', () => {
  let goalId: string;

  it('creates a goal with a target and a date, and says how much a month it still needs', async () => {
    const response = await hub.api({
      method: 'POST',
      url: '/api/goals',
      token: phone.token,
      payload: { name: '五一去云南', target: 100_000, targetDate: '2027-05-01', roundUpTo: 1000 },
    });
    expect(response.statusCode).toBe(201);
    // November to May: seven months, counting this one; 1000.00 yuan / 7, rounded up.
    expect(response.json()).toMatchObject({
      saved: 0,
      percent: 0,
      monthlyNeeded: 14_286,
      reached: false,
      status: 'active',
    });
    goalId = response.json().id;
    expect(goalId).toMatch(/^goal_/);
  });

  it('is funded by transfers from the wallet, booked in the ledger, and shows progress', async () => {
    const before = wallet();
    const response = await hub.api({
      method: 'POST',
      url: `/api/goals/${goalId}/transfers`,
      token: phone.token,
      payload: { amount: 30_000 },
    });
    expect(response.json()).toMatchObject({ saved: 30_000, percent: 30, monthlyNeeded: 10_000 });
    expect(wallet()).toBe(before - 30_000);
    const records = (await hub.api({ method: 'GET', url: '/api/transactions?kind=transfer' })).json()
      .transactions;
    expect(records).toEqual([
      expect.objectContaining({
        kind: 'transfer',
        amount: 30_000,
        direction: 'internal',
        category: 'savings',
      }),
    ]);

    // Neither the wallet nor the goal can go below zero.
    const tooMuch = await hub.api({
      method: 'POST',
      url: `/api/goals/${goalId}/transfers`,
      payload: { amount: 1_000_000 },
    });
    expect(tooMuch.statusCode).toBe(402);
    expect(tooMuch.json().error.code).toBe('insufficient_funds');
    const overdraw = await hub.api({
      method: 'POST',
      url: `/api/goals/${goalId}/transfers`,
      payload: { amount: 30_001, direction: 'out' },
    });
    expect(overdraw.json().error.code).toBe('insufficient_funds');
    expect(hub.hub.wallet.goals.require(goalId).saved).toBe(30_000);
  });

  it('rounds each payment up to the next multiple and saves the difference, once per payment', async () => {
    const before = wallet();
    const paid = await pay(hub, phone, { amount: 8_950 });
    expect(hub.hub.wallet.goals.require(goalId).saved).toBe(30_050);
    expect(wallet()).toBe(before - 8_950 - 50);
    // Already round: nothing to save. Asked again for the same payment: nothing more.
    const round = await pay(hub, phone, { amount: 9_000 });
    expect(hub.hub.wallet.goals.roundUp(round)).toBe(0);
    expect(hub.hub.wallet.goals.roundUp(paid)).toBe(0);
    expect(hub.hub.wallet.goals.require(goalId).saved).toBe(30_050);
  });

  it('skips a round-up when the wallet is short, and gives the savings back when the goal is closed', async () => {
    expect(wallet()).toBe(52_000);
    await hub.api({ method: 'POST', url: `/api/goals/${goalId}/transfers`, payload: { amount: 1 } });
    await pay(hub, phone, { amount: 50_999 }); // rounds up by 0.01, leaving 9.99 yuan
    expect(hub.hub.wallet.goals.require(goalId).saved).toBe(30_052);
    expect(wallet()).toBe(999);
    await pay(hub, phone, { amount: 998 }); // the round-up (0.02) is more than the 0.01 left
    expect(wallet()).toBe(1);
    expect(hub.hub.wallet.goals.require(goalId).saved).toBe(30_052);

    const closed = await hub.api({ method: 'DELETE', url: `/api/goals/${goalId}`, token: phone.token });
    expect(closed.json()).toMatchObject({ status: 'closed', saved: 0 });
    expect(wallet()).toBe(30_053);
    const list = (await hub.api({ method: 'GET', url: '/api/goals' })).json();
    expect(list).toEqual([expect.objectContaining({ id: goalId, status: 'closed' })]);
  });

  it('refuses bad input with a code', async () => {
    for (const payload of [
      { name: 'x', target: 0, targetDate: '2027-01-01' },
      { name: 'x', target: 100, targetDate: '2027-13-45' },
      { name: 'x', target: 100.5, targetDate: '2027-01-01' },
      { name: '', target: 100, targetDate: '2027-01-01' },
    ]) {
      const response = await hub.api({ method: 'POST', url: '/api/goals', payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().error.code).toBe('invalid_request');
    }
    expect((await hub.api({ method: 'GET', url: '/api/goals/goal_missing' })).json().error.code).toBe(
      'goal_not_found',
    );
  });
});
