/**
 * Tasmota -> hub `tele/{topic}/STATE`: uptime, relay `POWER` and Wi-Fi every TelePeriod. Nothing in it
 * is metered, and availability is the LWT's job (it also covers a lost connection, which STATE cannot
 * report), so a well-formed STATE gives no message; a malformed one is still reported.
 */
import type { Converter } from '../types.js';
import { payloadObject } from './payload.js';

export const tasmotaState: Converter = (input) => {
  payloadObject(input);
  return [];
};
