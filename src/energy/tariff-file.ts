/**
 * Reading a tariff file (`config/tariffs/<name>.yaml`, format in config/tariffs/README.md) into a
 * `Tariff`, with every problem reported at once: a tariff that prices some hour twice, or no hour at
 * all, must stop the hub at start rather than bill wrongly for a month.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { type Static, Type } from 'typebox';
import { parse as parseYaml } from 'yaml';
import { projectRoot } from '../paths.js';
import { isKnownTimeZone } from '../time/zoned-time.js';
import { minorToCost, type PriceRate, parsePrice } from './cost-units.js';
import type { Band, BandSchedule, Tariff, TierBlock, TierSeason } from './tariff.js';

export const tariffsDir = path.join(projectRoot, 'config', 'tariffs');

const Price = Type.Number({ minimum: 0, description: 'minor units per kWh, up to 4 decimals (48.83)' });
const Months = Type.Array(Type.Integer({ minimum: 1, maximum: 12 }), { minItems: 1, uniqueItems: true });
const Window = Type.String({ pattern: '^\\d{2}:\\d{2}-\\d{2}:\\d{2}$', description: 'HH:MM-HH:MM' });

const BandSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    price: Price,
    hours: Type.Array(Window, { minItems: 1 }),
  },
  { additionalProperties: false },
);

const BandSeasonSchema = Type.Object(
  {
    season: Type.Optional(Type.String({ minLength: 1 })),
    months: Type.Optional(Months),
    bands: Type.Array(BandSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

const BlockSchema = Type.Object(
  {
    upToKWh: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    price: Type.Optional(Price),
    add: Type.Optional(Price),
  },
  { additionalProperties: false },
);

const TierSeasonSchema = Type.Object(
  {
    season: Type.Optional(Type.String({ minLength: 1 })),
    months: Months,
    blocks: Type.Array(BlockSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

const TariffSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    timezone: Type.String({ minLength: 1 }),
    source: Type.String({ minLength: 1 }),
    flat: Type.Optional(Type.Object({ price: Price }, { additionalProperties: false })),
    timeOfUse: Type.Optional(Type.Array(BandSeasonSchema, { minItems: 1 })),
    tiers: Type.Optional(
      Type.Object(
        {
          cycle: Type.Enum(['month', 'year']),
          startMonth: Type.Optional(Type.Integer({ minimum: 1, maximum: 12 })),
          blocks: Type.Optional(Type.Array(BlockSchema, { minItems: 1 })),
          seasons: Type.Optional(Type.Array(TierSeasonSchema, { minItems: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    fixed: Type.Optional(
      Type.Object(
        { daily: Type.Optional(Price), monthly: Type.Optional(Price) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

type TariffData = Static<typeof TariffSchema>;
type BlockData = Static<typeof BlockSchema>;

const validate = new Ajv({ allErrors: true, strict: false }).compile<TariffData>(TariffSchema);

export class TariffError extends Error {
  override name = 'TariffError';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`Tariff ${file} is invalid:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/**
 * The file a setting names: a bare name is `config/tariffs/<name>.yaml`; anything with a slash or a
 * `.yaml` ending is a path (relative to the working directory, like the config file's other paths).
 */
export function tariffFile(nameOrPath: string, dir = tariffsDir): string {
  if (/[/\\]/.test(nameOrPath) || /\.ya?ml$/.test(nameOrPath)) return path.resolve(nameOrPath);
  return path.join(dir, `${nameOrPath}.yaml`);
}

