/**
 * Tasmota -> hub `tele/{topic}/SENSOR`: `{"Time": "...", "ENERGY": {"Total": 48.372, "Power": 36, ...}}`.
 * `Total` is kWh, `Power` W (tasmota `xdrv_03_energy.ino`); multi-phase meters send arrays, one value
 * per phase, which are summed. A SENSOR message without `ENERGY` (a temperature sensor) gives nothing.
 */
import { ConvertError, type Converter, type ReadingMessage } from '../types.js';
import {
  describe,
  energyCounter,
  isObject,
  optionalString,
  payloadObject,
  powerValue,
  roundWh,
  utcFromOffsetTime,
} from './payload.js';

/** A number, or an array of numbers (one per phase) summed; absent or null is undefined. */
function phaseSum(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  if (Array.isArray(value) && value.length > 0 && value.every((phase) => typeof phase === 'number')) {
    return (value as number[]).reduce((sum, phase) => sum + phase, 0);
  }
  throw new ConvertError(`${where} must be a number or an array of numbers, got ${describe(value)}`);
}

export const tasmotaSensor: Converter = (input) => {
  const body = payloadObject(input);
  const energy = body.ENERGY;
  if (energy === undefined) return [];
  if (!isObject(energy)) throw new ConvertError(`ENERGY must be an object, got ${describe(energy)}`);
  const totalKWh = phaseSum(energy.Total, 'ENERGY.Total');
  const power = phaseSum(energy.Power, 'ENERGY.Power');
  if (totalKWh === undefined && power === undefined) return [];

  const reading: ReadingMessage = { kind: 'reading', channel: 0 };
  if (totalKWh !== undefined) {
    reading.energyWh = roundWh(energyCounter(totalKWh, 'ENERGY.Total (kWh)') * 1000);
  }
  if (power !== undefined) reading.powerW = powerValue(power, 'ENERGY.Power');
  // `Time` is local time without offset unless SetOption52 is on; only an offset makes it an instant.
  const time = optionalString(body, 'Time');
  const ts = time === undefined ? undefined : utcFromOffsetTime(time);
  if (ts !== undefined) reading.ts = ts;
  return [reading];
};
