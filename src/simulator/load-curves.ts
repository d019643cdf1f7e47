/**
 * Daily load curves of the appliances behind simulated plugs, as functions of the household's local
 * time: the same instant always gives the same power, so the curves are easy to test and a rerun
 * continues them. Each appliance draws its own parameters (cycle length, element power, washer days)
 * from its seed, so a thousand fridges do not switch on in step.
 *
 * The shapes follow common measurements of Chinese and European households: a fridge compressor
 * cycling 35-50 minutes at 35-45% duty with a defrost heater now and then (about 1.6 kWh a day); a
 * washer run of about 90 minutes, mostly heating water (0.7 kWh a run, every other day); an inverter
 * air conditioner that cools in summer and helps the radiators in winter while people are home
 * (5 kWh a day in July, 11 in November); a 60 l storage water heater reheating after the morning
 * and evening showers (5 kWh a day).
 */
import type { LocalClock, LocalMoment } from './local-clock.js';
import { between, hashSeed, seededRandom, unitNoise } from './random.js';

export type ApplianceKind = 'fridge' | 'washer' | 'air-conditioner' | 'water-heater';

export const APPLIANCE_KINDS: readonly ApplianceKind[] = [
  'fridge',
  'washer',
  'air-conditioner',
  'water-heater',
];

export const APPLIANCE_NAMES: Record<ApplianceKind, string> = {
  fridge: 'Fridge',
  washer: 'Washer',
  'air-conditioner': 'Air conditioner',
  'water-heater': 'Water heater',
};

export interface Appliance {
  kind: ApplianceKind;
  /** Instantaneous draw in W at a simulated instant (ms since the epoch). */
  powerAt(ms: number): number;
}

const MINUTE_MS = 60_000;

/** Monthly mean outdoor temperature (°C) of a northern Chinese city, January first. */
const MONTHLY_MEAN_C = [-3, 0, 7, 15, 21, 25, 27, 26, 21, 13, 5, -1];

export function createAppliance(kind: ApplianceKind, seedText: string, clock: LocalClock): Appliance {
  const seed = hashSeed(seedText);
  const random = seededRandom(seed);
  switch (kind) {
    case 'fridge':
      return fridge(seed, random, clock);
    case 'washer':
      return washer(seed, random, clock);
    case 'air-conditioner':
      return airConditioner(seed, random, clock);
    case 'water-heater':
      return waterHeater(seed, random, clock);
  }
}

/** ±`share` of jitter that changes every five minutes. */
function jitter(seed: number, ms: number, share: number): number {
  return 1 + share * (2 * unitNoise(seed, Math.floor(ms / (5 * MINUTE_MS))) - 1);
}

function fridge(seed: number, random: () => number, clock: LocalClock): Appliance {
  const periodMin = between(random, 35, 50);
  const duty = between(random, 0.35, 0.45);
  const compressorW = between(random, 85, 140);
  const idleW = between(random, 1, 3);
  const phase = random();
  const defrostEveryMin = random() < 0.5 ? 8 * 60 : 12 * 60;
  const defrostPhaseMin = between(random, 0, defrostEveryMin);
  const defrostW = between(random, 200, 300);
  return {
    kind: 'fridge',
    powerAt(ms) {
      const minutes = ms / MINUTE_MS;
      if ((minutes + defrostPhaseMin) % defrostEveryMin < 20) return defrostW;
      // Warm afternoons and door openings at meal times make the compressor run longer.
      const { hour } = clock.at(ms);
      const busy = duty + 0.06 * Math.sin((2 * Math.PI * (hour - 9)) / 24);
      const position = (minutes / periodMin + phase) % 1;
      return position < busy ? compressorW * jitter(seed, ms, 0.04) : idleW;
    },
  };
}

/** One washer program, minute by minute: [minutes, watts] (a negative watt alternates drum/pause). */
const WASH_PROGRAM: Array<[number, number]> = [
  [6, 12], // fill
  [14, 2000], // heat the water
  [35, -260], // wash: drum turning one minute, resting the next
  [3, 35], // drain
  [18, -190], // rinse
  [10, 480], // spin
];

