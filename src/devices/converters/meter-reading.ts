/**
 * homepay meter -> hub `homepay/meter/{deviceId}/reading` (SPEC "Energy spend"):
 * `{"energyWh": 123456.7, "powerW": 85.2, "ts": "2026-11-27T08:00:00Z"}`, energyWh a cumulative counter.
 */
import { ConvertError, type Converter, type ReadingMessage } from '../types.js';
import {
  energyCounter,
  optionalNumber,
  optionalString,
  payloadObject,
  powerValue,
  utcFromOffsetTime,
} from './payload.js';

export const meterReading: Converter = (input) => {
  const body = payloadObject(input);
  const energyWh = optionalNumber(body, 'energyWh');
  const powerW = optionalNumber(body, 'powerW');
  if (energyWh === undefined && powerW === undefined) {
    throw new ConvertError('a reading needs energyWh, powerW or both');
  }
  const reading: ReadingMessage = { kind: 'reading' };
  if (energyWh !== undefined) reading.energyWh = energyCounter(energyWh, 'energyWh');
  if (powerW !== undefined) reading.powerW = powerValue(powerW, 'powerW');
  const ts = optionalString(body, 'ts');
  if (ts !== undefined) {
    // Our own device speaks ISO 8601 with an offset; a time without one is a firmware bug, not a guess.
    const utc = utcFromOffsetTime(ts);
    if (utc === undefined) throw new ConvertError(`ts must be ISO 8601 with a UTC offset, got "${ts}"`);
    reading.ts = utc;
  }
  return [reading];
};
