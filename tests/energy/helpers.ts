/**
 * Shared bits of the energy tests: the shipped tariffs, instants written in China's local time, and
 * exact money read as fen with decimals (so a hand computation can be written as it is on paper).
 */
import { COST_UNITS_PER_MINOR } from '../../src/energy/cost-units.js';
import type { CycleRule } from '../../src/energy/periods.js';
import type { Tariff } from '../../src/energy/tariff.js';
import { loadTariff, parseTariff } from '../../src/energy/tariff-file.js';

export const tariffs = {
  beijing: loadTariff('beijing-residential'),
  zhejiang: loadTariff('zhejiang-residential'),
  zhejiangTou: loadTariff('zhejiang-residential-tou'),
  guangdong: loadTariff('guangdong-style'),
  flat: loadTariff('flat-example'),
};

/** An instant from Beijing time (UTC+8, no daylight saving): `local('2026-11-27 21:30')`. */
export function local(text: string): number {
  return Date.parse(`${text.replace(' ', 'T')}:00+08:00`);
}

/** Cost units from fen written as a decimal string, exactly: `fen('51.36')`. */
export function fen(text: string): bigint {
  const [whole = '0', fraction = ''] = text.split('.');
  return BigInt(whole) * COST_UNITS_PER_MINOR + BigInt(fraction.padEnd(10, '0'));
}

export const kWh = (value: number): number => Math.round(value * 1_000_000);

export function cycleOf(tariff: Tariff, startDay = 1, startMonth?: number): CycleRule {
  return {
    period: tariff.tiers?.cycle ?? 'month',
    startMonth: startMonth ?? tariff.tiers?.startMonth ?? 1,
    startDay,
  };
}

/** A tariff written inline, for shapes no shipped file has (fixed charges). */
export function inlineTariff(body: Record<string, unknown>): Tariff {
  return parseTariff(
    { currency: 'CNY', timezone: 'Asia/Shanghai', source: 'test', name: 'test', ...body },
    'test',
  );
}
