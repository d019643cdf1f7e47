import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bandAt, tierBlocksFor } from '../../src/energy/tariff.js';
import { loadTariff, parseTariff, TariffError, tariffsDir } from '../../src/energy/tariff-file.js';
import { tariffs } from './helpers.js';

function problemsOf(body: Record<string, unknown>): string[] {
  try {
    parseTariff({ name: 'x', currency: 'CNY', timezone: 'Asia/Shanghai', source: 'test', ...body }, 'x');
  } catch (err) {
    if (err instanceof TariffError) return err.problems;
    throw err;
  }
  return [];
}

describe('tariff files', () => {
  it('every shipped tariff loads, in CNY and China time, and says where its figures come from', () => {
    const files = readdirSync(tariffsDir).filter((file) => file.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      const tariff = loadTariff(file.replace('.yaml', ''));
      expect(tariff.currency).toBe('CNY');
      expect(tariff.timezone).toBe('Asia/Shanghai');
      expect(tariff.source.length).toBeGreaterThan(40);
    }
  });

  it('reads Beijing as monthly blocks of 240 and 400 kWh at 48.83, 53.83 and 78.83 fen/kWh', () => {
    expect(tariffs.beijing.tiers?.cycle).toBe('month');
    expect(tierBlocksFor(tariffs.beijing, 11)).toEqual([
      { upToMwh: 240_000_000, rate: 488_300, absolute: true },
      { upToMwh: 400_000_000, rate: 538_300, absolute: true },
      { upToMwh: null, rate: 788_300, absolute: true },
    ]);
  });

  it('reads Zhejiang as yearly blocks of 2760 and 4800 kWh adding 5 and 30 fen to 53.8', () => {
    expect(tariffs.zhejiang.base).toEqual({ kind: 'flat', band: { name: 'flat', rate: 538_000 } });
    expect(tariffs.zhejiang.tiers).toMatchObject({ cycle: 'year', startMonth: 1 });
    expect(tierBlocksFor(tariffs.zhejiang, 6).map((block) => [block.upToMwh, block.rate])).toEqual([
      [2_760_000_000, 0],
      [4_800_000_000, 50_000],
      [null, 300_000],
    ]);
  });

  it('reads the Guangdong-style bands by season: 11:00 is 峰 in June and 尖峰 in July', () => {
    expect(bandAt(tariffs.guangdong, 6, 11 * 60)).toEqual({ name: '峰', rate: 1_001_300 });
    expect(bandAt(tariffs.guangdong, 7, 11 * 60)).toEqual({ name: '尖峰', rate: 1_251_625 });
    expect(bandAt(tariffs.guangdong, 7, 3 * 60)).toEqual({ name: '谷', rate: 223_820 });
    expect(tierBlocksFor(tariffs.guangdong, 5)[0]?.upToMwh).toBe(260_000_000);
    expect(tierBlocksFor(tariffs.guangdong, 11)[0]?.upToMwh).toBe(200_000_000);
  });

  it('lets a band wrap past midnight (Zhejiang valley 22:00-08:00)', () => {
    expect(bandAt(tariffs.zhejiangTou, 1, 23 * 60)?.name).toBe('谷');
    expect(bandAt(tariffs.zhejiangTou, 1, 7 * 60 + 59)?.name).toBe('谷');
    expect(bandAt(tariffs.zhejiangTou, 1, 8 * 60)?.name).toBe('峰');
  });

  it('refuses bands that overlap or leave part of the day unpriced, naming the minute', () => {
    const problems = problemsOf({
      timeOfUse: [
        {
          bands: [
            { name: 'peak', price: 60, hours: ['08:00-22:00'] },
            { name: 'valley', price: 30, hours: ['21:00-06:00'] },
          ],
        },
      ],
    });
    expect(problems).toContain('timeOfUse[0]: 21:00 is in both peak and valley');
    expect(problems).toContain('timeOfUse[0]: no band covers 06:00');
  });

  it('refuses seasons that miss or repeat a month', () => {
    const bands = [{ name: 'all', price: 50, hours: ['00:00-24:00'] }];
    const problems = problemsOf({
      timeOfUse: [
        { months: [1, 2, 3], bands },
        { months: [3, 4, 5, 6, 7, 8, 9, 10, 11], bands },
      ],
    });
    expect(problems).toContain('timeOfUse: no season covers month 12');
    expect(problems).toContain('timeOfUse: month 3 is in more than one season');
  });

  it('refuses a price with more than four decimals in fen, rather than rounding it', () => {
    expect(problemsOf({ flat: { price: 48.83125 } })).toEqual([
      'flat.price has more than 4 decimal places in minor units per kWh: 48.83125',
    ]);
  });

  it('refuses tier blocks that do not grow, an unbounded block before the last, and add without a base', () => {
    const problems = problemsOf({
      tiers: {
        cycle: 'month',
        blocks: [{ upToKWh: 400, price: 50 }, { upToKWh: 240, add: 5 }, { price: 80 }],
      },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'tiers.blocks[1]: upToKWh must grow block by block',
        'tiers.blocks[1]: with no base price, a block gives price',
      ]),
    );
    expect(problemsOf({ tiers: { cycle: 'month', blocks: [{ price: 50 }, { price: 80 }] } })).toContain(
      'tiers.blocks[0]: needs upToKWh (only the last has none)',
    );
  });

  it('refuses unknown keys and time zones, and a tariff with no price at all', () => {
    expect(problemsOf({ flat: { price: 50 }, flatt: 1 })).toEqual(['(top level): unknown key "flatt"']);
    expect(problemsOf({ timezone: 'Mars/Olympus', flat: { price: 50 } })).toEqual([
      'timezone: unknown time zone "Mars/Olympus"',
    ]);
    expect(problemsOf({})).toEqual(['a tariff needs flat, timeOfUse or tiers with prices']);
  });

  it('names a missing tariff file when the settings point at one', () => {
    expect(() => loadTariff('no-such-tariff')).toThrow(
      /no such tariff file \(energy.tariff is "no-such-tariff"\)/,
    );
  });
});
