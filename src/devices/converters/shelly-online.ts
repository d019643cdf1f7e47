/**
 * Shelly -> hub `shellies/{id}/online` (Gen1) and `{prefix}/online` (Gen2+): plain `true` on connect,
 * `false` as the last will. Both generations use the same payload, so one converter serves both.
 */
import { ConvertError, type Converter } from '../types.js';
import { describe, payloadText } from './payload.js';

export const shellyOnline: Converter = (input) => {
  const text = payloadText(input);
  if (text === 'true') return [{ kind: 'availability', online: true }];
  if (text === 'false') return [{ kind: 'availability', online: false }];
  throw new ConvertError(`online must be true or false, got ${describe(text)}`);
};
