/**
 * Tasmota -> hub `tele/{topic}/LWT`: plain `Online`, or `Offline` (the retained last will the broker
 * publishes when the connection drops). Fixed texts in Tasmota's i18n.h; compared case-insensitively.
 */
import { ConvertError, type Converter } from '../types.js';
import { describe, payloadText } from './payload.js';

export const tasmotaLwt: Converter = (input) => {
  const text = payloadText(input).toLowerCase();
  if (text === 'online') return [{ kind: 'availability', online: true }];
  if (text === 'offline') return [{ kind: 'availability', online: false }];
  throw new ConvertError(`LWT must be Online or Offline, got ${describe(payloadText(input))}`);
};
