import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { converters } from '../../src/devices/converters/index.js';
import { ConvertError, type DeviceMessage } from '../../src/devices/types.js';
import { fixture } from '../devices/fixtures.js';
import { deepMutated, FUZZ_SCALE, hostileBytes, hostileValue } from './hostile.js';

/**
 * Every converter in the registry, fed random and hostile payloads: it returns well-formed messages
 * or throws ConvertError (which the router logs with the topic and drops). Anything else (a
 * TypeError, a NaN reading, an Infinity counter) would reach the energy accounts or crash a handler.
 * New converters are fuzzed as soon as they are registered.
 */

/** A real payload per converter, so mutations start from something each one accepts. */
const SEEDS: Record<
  string,
  { file?: string; json?: Record<string, unknown>; params?: Record<string, string> }
> = {
  'speaker-utterance': {
    json: { text: '帮我买两袋猫粮', sessionId: 's-1', lang: 'zh-CN', voiceProfile: 'alice' },
  },
  'meter-reading': { json: { energyWh: 123456.7, powerW: 85.2, ts: '2026-11-27T08:00:00Z' } },
  'tasmota-sensor': { file: 'tasmota-sensor.json' },
  'tasmota-state': { file: 'tasmota-state.json' },
  'tasmota-lwt': { file: 'tasmota-lwt.txt' },
  'shelly-gen1-energy': { file: 'shelly-gen1-energy.txt', params: { n: '0' } },
  'shelly-gen1-power': { file: 'shelly-gen1-power.txt', params: { n: '0' } },
  'shelly-online': { file: 'shelly-gen1-online.txt' },
  'shelly-gen2-notify': { file: 'shelly-gen2-notifystatus.json' },
  'shelly-gen2-switch-status': { file: 'shelly-gen2-status-switch.json', params: { n: '0' } },
  'zigbee2mqtt-state': { file: 'zigbee2mqtt-plug.json' },
  'zigbee2mqtt-availability': { file: 'zigbee2mqtt-availability.json' },
  'hermes-intent': { file: 'hermes-intent.json', params: { intentName: 'PlaceOrder' } },
  'hermes-intent-not-recognized': { file: 'hermes-nlu-intentNotRecognized.json' },
  ignore: { json: {} },
};

function seedObject(name: string): Record<string, unknown> {
  const seed = SEEDS[name];
  if (seed?.json) return seed.json;
  if (seed?.file) {
    const text = fixture(seed.file).toString('utf8');
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {
      // A plain-text payload (Shelly Gen1, Tasmota LWT).
    }
  }
  return {};
}

/** What the rest of the hub relies on in a decoded message. */
function wellFormed(message: DeviceMessage): string | undefined {
  switch (message.kind) {
    case 'reading': {
      const { energyWh, powerW, ts, channel } = message;
      if (energyWh !== undefined && !(Number.isFinite(energyWh) && energyWh >= 0))
        return `energyWh ${energyWh}`;
      if (powerW !== undefined && !Number.isFinite(powerW)) return `powerW ${powerW}`;
      if (ts !== undefined && (typeof ts !== 'string' || Number.isNaN(Date.parse(ts)))) return `ts ${ts}`;
      if (channel !== undefined && !(Number.isSafeInteger(channel) && channel >= 0))
        return `channel ${channel}`;
      return undefined;
    }
    case 'availability':
      return typeof message.online === 'boolean' ? undefined : 'online is not a boolean';
    case 'utterance':
      return typeof message.text === 'string' && typeof message.sessionId === 'string'
        ? undefined
        : 'text or sessionId is not a string';
    case 'voice-intent':
      return typeof message.intentName === 'string' &&
        typeof message.input === 'string' &&
        typeof message.siteId === 'string' &&
        Array.isArray(message.slots)
        ? undefined
        : 'intent fields are not strings';
  }
}

const paramsArb = fc.dictionary(
  fc.constantFrom('n', 'intentName', 'child', 'identity'),
  fc.oneof(fc.constantFrom('0', '1', '999', '-1', '1.5', '', 'x', '0000'), fc.string({ maxLength: 6 })),
);

const CONVERTER_RUNS = 1000 * FUZZ_SCALE;

describe('fuzzing every device converter', () => {
  const names = Object.keys(converters);

  it('covers every registered converter with a seed payload', () => {
    expect(names.length).toBeGreaterThanOrEqual(15);
    for (const name of names) expect(SEEDS[name], `add a seed for converter ${name}`).toBeDefined();
  });

  it.each(names)('%s returns well-formed messages or throws ConvertError, for any payload', (name) => {
    const convert = converters[name] as (typeof converters)[string];
    const seed = SEEDS[name] ?? {};
    const payloads = fc.oneof(
      hostileBytes,
      deepMutated(seedObject(name)).map((object) => Buffer.from(JSON.stringify(object), 'utf8')),
      hostileValue.map((value) => Buffer.from(JSON.stringify(value) ?? '', 'utf8')),
    );
    fc.assert(
      fc.property(payloads, fc.option(paramsArb, { nil: undefined }), (payload, params) => {
        let messages: DeviceMessage[];
        try {
          messages = convert({
            topic: 'fuzz/topic',
            params: { identity: 'device', ...seed.params, ...params },
            payload,
          });
        } catch (err) {
          if (err instanceof ConvertError) return;
          throw err;
        }
        expect(Array.isArray(messages)).toBe(true);
        for (const message of messages) expect(wellFormed(message), JSON.stringify(message)).toBeUndefined();
      }),
      { numRuns: CONVERTER_RUNS },
    );
  });

  it('refuses counters and powers no household has, which used to overflow to Infinity', () => {
    // Found by this fuzzer: Tasmota's ENERGY.Total of 1.8e302 kWh became an energyWh of Infinity.
    const sensor = converters['tasmota-sensor'] as (typeof converters)[string];
    const payload = (total: number, power: number) =>
      Buffer.from(JSON.stringify({ ENERGY: { Total: total, Power: power } }));
    expect(() =>
      sensor({ topic: 't', params: { identity: 'x' }, payload: payload(1.797693134862316e302, 1) }),
    ).toThrow(ConvertError);
    expect(() => sensor({ topic: 't', params: { identity: 'x' }, payload: payload(1, 1e300) })).toThrow(
      ConvertError,
    );
    expect(sensor({ topic: 't', params: { identity: 'x' }, payload: payload(48.372, 36) })).toEqual([
      { kind: 'reading', channel: 0, energyWh: 48372, powerW: 36 },
    ]);
  });

  it.each(names)('%s refuses a 1 MB payload without parsing it', (name) => {
    const convert = converters[name] as (typeof converters)[string];
    const huge = Buffer.from(JSON.stringify({ text: 'x'.repeat(1024 * 1024) }));
    const started = performance.now();
    try {
      convert({ topic: 'fuzz/topic', params: { identity: 'device', n: '0' }, payload: huge });
    } catch (err) {
      expect(err).toBeInstanceOf(ConvertError);
    }
    expect(performance.now() - started).toBeLessThan(500);
  });
});
