import { describe, expect, it } from 'vitest';
import { type PricedSegment, priceInterval, spread } from '../../src/energy/interval-pricing.js';
import type { Tariff } from '../../src/energy/tariff.js';
import { cycleOf, fen, inlineTariff, kWh, local, tariffs } from './helpers.js';

/** Prices an interval with the home already at `usedKWh` in the interval's cycle. */
function price(tariff: Tariff, from: string, to: string, energyKWh: number, usedKWh = 0, startDay = 1) {
  return priceInterval(
    tariff,
    cycleOf(tariff, startDay),
    { startMs: local(from), endMs: local(to), energyMwh: kWh(energyKWh) },
    () => kWh(usedKWh),
  );
}

const total = (segments: PricedSegment[]) => segments.reduce((sum, s) => sum + s.cost, 0n);
const parts = (segments: PricedSegment[]) =>
  segments.flatMap((s) =>
    s.parts.map((p) => ({ tier: p.tier, band: p.band, mWh: p.energyMwh, rate: p.rate })),
  );

describe('pricing an interval', () => {
  it('flat: 1.5 kWh at 55.8 fen/kWh costs 83.7 fen', () => {
    expect(total(price(tariffs.flat, '2026-11-27 10:00', '2026-11-27 11:30', 1.5))).toBe(fen('83.7'));
  });

  it('time of use: 2 kWh from 21:00 to 23:00 is 1 kWh peak (56.8) and 1 kWh valley (28.8): 85.6 fen', () => {
    const segments = price(tariffs.zhejiangTou, '2026-11-27 21:00', '2026-11-27 23:00', 2);
    expect(total(segments)).toBe(fen('85.6'));
    expect(parts(segments)).toEqual([
      { tier: 1, band: '峰', mWh: 1_000_000, rate: 568_000 },
      { tier: 1, band: '谷', mWh: 1_000_000, rate: 288_000 },
    ]);
  });

  it('tiered: 1 kWh with the home at 239.5 kWh is half tier 1 (48.83) and half tier 2 (53.83): 51.33 fen', () => {
    const segments = price(tariffs.beijing, '2026-11-27 10:00', '2026-11-27 11:00', 1, 239.5);
    expect(total(segments)).toBe(fen('51.33'));
    expect(parts(segments).map((p) => [p.tier, p.mWh])).toEqual([
      [1, 500_000],
      [2, 500_000],
    ]);
  });

  it('tiered: a flat base plus surcharges, 10 kWh across 4800 kWh in Zhejiang is 5 x 58.8 + 5 x 83.8', () => {
    const segments = price(tariffs.zhejiang, '2026-11-27 10:00', '2026-11-27 12:00', 10, 4795);
    expect(total(segments)).toBe(fen('713'));
  });

  it('crosses a band boundary and a tier boundary in one interval (Zhejiang peak/valley, 2760 kWh)', () => {
    // 2 kWh from 21:30 to 22:30 with the home at 2759.5 kWh this year:
    //   21:30-22:00 peak,   1 kWh: 0.5 kWh tier 1 at 56.8 = 28.4, 0.5 kWh tier 2 at 61.8 = 30.9
    //   22:00-22:30 valley, 1 kWh: tier 2 at 28.8 + 5 = 33.8
    const segments = price(tariffs.zhejiangTou, '2026-11-27 21:30', '2026-11-27 22:30', 2, 2759.5);
    expect(parts(segments)).toEqual([
      { tier: 1, band: '峰', mWh: 500_000, rate: 568_000 },
      { tier: 2, band: '峰', mWh: 500_000, rate: 618_000 },
      { tier: 2, band: '谷', mWh: 1_000_000, rate: 338_000 },
    ]);
    expect(total(segments)).toBe(fen('93.1'));
  });

  it('a cycle that crosses a season keeps the tier limits of its first month but the bands of each day', () => {
    // Cycle from 15 June (summer: 260 kWh) to 14 July. On 1 July 11:00-12:00 the band is 尖峰 (July),
    // and the home crosses 260 kWh: 0.5 kWh at 125.1625 + 0.5 kWh at 130.1625 = 127.6625 fen.
    const segments = price(tariffs.guangdong, '2026-07-01 11:00', '2026-07-01 12:00', 1, 259.5, 15);
    expect(segments[0]?.cycle).toBe('2026-06-15');
    expect(parts(segments)).toEqual([
      { tier: 1, band: '尖峰', mWh: 500_000, rate: 1_251_625 },
      { tier: 2, band: '尖峰', mWh: 500_000, rate: 1_301_625 },
    ]);
    expect(total(segments)).toBe(fen('127.6625'));
  });

  it('a cycle from October into November counts to the summer 260 kWh, the next one to 200', () => {
    // 10 November 12:00-13:00 (平, 58.9), cycle from 15 October: 10 kWh below 260 and 10 above.
    const inOctoberCycle = price(tariffs.guangdong, '2026-11-10 12:00', '2026-11-10 13:00', 20, 250, 15);
    expect(total(inOctoberCycle)).toBe(fen('1228'));
    // The same hour a cycle later (from 15 November, non-summer): all 20 kWh are above 200.
    const inNovemberCycle = price(tariffs.guangdong, '2026-11-20 12:00', '2026-11-20 13:00', 20, 250, 15);
    expect(total(inNovemberCycle)).toBe(fen('1278'));
  });

  it('a month that crosses a season changes band prices at midnight: 30 June 23:00 to 1 July 12:00', () => {
    // 13 hours, 13 kWh evenly: June 23:00-24:00 平 58.9; July 00:00-08:00 谷 22.382 (8 kWh);
    // 08:00-10:00 平 (2 kWh); 10:00-11:00 峰 100.13; 11:00-12:00 尖峰 125.1625 (July only).
    const segments = price(tariffs.guangdong, '2026-06-30 23:00', '2026-07-01 12:00', 13);
    const expected = 58.9 + 8 * 22.382 + 2 * 58.9 + 100.13 + 125.1625;
    expect(total(segments)).toBe(fen(expected.toFixed(4)));
    expect(segments.map((s) => s.date.day)).toEqual([30, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('spreads a gap evenly: 3 kWh over three days puts 1 kWh in each local day', () => {
    const segments = price(tariffs.flat, '2026-11-27 00:00', '2026-11-30 00:00', 3);
    const byDay = new Map<number, number>();
    for (const s of segments) byDay.set(s.date.day, (byDay.get(s.date.day) ?? 0) + s.energyMwh);
    expect([...byDay]).toEqual([
      [27, 1_000_000],
      [28, 1_000_000],
      [29, 1_000_000],
    ]);
    expect(segments).toHaveLength(72);
  });

  it('cuts at local midnight, which is 16:00 UTC in China', () => {
    const segments = price(tariffs.flat, '2026-11-27 23:30', '2026-11-28 00:30', 1);
    expect(segments.map((s) => new Date(s.startMs).toISOString())).toEqual([
      '2026-11-27T15:30:00.000Z',
      '2026-11-27T16:00:00.000Z',
    ]);
  });

  it('an interval spanning a cycle boundary counts each part against its own cycle', () => {
    const used = new Map([
      ['2026-10-01', kWh(399)],
      ['2026-11-01', 0],
    ]);
    const segments = priceInterval(
      tariffs.beijing,
      cycleOf(tariffs.beijing),
      { startMs: local('2026-10-31 23:00'), endMs: local('2026-11-01 01:00'), energyMwh: kWh(4) },
      (cycle) => used.get(cycle) ?? 0,
    );
    // October: 2 kWh, 1 in tier 2 (to 400) and 1 in tier 3. November: 2 kWh in tier 1.
    expect(total(segments)).toBe(fen((53.83 + 78.83 + 2 * 48.83).toFixed(2)));
  });
});

describe('a tariff in a zone with daylight saving time', () => {
  it('cuts at the real local midnight and band change on the day clocks go forward (Berlin, 29 March)', () => {
    const tariff = inlineTariff({
      timezone: 'Europe/Berlin',
      currency: 'EUR',
      timeOfUse: [
        {
          bands: [
            { name: 'night', price: 20, hours: ['22:00-06:00'] },
            { name: 'day', price: 40, hours: ['06:00-22:00'] },
          ],
        },
      ],
    });
    // 22:00 on the 28th (UTC+1) to 07:00 on the 29th (UTC+2) is 8 real hours, 8 kWh evenly.
    const segments = priceInterval(
      tariff,
      cycleOf(tariff),
      {
        startMs: Date.parse('2026-03-28T21:00:00Z'),
        endMs: Date.parse('2026-03-29T05:00:00Z'),
        energyMwh: kWh(8),
      },
      () => 0,
    );
    const byDay = new Map<number, number>();
    for (const segment of segments)
      byDay.set(segment.date.day, (byDay.get(segment.date.day) ?? 0) + segment.energyMwh);
    expect([...byDay]).toEqual([
      [28, kWh(2)],
      [29, kWh(6)],
    ]);
    // Night until 06:00 local (04:00 UTC): 7 kWh at 20; day from 06:00 to 07:00: 1 kWh at 40.
    expect(total(segments)).toBe(fen('180'));
  });
});

describe('spreading energy over pieces', () => {
  it('gives whole mWh that sum to the total exactly, each run of pieces within one mWh of its share', () => {
    expect(spread(10, [1, 1, 1])).toEqual([3, 3, 4]);
    expect(spread(7, [3, 0, 1])).toEqual([5, 0, 2]);
    expect(spread(1_000_001, [1_800_000, 1_800_000])).toEqual([500_000, 500_001]);
  });
});
