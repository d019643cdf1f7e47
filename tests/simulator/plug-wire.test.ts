import { describe, expect, it } from 'vitest';
import { converters } from '../../src/devices/converters/index.js';
import { checkPublish, loadProfiles } from '../../src/devices/profiles.js';
import type { ReadingMessage } from '../../src/devices/types.js';
import { APPLIANCE_KINDS, createAppliance } from '../../src/simulator/load-curves.js';
import { LocalClock } from '../../src/simulator/local-clock.js';
import { PlugMeter } from '../../src/simulator/plug-meter.js';
import {
  clientAvailability,
  PLUG_PROFILES,
  type PlugSnapshot,
  plugWire,
} from '../../src/simulator/plug-wire.js';

/**
 * What simulated plugs publish is what the hub's own profiles allow and its converters read: each
 * message passes the profile's publish check and decodes to the counter the plug holds, in the
 * unit the device speaks (kWh to 3 or 2 decimals, watt-minutes, Wh).
 */

const profiles = loadProfiles();
const clock = new LocalClock('Asia/Shanghai');
const IDENTITIES = {
  'tasmota-plug': 'tasmota_8A1F2C',
  'shelly-gen1-plug': 'shellyplug-s-7C87CE',
  'shelly-gen2-plug': 'shellyplusplugs-e465b8b3a1c4',
  'zigbee2mqtt-plug': 'zigbee2mqtt_sim1',
} as const;
/** The counter's resolution on the wire, Wh. */
const RESOLUTION = {
  'tasmota-plug': 1,
  'shelly-gen1-plug': 1 / 60,
  'shelly-gen2-plug': 0.001,
  'zigbee2mqtt-plug': 10,
} as const;

function decode(profileId: string, identity: string, topic: string, payload: string) {
  const profile = profiles.get(profileId);
  if (!profile) throw new Error(`no profile ${profileId}`);
  const check = checkPublish(profile, identity, topic, Buffer.from(payload));
  if (!check.allowed) throw new Error(check.reason);
  const name = check.route.declaration.converter;
  const convert = name ? converters[name] : undefined;
  return convert ? convert({ topic, params: check.route.params, payload: Buffer.from(payload) }) : [];
}

describe('simulated plugs on the wire', () => {
  const snapshot: PlugSnapshot = {
    powerW: 123.4,
    energyWh: 48_372.114,
    wallMs: Date.parse('2026-11-27T08:05:00Z'),
    voltageV: 229.6,
    appliance: 'fridge',
  };

  for (const profile of PLUG_PROFILES) {
    it(`${profile}: every message is allowed by its profile and the counter decodes to the plug's`, () => {
      const identity = IDENTITIES[profile];
      const address = profile === 'zigbee2mqtt-plug' ? { identity, child: 'fridge_0004' } : { identity };
      const wire = plugWire(profile, address, clock);
      const availability = clientAvailability(profile, identity);
      for (const message of [availability.will, availability.online, ...wire.hello(snapshot)]) {
        expect(() => decode(profile, identity, message.topic, message.payload)).not.toThrow();
      }
      const readings: ReadingMessage[] = [];
      // Shelly Gen1 sends power and energy on their own topics, in turn.
      for (let i = 0; i < 2; i++) {
        const report = wire.report(snapshot);
        for (const message of decode(profile, identity, report.topic, report.payload)) {
          if (message.kind === 'reading') readings.push(message);
        }
      }
      const energy = readings.find((reading) => reading.energyWh !== undefined)?.energyWh;
      const power = readings.find((reading) => reading.powerW !== undefined)?.powerW;
      expect(Math.abs((energy as number) - snapshot.energyWh)).toBeLessThanOrEqual(RESOLUTION[profile]);
      expect(Math.abs((power as number) - snapshot.powerW)).toBeLessThan(1);
    });
  }
});

describe('load curves', () => {
  it('keep every appliance within its nameplate and the counters going up', () => {
    const start = Date.parse('2026-11-27T00:00:00+08:00');
    for (const kind of APPLIANCE_KINDS) {
      const meter = new PlugMeter(createAppliance(kind, `test:${kind}`, clock), 1000, start);
      let last = meter.energyWh;
      for (let minute = 1; minute <= 24 * 60; minute += 7) {
        meter.advanceTo(start + minute * 60_000);
        expect(meter.powerW).toBeGreaterThanOrEqual(0);
        expect(meter.powerW).toBeLessThanOrEqual(2500);
        expect(meter.energyWh).toBeGreaterThanOrEqual(last);
        last = meter.energyWh;
      }
      // A day of any of them is between a standby trickle and a very cold day of heating.
      expect(last - 1000).toBeGreaterThan(5);
      expect(last - 1000).toBeLessThan(40_000);
    }
  });
});
