/**
 * The metered part of a Shelly Gen2+ Switch status object, shared by `shelly-gen2-notify` and
 * `shelly-gen2-switch-status` (not a converter itself). Switch component, Shelly Gen2 API docs:
 * `aenergy.total` Wh (resettable), `apower` W.
 */
import { ConvertError, type ReadingMessage } from '../types.js';
import { describe, energyCounter, isObject, optionalNumber, powerValue } from './payload.js';

/**
 * The reading in one switch status (full, or the changed keys of a notification), or null when it
 * carries neither energy nor power (e.g. only `output` changed).
 */
export function switchReading(status: unknown, channel: number, where: string): ReadingMessage | null {
  if (!isObject(status)) throw new ConvertError(`${where} must be an object, got ${describe(status)}`);
  const apower = optionalNumber(status, 'apower', `${where}.apower`);
  const aenergy = status.aenergy;
  let total: number | undefined;
  if (aenergy !== undefined && aenergy !== null) {
    if (!isObject(aenergy)) {
      throw new ConvertError(`${where}.aenergy must be an object, got ${describe(aenergy)}`);
    }
    total = optionalNumber(aenergy, 'total', `${where}.aenergy.total`);
  }
  if (total === undefined && apower === undefined) return null;
  const reading: ReadingMessage = { kind: 'reading', channel };
  if (total !== undefined) reading.energyWh = energyCounter(total, `${where}.aenergy.total`);
  if (apower !== undefined) reading.powerW = powerValue(apower, `${where}.apower`);
  return reading;
}
