/**
 * Shelly Gen2+ -> hub `{prefix}/status/switch:{n}`: the full Switch status, sent only when "Generic
 * status update over MQTT" is on. It has no timestamp (`aenergy.minute_ts` is the start of the last
 * whole minute, not when the status was taken), so the reading carries none.
 */
import type { Converter } from '../types.js';
import { channelParam, payloadObject } from './payload.js';
import { switchReading } from './shelly-gen2-switch.js';

export const shellyGen2SwitchStatus: Converter = (input) => {
  const reading = switchReading(payloadObject(input), channelParam(input), 'switch status');
  return reading === null ? [] : [reading];
};
