/**
 * Exact energy money. Tariffs price a kWh in minor units with decimals (0.4883 yuan/kWh is 48.83 fen),
 * and an interval's energy is split across bands and tiers, so an interval's cost is rarely a whole
 * fen. Floats would drift as thousands of intervals are summed; instead:
 * - energy is an integer number of mWh (the converters already round to the mWh),
 * - a price is an integer number of 1/10,000 minor units per kWh (`48.83` -> 488_300),
 * - a cost is a bigint of 1/10,000,000,000 minor units: mWh x price is then exact, with no division.
 * Money becomes whole minor units only when it is shown or compared with a threshold in fen.
 * A period's total is stored as a signed 64-bit integer: up to 9.2 x 10^8 fen (9.2 million yuan).
 */

/** Decimal places a price may have in minor units per kWh (48.8312 fen/kWh is fine, 48.83125 is not). */
export const PRICE_DECIMALS = 4;
const PRICE_SCALE = 10 ** PRICE_DECIMALS;

/** Cost units per minor unit: 1e-6 kWh per mWh times 1e-4 minor units per price unit. */
export const COST_UNITS_PER_MINOR = 10n ** 10n;

/** A price in 1/10,000 minor units per kWh. */
export type PriceRate = number;

/**
 * Reads a price written in minor units per kWh, as YAML gave it (a number such as `48.83`), without
 * float arithmetic: the shortest decimal that names the double is what the author wrote.
 */
export function parsePrice(value: number): PriceRate | string {
  if (!Number.isFinite(value) || value < 0) return `must be a price of at least 0, got ${value}`;
  const text = String(value);
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return `must be written as a plain decimal, got ${text}`;
  const [, whole = '0', fraction = ''] = match;
  if (fraction.length > PRICE_DECIMALS) {
    return `has more than ${PRICE_DECIMALS} decimal places in minor units per kWh: ${text}`;
  }
  const rate = Number(whole) * PRICE_SCALE + Number(fraction.padEnd(PRICE_DECIMALS, '0'));
  if (!Number.isSafeInteger(rate)) return `is too large: ${text}`;
  return rate;
}

/** The exact cost of `energyMwh` at `rate`. */
export function costOf(energyMwh: number, rate: PriceRate): bigint {
  return BigInt(energyMwh) * BigInt(rate);
}

/** A charge in minor units (fixed daily or monthly charges, thresholds) as cost units. */
export function minorToCost(rate: PriceRate): bigint {
  // A fixed charge is parsed like a price (minor units with up to four decimals) and means that many
  // minor units outright: scale the price units up to cost units.
  return BigInt(rate) * (COST_UNITS_PER_MINOR / BigInt(PRICE_SCALE));
}

/** Whole minor units, rounding half away from zero: what a person sees on a bill. */
export function toMinor(cost: bigint): number {
  const half = COST_UNITS_PER_MINOR / 2n;
  const rounded =
    cost >= 0n ? (cost + half) / COST_UNITS_PER_MINOR : -((-cost + half) / COST_UNITS_PER_MINOR);
  return Number(rounded);
}

/** Wh for showing, from mWh: exact in a double for any household counter. */
export function mwhToWh(energyMwh: number): number {
  return energyMwh / 1000;
}

/** mWh from a Wh number that converters already rounded to the mWh. */
export function whToMwh(energyWh: number): number {
  return Math.round(energyWh * 1000);
}
