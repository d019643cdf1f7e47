import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WalletAlert } from '../../src/wallet/wallet.js';
import { ManualClock } from '../helpers/clock.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';
import { approve, catFood, paymentOf, placeOrder } from './wallet-helpers.js';

const clock = new ManualClock(Date.parse('2026-11-27T08:00:00.000Z'));
let hub: TestHub;
let phone: TestPhone;
const alerts: WalletAlert[] = [];

function listen(): void {
  hub.hub.events.on(alerts, 'wallet.alert', (alert) => {
    if (alert.kind === 'budget') alerts.push(alert);
  });
}

beforeAll(async () => {
  hub = await startHub({ clock, overrides: { wallet: { budgets: { monthly: { groceries: 50_000 } } } } });
  phone = await pairPhone(hub);
  await fundWallet(hub, phone, 1_000_000);
  listen();
});
afterAll(async () => {
  await hub.stop();
});

/** A pets order of `amount` fen, approved and paid. */
async function spendOnPets(amount: number): Promise<string> {
  const { intent } = placeOrder(hub, [{ ...catFood, unitPrice: amount }]);
  return (await approve(hub, phone, intent)).id;
}

async function petsBudget(month?: string) {
  const response = await hub.api({
    method: 'GET',
    url: `/api/budgets${month ? `?month=${month}` : ''}`,
    token: phone.token,
  });
  return (response.json() as Array<{ category: string }>).find((b) => b.category === 'pets');
}

describe('budgets', () => {
  it('alerts at 80% and at 100% of a monthly budget, each once', async () => {
    const set = await hub.api({ method: 'PUT', url: '/api/budgets/pets', payload: { amount: 10_000 } });
    expect(set.json()).toEqual({
      category: 'pets',
      month: '*',
      amount: 10_000,
      alertPercents: [80, 100],
      origin: 'api',
    });

    await spendOnPets(7000);
    expect(alerts).toEqual([]);
    await spendOnPets(1500); // 85%
    expect(alerts.map((a) => [a.data.month, a.data.percent, a.data.spent])).toEqual([['2026-11', 80, 8500]]);
    expect(alerts[0]?.titleZh).toBe('宠物：2026-11 预算已用 80%（¥85.00 / ¥100.00）');
    await spendOnPets(100); // still between the lines: nothing new
    expect(alerts).toHaveLength(1);
    await spendOnPets(2000); // 106%
    await spendOnPets(3000);
    expect(alerts.map((a) => a.data.percent)).toEqual([80, 100]);

    expect(await petsBudget()).toMatchObject({
      forMonth: '2026-11',
      amount: 10_000,
      spent: 13_600,
      remaining: -3600,
      percentUsed: 136,
      alertsSent: [80, 100],
    });
  });

  it('does not alert again after a restart, and starts over in the next local month', async () => {
    await hub.restart();
    alerts.length = 0;
    listen();
    await spendOnPets(500);
    expect(alerts).toEqual([]);

    // 23:59 on 30 November in Shanghai is still November...
    clock.advance(Date.parse('2026-11-30T15:59:00.000Z') - clock.now());
    await spendOnPets(100);
    expect(alerts).toEqual([]);
    // ...00:30 on 1 December is a new month with a fresh budget.
    clock.advance(Date.parse('2026-11-30T16:30:00.000Z') - clock.now());
    await spendOnPets(8000);
    expect(alerts.map((a) => [a.data.month, a.data.percent])).toEqual([['2026-12', 80]]);
    expect(await petsBudget('2026-12')).toMatchObject({ spent: 8000, alertsSent: [80] });
    expect(await petsBudget('2026-11')).toMatchObject({ spent: 14_200, alertsSent: [80, 100] });
  });

  it('lets one month have its own budget and alert lines, and counts refunds against spending', async () => {
    const own = await hub.api({
      method: 'PUT',
      url: '/api/budgets/pets',
      payload: { amount: 9000, month: '2026-12', alertPercents: [50, 90, 100] },
    });
    expect(own.statusCode).toBe(200);
    // Setting it below what is spent already alerts now: 8000 of 9000 is past 50%, not 90%.
    expect(alerts.map((a) => [a.data.month, a.data.percent])).toEqual([
      ['2026-12', 80],
      ['2026-12', 50],
    ]);
    const paid = await spendOnPets(1000); // 9000 of 9000
    expect(alerts.map((a) => a.data.percent)).toEqual([80, 50, 90, 100]);
    await hub.api({
      method: 'POST',
      url: `/api/transactions/${paymentOf(hub, paid)}/refund`,
      headers: { 'idempotency-key': 'pets-refund' },
      payload: { reason: '退货' },
    });
    expect(await petsBudget('2026-12')).toMatchObject({ amount: 9000, month: '2026-12', spent: 8000 });
    // Every other month still has the every-month budget.
    expect(await petsBudget('2027-01')).toMatchObject({ amount: 10_000, month: '*', spent: 0 });
  });

  it('shows budgets from the config file, and refuses bad input with a code', async () => {
    expect((await hub.api({ method: 'GET', url: '/api/budgets?month=2026-12' })).json()).toContainEqual(
      expect.objectContaining({ category: 'groceries', amount: 50_000, origin: 'config', spent: 0 }),
    );
    for (const payload of [
      { amount: 0 },
      { amount: 10.5 },
      { amount: '100' },
      { amount: 100, month: '2026-13' },
    ]) {
      const bad = await hub.api({ method: 'PUT', url: '/api/budgets/pets', payload });
      expect(bad.statusCode, JSON.stringify(payload)).toBe(400);
      expect(bad.json().error.code).toBe('invalid_request');
    }
    expect(
      (await hub.api({ method: 'PUT', url: '/api/budgets/Pets!', payload: { amount: 1 } })).statusCode,
    ).toBe(400);
    expect(
      (await hub.api({ method: 'PUT', url: '/api/budgets/pets', token: phone.token, payload: { amount: 1 } }))
        .statusCode,
    ).toBe(403);
    expect((await hub.api({ method: 'DELETE', url: '/api/budgets/pets?month=2026-12' })).statusCode).toBe(
      204,
    );
    expect((await hub.api({ method: 'DELETE', url: '/api/budgets/pets?month=2026-12' })).statusCode).toBe(
      404,
    );
  });
});