/** Loads and checks the tariff the settings name. Throws `TariffError` listing every problem. */
export function loadTariff(nameOrPath: string, dir = tariffsDir): Tariff {
  const file = tariffFile(nameOrPath, dir);
  if (!existsSync(file)) {
    throw new TariffError(file, [`no such tariff file (energy.tariff is "${nameOrPath}")`]);
  }
  let data: unknown;
  try {
    data = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TariffError(file, [`not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  return parseTariff(data, path.basename(file).replace(/\.ya?ml$/, ''), file);
}

/** Checks parsed YAML and builds the `Tariff`; exported for tests that write tariffs inline. */
export function parseTariff(data: unknown, id: string, file = id): Tariff {
  if (!validate(data)) throw new TariffError(file, (validate.errors ?? []).map(describe));
  const problems: string[] = [];
  const price = (value: number, where: string): PriceRate => {
    const parsed = parsePrice(value);
    if (typeof parsed === 'string') {
      problems.push(`${where} ${parsed}`);
      return 0;
    }
    return parsed;
  };
  if (!isKnownTimeZone(data.timezone)) problems.push(`timezone: unknown time zone "${data.timezone}"`);
  if (data.flat && data.timeOfUse) problems.push('give either flat or timeOfUse as the base price, not both');

  const base = data.flat
    ? { kind: 'flat' as const, band: { name: 'flat', rate: price(data.flat.price, 'flat.price') } }
    : data.timeOfUse
      ? { kind: 'timeOfUse' as const, schedules: bandSchedules(data, price, problems) }
      : undefined;
  const tiers = data.tiers ? tierSeasons(data, base !== undefined, price, problems) : undefined;
  if (!base && !tiers) problems.push('a tariff needs flat, timeOfUse or tiers with prices');

  if (problems.length > 0) throw new TariffError(file, problems);
  return {
    id,
    name: data.name,
    currency: data.currency,
    timezone: data.timezone,
    source: data.source.trim(),
    base,
    tiers,
    fixed: {
      daily: minorToCost(price(data.fixed?.daily ?? 0, 'fixed.daily')),
      monthly: minorToCost(price(data.fixed?.monthly ?? 0, 'fixed.monthly')),
    },
  };
}

type PriceReader = (value: number, where: string) => PriceRate;

function bandSchedules(data: TariffData, price: PriceReader, problems: string[]): BandSchedule[] {
  const seasons = data.timeOfUse ?? [];
  const schedules = seasons.map((season, s) => {
    const at = `timeOfUse[${s}]`;
    if (season.months === undefined && seasons.length > 1) {
      problems.push(`${at}: with more than one season each needs months`);
    }
    const months = season.months ?? ALL_MONTHS;
    // Which band owns each minute of the day: every minute exactly once.
    const owner: Array<Band | undefined> = new Array(MINUTES_PER_DAY).fill(undefined);
    for (const [b, bandData] of season.bands.entries()) {
      const band: Band = { name: bandData.name, rate: price(bandData.price, `${at}.bands[${b}].price`) };
      for (const window of bandData.hours) {
        const range = parseWindow(window);
        if (typeof range === 'string') {
          problems.push(`${at}.bands[${b}] "${window}": ${range}`);
          continue;
        }
        let overlapReported = false;
        for (const minute of minutesOf(range)) {
          const already = owner[minute];
          if (!already) owner[minute] = band;
          else if (!overlapReported) {
            // Once per window: the first shared minute says enough.
            problems.push(`${at}: ${clock(minute)} is in both ${already.name} and ${band.name}`);
            overlapReported = true;
          }
        }
      }
    }
    const gap = owner.indexOf(undefined);
    if (gap >= 0) problems.push(`${at}: no band covers ${clock(gap)}`);
    const timeline: Array<{ fromMinute: number; band: Band }> = [];
    owner.forEach((band, minute) => {
      if (band && timeline[timeline.length - 1]?.band !== band) timeline.push({ fromMinute: minute, band });
    });
    return { season: season.season, months, timeline };
  });
  problems.push(...monthCoverage(schedules, 'timeOfUse'));
  return schedules;
}

function tierSeasons(
  data: TariffData,
  hasBase: boolean,
  price: PriceReader,
  problems: string[],
): Tariff['tiers'] {
  const tiers = data.tiers;
  if (!tiers) return undefined;
  if ((tiers.blocks === undefined) === (tiers.seasons === undefined)) {
    problems.push('tiers: give either blocks or seasons');
    return undefined;
  }
  if (tiers.cycle === 'year' && tiers.seasons && tiers.seasons.length > 1) {
    problems.push('tiers: seasonal blocks need a monthly cycle (a yearly cycle has one set of blocks)');
  }
  if (tiers.cycle === 'month' && tiers.startMonth !== undefined) {
    problems.push('tiers.startMonth is for yearly cycles');
  }
  const seasons: TierSeason[] = tiers.blocks
    ? [
        {
          season: undefined,
          months: ALL_MONTHS,
          blocks: blocks(tiers.blocks, 'tiers.blocks', hasBase, price, problems),
        },
      ]
    : (tiers.seasons ?? []).map((season, s) => ({
        season: season.season,
        months: season.months,
        blocks: blocks(season.blocks, `tiers.seasons[${s}].blocks`, hasBase, price, problems),
      }));
  problems.push(...monthCoverage(seasons, 'tiers.seasons'));
  return { cycle: tiers.cycle, startMonth: tiers.startMonth ?? 1, seasons };
}

function blocks(
  list: BlockData[],
  at: string,
  hasBase: boolean,
  price: PriceReader,
  problems: string[],
): TierBlock[] {
  let previous = 0;
  return list.map((block, i) => {
    const where = `${at}[${i}]`;
    const last = i === list.length - 1;
    if (last && block.upToKWh !== undefined) problems.push(`${where}: the last block has no upToKWh`);
    if (!last && block.upToKWh === undefined)
      problems.push(`${where}: needs upToKWh (only the last has none)`);
    const upToMwh = block.upToKWh === undefined ? null : Math.round(block.upToKWh * 1_000_000);
    if (upToMwh !== null && upToMwh <= previous) problems.push(`${where}: upToKWh must grow block by block`);
    previous = upToMwh ?? previous;
    // With a base price a block adds to it; without one it must say the whole price.
    if (hasBase && block.price !== undefined) {
      problems.push(`${where}: with a flat or timeOfUse base price, a block gives add, not price`);
    }
    if (!hasBase && block.add !== undefined)
      problems.push(`${where}: with no base price, a block gives price`);
    if (block.price === undefined && block.add === undefined) problems.push(`${where}: needs price or add`);
    const rate = block.price ?? block.add ?? 0;
    return {
      upToMwh,
      rate: price(rate, `${where}.${block.price === undefined ? 'add' : 'price'}`),
      absolute: !hasBase,
    };
  });
}

const ALL_MONTHS: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
const MINUTES_PER_DAY = 1440;

/** Every month in exactly one season. */
function monthCoverage(seasons: ReadonlyArray<{ months: readonly number[] }>, at: string): string[] {
  const problems: string[] = [];
  for (const month of ALL_MONTHS) {
    const count = seasons.filter((season) => season.months.includes(month)).length;
    if (count === 0) problems.push(`${at}: no season covers month ${month}`);
    if (count > 1) problems.push(`${at}: month ${month} is in more than one season`);
  }
  return problems;
}

/** `22:00-08:00` wraps past midnight; `24:00` may end a window. */
function parseWindow(window: string): { from: number; to: number } | string {
  const [start = '', end = ''] = window.split('-');
  const from = minuteOf(start);
  const to = minuteOf(end);
  if (from === undefined || to === undefined || from === MINUTES_PER_DAY) return 'not a time range';
  if (from === to) return 'starts where it ends';
  return { from, to };
}

function minuteOf(text: string): number | undefined {
  const [h, m] = text.split(':').map(Number);
  if (h === undefined || m === undefined || m > 59 || h > 24 || (h === 24 && m !== 0)) return undefined;
  return h * 60 + m;
}

function* minutesOf(range: { from: number; to: number }): Generator<number> {
  const end = range.to > range.from ? range.to : range.to + MINUTES_PER_DAY;
  for (let minute = range.from; minute < end; minute++) yield minute % MINUTES_PER_DAY;
}

function clock(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath.slice(1).replaceAll('/', '.') || '(top level)';
  if (error.keyword === 'additionalProperties') {
    return `${where}: unknown key "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  }
  return `${where}: ${error.message ?? 'is invalid'}`;
}
