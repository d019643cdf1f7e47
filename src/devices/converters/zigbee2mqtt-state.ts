/**
 * Zigbee2MQTT -> hub `{base}/{friendlyName}`: the device's whole state as JSON, e.g. a plug's
 * `{"energy": 48.37, "power": 36, "state": "ON", ...}` with `energy` kWh and `power` W
 * (zigbee-herdsman-converters `exposes.ts`). A device without either (a button) gives nothing.
 */
import type { Converter, ReadingMessage } from '../types.js';
import { energyCounter, optionalNumber, payloadObject, powerValue, roundWh } from './payload.js';

export const zigbee2mqttState: Converter = (input) => {
  const state = payloadObject(input);
  const energyKWh = optionalNumber(state, 'energy');
  const power = optionalNumber(state, 'power');
  if (energyKWh === undefined && power === undefined) return [];
  const reading: ReadingMessage = { kind: 'reading', channel: 0 };
  if (energyKWh !== undefined) reading.energyWh = roundWh(energyCounter(energyKWh, 'energy (kWh)') * 1000);
  if (power !== undefined) reading.powerW = powerValue(power, 'power');
  return [reading];
};
