/**
 * The `energy` settings made ready before the hub starts anything: the tariff file loaded and checked,
 * and every config rule checked against it, so a wrong tariff or rule stops the start with all its
 * problems listed instead of failing after the broker is already up.
 */
import { ConfigError } from '../config/load.js';
import type { EnergySettings } from './energy-spend.js';
import type { RuleInput } from './rule-schema.js';
import { ruleProblem } from './rules.js';
import type { Tariff } from './tariff.js';
import { loadTariff } from './tariff-file.js';

export interface EnergySettingsInput {
  tariff: string;
  cycleStartDay: number;
  cycleStartMonth?: number;
  rules: RuleInput[];
  maxPowerW: number;
}

export function prepareEnergy(input: EnergySettingsInput): { tariff: Tariff; settings: EnergySettings } {
  const tariff = loadTariff(input.tariff);
  const problems = input.rules.flatMap((rule, i) => {
    // Devices are checked at start (a removed device must not stop the hub); shapes and tiers here.
    const problem = ruleProblem(rule, {
      deviceExists: () => true,
      tariffHasTiers: tariff.tiers !== undefined,
    });
    return problem ? [`energy.rules[${i}] "${rule.name}": ${problem}`] : [];
  });
  if (problems.length > 0) throw new ConfigError('the energy settings', problems);
  return {
    tariff,
    settings: {
      cycleStartDay: input.cycleStartDay,
      cycleStartMonth: input.cycleStartMonth,
      rules: input.rules,
      maxPowerW: input.maxPowerW,
    },
  };
}
