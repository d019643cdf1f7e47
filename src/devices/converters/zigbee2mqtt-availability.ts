/**
 * Zigbee2MQTT -> hub `{base}/{friendlyName}/availability` and `{base}/bridge/state`: JSON
 * `{"state": "online"}` in 2.x, plain `online` in 1.x with `legacy_availability_payload` (its default).
 * Both forms are accepted on both topics.
 */
import { ConvertError, type Converter } from '../types.js';
import { describe, isObject, payloadJson, payloadText } from './payload.js';

export const zigbee2mqttAvailability: Converter = (input) => {
  const text = payloadText(input);
  let state: unknown = text;
  if (text.startsWith('{')) {
    const body = payloadJson(input);
    state = isObject(body) ? body.state : undefined;
  }
  if (state === 'online') return [{ kind: 'availability', online: true }];
  if (state === 'offline') return [{ kind: 'availability', online: false }];
  throw new ConvertError(`availability must be online or offline, got ${describe(state)}`);
};
