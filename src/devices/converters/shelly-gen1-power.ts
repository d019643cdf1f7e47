/** Shelly Gen1 -> hub `shellies/{id}/relay/{n}/power`: plain text, instantaneous W (`36.52`). */
import type { Converter } from '../types.js';
import { channelParam, decimalText, powerValue } from './payload.js';

export const shellyGen1Power: Converter = (input) => [
  {
    kind: 'reading',
    powerW: powerValue(decimalText(input, 'power (W)'), 'power (W)'),
    channel: channelParam(input),
  },
];
