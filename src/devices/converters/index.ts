/**
 * The converter registry: the names profiles in `devices/` use in `converter:`. Add a converter as
 * `<name>.ts` and list it here; `loadProfiles` refuses a profile that names one missing from here.
 */
import type { Converter } from '../types.js';
import { hermesIntent } from './hermes-intent.js';
import { hermesIntentNotRecognized } from './hermes-intent-not-recognized.js';
import { ignore } from './ignore.js';
import { meterReading } from './meter-reading.js';
import { shellyGen1Energy } from './shelly-gen1-energy.js';
import { shellyGen1Power } from './shelly-gen1-power.js';
import { shellyGen2Notify } from './shelly-gen2-notify.js';
import { shellyGen2SwitchStatus } from './shelly-gen2-switch-status.js';
import { shellyOnline } from './shelly-online.js';
import { speakerUtterance } from './speaker-utterance.js';
import { tasmotaLwt } from './tasmota-lwt.js';
import { tasmotaSensor } from './tasmota-sensor.js';
import { tasmotaState } from './tasmota-state.js';
import { zigbee2mqttAvailability } from './zigbee2mqtt-availability.js';
import { zigbee2mqttState } from './zigbee2mqtt-state.js';

// A null prototype, so a profile naming `toString` or `constructor` finds no converter.
export const converters: Readonly<Record<string, Converter>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, Converter>, {
    'speaker-utterance': speakerUtterance,
    'meter-reading': meterReading,
    'tasmota-sensor': tasmotaSensor,
    'tasmota-lwt': tasmotaLwt,
    'tasmota-state': tasmotaState,
    'shelly-gen1-energy': shellyGen1Energy,
    'shelly-gen1-power': shellyGen1Power,
    'shelly-online': shellyOnline,
    'shelly-gen2-notify': shellyGen2Notify,
    'shelly-gen2-switch-status': shellyGen2SwitchStatus,
    'zigbee2mqtt-state': zigbee2mqttState,
    'zigbee2mqtt-availability': zigbee2mqttAvailability,
    'hermes-intent': hermesIntent,
    'hermes-intent-not-recognized': hermesIntentNotRecognized,
    ignore,
  }),
);

/** The converter registered under `name`, or undefined. */
export function converterNamed(name: string): Converter | undefined {
  return Object.hasOwn(converters, name) ? converters[name] : undefined;
}