function washer(seed: number, random: () => number, clock: LocalClock): Appliance {
  const standbyW = between(random, 0.3, 0.8);
  const heaterScale = between(random, 0.9, 1.1);
  const runsPerDay = between(random, 0.4, 0.7);
  const programMin = WASH_PROGRAM.reduce((sum, [minutes]) => sum + minutes, 0);
  /** When the day's run starts (local hour), or null on a day without washing. */
  const runStart = (day: number): number | null => {
    if (unitNoise(seed, day) >= runsPerDay) return null;
    const pick = unitNoise(seed + 1, day);
    return pick < 0.5 ? 8 + 4 * pick : 19 + 4 * (pick - 0.5);
  };
  return {
    kind: 'washer',
    powerAt(ms) {
      const local: LocalMoment = clock.at(ms);
      const start = runStart(local.day);
      if (start === null) return standbyW;
      let minute = (local.hour - start) * 60;
      if (minute < 0 || minute >= programMin) return standbyW;
      for (const [minutes, watts] of WASH_PROGRAM) {
        if (minute < minutes) {
          if (watts >= 1000) return watts * heaterScale;
          if (watts < 0) return Math.floor(minute) % 2 === 0 ? -watts * jitter(seed, ms, 0.1) : 40;
          return watts;
        }
        minute -= minutes;
      }
      return standbyW;
    },
  };
}

function airConditioner(seed: number, random: () => number, clock: LocalClock): Appliance {
  // Heating only helps out (northern homes have radiators), cooling carries the summer.
  const heatBelowC = between(random, 13, 16);
  const coolAboveC = between(random, 24, 26);
  const heatWPerDegree = between(random, 35, 55);
  const coolWPerDegree = between(random, 90, 130);
  const standbyW = between(random, 1.5, 3);
  const leaveHour = between(random, 7.5, 8.5);
  const backHour = between(random, 17, 19);
  return {
    kind: 'air-conditioner',
    powerAt(ms) {
      const local = clock.at(ms);
      const weekend = local.weekday === 0 || local.weekday === 6;
      const home = weekend || local.hour < leaveHour || local.hour >= backHour;
      if (!home) return standbyW;
      const mean = MONTHLY_MEAN_C[local.month - 1] ?? 12;
      const outdoorC = mean + 6 * Math.sin((2 * Math.PI * (local.hour - 9)) / 24);
      const cooling = Math.max(0, outdoorC - coolAboveC);
      const heating = Math.max(0, heatBelowC - outdoorC);
      const load = cooling + heating;
      if (load === 0) return standbyW;
      // An inverter modulates; at a small load it still cycles on and off.
      if (load < 2 && Math.floor(ms / (10 * MINUTE_MS)) % 2 === 1) return standbyW;
      const watts = 200 + (cooling > 0 ? coolWPerDegree * cooling : heatWPerDegree * heating);
      return Math.min(1800, watts * jitter(seed, ms, 0.08));
    },
  };
}

function waterHeater(seed: number, random: () => number, clock: LocalClock): Appliance {
  const elementW = between(random, 1900, 2100);
  const idleW = between(random, 0.5, 1.2);
  const morning = between(random, 6.5, 7.5);
  const evening = between(random, 20.5, 22);
  const lossEveryH = between(random, 3.5, 5);
  const lossPhaseH = between(random, 0, lossEveryH);
  return {
    kind: 'water-heater',
    powerAt(ms) {
      const local = clock.at(ms);
      const morningShower = unitNoise(seed, local.day) < 0.7;
      // Reheating after the showers, then short reheats against standing losses.
      if (morningShower && local.hour >= morning + 0.15 && local.hour < morning + 0.8) return elementW;
      if (local.hour >= evening + 0.15 && local.hour < evening + 1.3) return elementW;
      if ((local.hour + lossPhaseH) % lossEveryH < 0.2) return elementW;
      return idleW * jitter(seed, ms, 0.2);
    },
  };
}
