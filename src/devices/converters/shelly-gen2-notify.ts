/**
 * Shelly Gen2+ -> hub `{prefix}/events/rpc`: JSON-RPC notifications. `NotifyStatus` (and
 * `NotifyFullStatus`) carry `params.ts` (Unix seconds, UTC) and one key per changed component; each
 * `switch:N` with energy or power gives a reading for channel N. `NotifyEvent` (button presses,
 * scripts) and a status without switch energy give nothing.
 */
import { ConvertError, type Converter, type DeviceMessage } from '../types.js';
import {
  describe,
  isObject,
  optionalNumber,
  payloadObject,
  requiredString,
  utcFromUnixSeconds,
} from './payload.js';
import { switchReading } from './shelly-gen2-switch.js';

const SWITCH_KEY = /^switch:(\d{1,3})$/;

export const shellyGen2Notify: Converter = (input) => {
  const frame = payloadObject(input);
  const method = requiredString(frame, 'method');
  if (method !== 'NotifyStatus' && method !== 'NotifyFullStatus') return [];
  const params = frame.params;
  if (!isObject(params)) {
    throw new ConvertError(`params of ${method} must be an object, got ${describe(params)}`);
  }
  const seconds = optionalNumber(params, 'ts', 'params.ts');
  const ts = seconds === undefined ? undefined : utcFromUnixSeconds(seconds, 'params.ts');

  const messages: DeviceMessage[] = [];
  for (const [key, status] of Object.entries(params)) {
    const channel = SWITCH_KEY.exec(key)?.[1];
    if (channel === undefined) continue;
    const reading = switchReading(status, Number(channel), `params["${key}"]`);
    if (reading === null) continue;
    if (ts !== undefined) reading.ts = ts;
    messages.push(reading);
  }
  return messages;
};
