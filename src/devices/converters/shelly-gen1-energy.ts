/**
 * Shelly Gen1 -> hub `shellies/{id}/relay/{n}/energy`: plain text, an incrementing counter in
 * **watt-minutes** (Shelly Gen1 API, Plug/PlugS MQTT; Home Assistant divides by 60 too). Wh = Wmin / 60.
 */
import type { Converter } from '../types.js';
import { channelParam, decimalText, energyCounter, roundWh } from './payload.js';

export const shellyGen1Energy: Converter = (input) => {
  const wattMinutes = energyCounter(decimalText(input, 'energy (watt-minutes)'), 'energy (watt-minutes)');
  return [{ kind: 'reading', energyWh: roundWh(wattMinutes / 60), channel: channelParam(input) }];
};
