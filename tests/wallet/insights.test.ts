import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/clock.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';
import { approve, placeOrder } from './wallet-helpers.js';

const clock = new ManualClock(Date.parse('2026-08-10T04:00:00.000Z'));
let hub: TestHub;
let phone: TestPhone;

const groceries = {
  sku: 'rice-5kg',
  name: '大米 5kg',
  merchantId: 'hema',
  category: 'groceries',
  quantity: 1,
};

async function buy(category: 'groceries' | 'pets', amount: number, at: string): Promise<void> {
  clock.advance(Date.parse(at) - clock.now());
  const { intent } = placeOrder(hub, [
    { ...groceries, sku: `${category}-item`, category, unitPrice: amount },
  ]);
  await approve(hub, phone, intent);
}

beforeAll(async () => {
  hub = await startHub({ clock });
  phone = await pairPhone(hub);
  await fundWallet(hub, phone, 1_000_000);
  // Groceries of 100.00 yuan in each of August, September and October (Shanghai months).
  await buy('groceries', 6000, '2026-08-12T04:00:00.000Z');
  await buy('groceries', 4000, '2026-08-31T15:30:00.000Z'); // 23:30 local, still August
  await buy('groceries', 10_000, '2026-09-15T04:00:00.000Z');
  await buy('groceries', 10_000, '2026-10-15T04:00:00.000Z');
  // November so far (the 15th, half the month): 70.00 yuan of groceries and a first pets order.
  await buy('groceries', 7000, '2026-11-03T04:00:00.000Z');
  await buy('pets', 4450, '2026-11-10T04:00:00.000Z');
  clock.advance(Date.parse('2026-11-15T04:00:00.000Z') - clock.now());
});
afterAll(async () => {
  await hub.stop();
});

describe('spending insights', () => {
  it('forecasts the running month and says how each category compares with the last three months, in Chinese', async () => {
    const response = await hub.api({ method: 'GET', url: '/api/insights', token: phone.token });
    expect(response.statusCode).toBe(200);
    const insights = response.json();
    expect(insights).toMatchObject({
      month: '2026-11',
      lang: 'zh',
      partial: true,
      spent: 11_450,
      forecast: 22_900,
    });
    // 70.00 over 15 of 30 days: 140.00 expected, 40% above the 100.00 average.
    expect(insights.categories).toEqual([
      {
        category: 'groceries',
        name: '食品杂货',
        spent: 7000,
        forecast: 14_000,
        threeMonthAverage: 10_000,
        changePercent: 40,
      },
      {
        category: 'pets',
        name: '宠物',
        spent: 4450,
        forecast: 8900,
        threeMonthAverage: 0,
        changePercent: null,
      },
    ]);
    expect(insights.observations).toEqual([
      '按目前的速度，本月预计支出 ¥229.00。',
      '食品杂货支出预计比近三个月平均高40%（平均 ¥100.00）。',
      '宠物是近三个月没有的新支出（¥44.50）。',
    ]);
  });

  it('speaks English when asked, and looks back at a finished month without forecasting', async () => {
    const english = (await hub.api({ method: 'GET', url: '/api/insights?lang=en' })).json();
    expect(english.observations).toEqual([
      'At this pace the month will come to ¥229.00.',
      'Groceries are heading 40% above your 3-month average (¥100.00).',
      'Pets is new spending this month (¥44.50).',
    ]);
    // October against July-September: 100.00 against (0 + 100.00 + 100.00) / 3 = 66.66.
    const october = (await hub.api({ method: 'GET', url: '/api/insights?month=2026-10&lang=en' })).json();
    expect(october).toMatchObject({ partial: false, spent: 10_000, forecast: 10_000 });
    expect(october.categories[0]).toMatchObject({
      category: 'groceries',
      threeMonthAverage: 6666,
      changePercent: 50,
    });
    expect(october.observations).toEqual(['Groceries were 50% above your 3-month average (¥66.66).']);
  });

  it('refuses a month that is not YYYY-MM', async () => {
    const response = await hub.api({ method: 'GET', url: '/api/insights?month=2026-1' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_request');
  });
});
