import { describe, expect, it } from 'vitest';
import { converters } from '../../src/devices/converters/index.js';
import { MAX_PAYLOAD_BYTES } from '../../src/devices/converters/payload.js';
import { ConvertError, type DeviceMessage } from '../../src/devices/types.js';
import { fixture } from './fixtures.js';

/** Runs a registered converter on a payload (a fixture's bytes, a string, or a JSON value). */
function convert(
  name: string,
  payload: Buffer | string | object,
  params: Record<string, string> = {},
): DeviceMessage[] {
  const converter = converters[name];
  if (!converter) throw new Error(`no converter ${name}`);
  const bytes = Buffer.isBuffer(payload)
    ? payload
    : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload), 'utf8');
  return converter({ topic: 'test/topic', params: { identity: 'device', ...params }, payload: bytes });
}

function json(file: string): Record<string, unknown> {
  return JSON.parse(fixture(file).toString('utf8')) as Record<string, unknown>;
}

function expectConvertError(run: () => unknown, message?: RegExp): void {
  expect(run).toThrow(ConvertError);
  if (message) expect(run).toThrow(message);
}

describe('native speaker utterance', () => {
  it('passes text, sessionId, lang and voiceProfile through', () => {
    expect(convert('speaker-utterance', fixture('homepay-speaker-utterance.json'))).toEqual([
      { kind: 'utterance', text: '帮我买两袋猫粮', sessionId: 's-123', lang: 'zh-CN', voiceProfile: 'alice' },
    ]);
  });

  it('leaves out optional keys that are absent or null', () => {
    expect(
      convert('speaker-utterance', { text: 'two bags of cat food', sessionId: 's-1', lang: null }),
    ).toEqual([{ kind: 'utterance', text: 'two bags of cat food', sessionId: 's-1' }]);
  });

  it('passes empty and very long text on for the voice domain to answer', () => {
    expect(convert('speaker-utterance', { text: '', sessionId: 's-1' })).toHaveLength(1);
    expect(convert('speaker-utterance', { text: '猫'.repeat(5000), sessionId: 's-1' })).toHaveLength(1);
  });

  it('passes text that is not a string on as no words, with the reason, so the speaker is asked again', () => {
    expect(convert('speaker-utterance', { text: 42, sessionId: 's-1' })).toEqual([
      { kind: 'utterance', text: '', sessionId: 's-1', unreadable: 'text must be a string, got number 42' },
    ]);
    expect(convert('speaker-utterance', { sessionId: 's-1', lang: 'en' })).toEqual([
      {
        kind: 'utterance',
        text: '',
        sessionId: 's-1',
        lang: 'en',
        unreadable: 'text must be a string, got undefined',
      },
    ]);
  });

  it('refuses a sessionId of the wrong type, a missing or empty sessionId, and a wrong lang', () => {
    expectConvertError(() => convert('speaker-utterance', { text: 'hi' }), /sessionId/);
    expectConvertError(() => convert('speaker-utterance', { text: 'hi', sessionId: '' }), /sessionId/);
    expectConvertError(() => convert('speaker-utterance', { text: 'hi', sessionId: 7 }), /sessionId/);
    expectConvertError(() => convert('speaker-utterance', { text: 'hi', sessionId: 's', lang: 1 }), /lang/);
  });
});

describe('native meter reading', () => {
  it('reads the energy counter, the power and the time in UTC', () => {
    expect(convert('meter-reading', fixture('homepay-meter-reading.json'))).toEqual([
      { kind: 'reading', energyWh: 123456.7, powerW: 85.2, ts: '2026-11-27T08:00:00.000Z' },
    ]);
  });

  it('turns a time with an offset into UTC and accepts power alone', () => {
    expect(convert('meter-reading', { powerW: 10, ts: '2026-11-27T16:00:00+08:00' })).toEqual([
      { kind: 'reading', powerW: 10, ts: '2026-11-27T08:00:00.000Z' },
    ]);
  });

  it('refuses a reading with nothing in it, a negative or infinite counter, or a time without offset', () => {
    expectConvertError(() => convert('meter-reading', {}), /energyWh, powerW/);
    expectConvertError(() => convert('meter-reading', { energyWh: -1 }), /energyWh/);
    expectConvertError(() => convert('meter-reading', '{"energyWh": 1e999}'), /energyWh/);
    expectConvertError(() => convert('meter-reading', { energyWh: '12' }), /energyWh must be a number/);
    expectConvertError(() => convert('meter-reading', { energyWh: 1, ts: '2026-11-27T08:00:00' }), /offset/);
  });
});

describe('Tasmota', () => {
  it('reads ENERGY.Total kWh as Wh and Power as W, without the offset-less local Time', () => {
    expect(convert('tasmota-sensor', fixture('tasmota-sensor.json'))).toEqual([
      { kind: 'reading', channel: 0, energyWh: 48372, powerW: 36 },
    ]);
  });

  it('keeps Time when SetOption52 adds the offset', () => {
    const body = { ...json('tasmota-sensor.json'), Time: '2026-11-27T16:05:00+08:00' };
    expect(convert('tasmota-sensor', body)).toEqual([
      { kind: 'reading', channel: 0, energyWh: 48372, powerW: 36, ts: '2026-11-27T08:05:00.000Z' },
    ]);
  });

  it('sums the phases of a three-phase meter', () => {
    const body = { ENERGY: { Total: [1.5, 2.25, 0.25], Power: [100, 200, 50] } };
    expect(convert('tasmota-sensor', body)).toEqual([
      { kind: 'reading', channel: 0, energyWh: 4000, powerW: 350 },
    ]);
  });

  it('gives nothing for a SENSOR message without ENERGY', () => {
    expect(convert('tasmota-sensor', { Time: '2026-11-27T16:05:00', AM2301: { Temperature: 21.3 } })).toEqual(
      [],
    );
  });

  it('refuses a negative, infinite or textual Total', () => {
    expectConvertError(() => convert('tasmota-sensor', { ENERGY: { Total: -0.1 } }), /ENERGY.Total/);
    expectConvertError(() => convert('tasmota-sensor', '{"ENERGY":{"Total":1e999}}'), /ENERGY.Total/);
    expectConvertError(() => convert('tasmota-sensor', { ENERGY: { Total: '48.372' } }), /ENERGY.Total/);
    expectConvertError(() => convert('tasmota-sensor', { ENERGY: 'on' }), /ENERGY must be an object/);
  });

  it('reads the LWT as availability', () => {
    expect(convert('tasmota-lwt', fixture('tasmota-lwt.txt'))).toEqual([
      { kind: 'availability', online: true },
    ]);
    expect(convert('tasmota-lwt', fixture('tasmota-lwt-offline.txt'))).toEqual([
      { kind: 'availability', online: false },
    ]);
    expectConvertError(() => convert('tasmota-lwt', 'Maybe'), /Online or Offline/);
  });

  it('takes nothing from STATE but still refuses a malformed one', () => {
    expect(convert('tasmota-state', fixture('tasmota-state.json'))).toEqual([]);
    expectConvertError(() => convert('tasmota-state', 'ON'), /not JSON/);
  });
});

describe('Shelly Gen1', () => {
  it('turns the watt-minute energy counter into Wh for relay n', () => {
    expect(convert('shelly-gen1-energy', fixture('shelly-gen1-energy.txt'), { n: '0' })).toEqual([
      { kind: 'reading', energyWh: 48.383, channel: 0 },
    ]);
    expect(convert('shelly-gen1-energy', '600', { n: '1' })).toEqual([
      { kind: 'reading', energyWh: 10, channel: 1 },
    ]);
  });

  it('reads power in W', () => {
    expect(convert('shelly-gen1-power', fixture('shelly-gen1-power.txt'), { n: '0' })).toEqual([
      { kind: 'reading', powerW: 36.52, channel: 0 },
    ]);
  });

  it('reads online true and false', () => {
    expect(convert('shelly-online', fixture('shelly-gen1-online.txt'))).toEqual([
      { kind: 'availability', online: true },
    ]);
    expect(convert('shelly-online', 'false')).toEqual([{ kind: 'availability', online: false }]);
    expectConvertError(() => convert('shelly-online', 'yes'), /true or false/);
  });

  it('refuses energy that is negative, not a decimal number, or on a channel that is not a number', () => {
    expectConvertError(() => convert('shelly-gen1-energy', '-5', { n: '0' }), /at least 0/);
    expectConvertError(() => convert('shelly-gen1-energy', '0x10', { n: '0' }), /decimal/);
    expectConvertError(() => convert('shelly-gen1-energy', 'NaN', { n: '0' }), /decimal/);
    expectConvertError(() => convert('shelly-gen1-energy', '', { n: '0' }), /decimal/);
    expectConvertError(() => convert('shelly-gen1-energy', '10', { n: 'x' }), /channel/);
  });
});

describe('Shelly Gen2+', () => {
  it('reads switch:0 energy (Wh), power and the notification time from NotifyStatus', () => {
    expect(convert('shelly-gen2-notify', fixture('shelly-gen2-notifystatus.json'))).toEqual([
      {
        kind: 'reading',
        channel: 0,
        energyWh: 48372.114,
        powerW: 36.4,
        ts: new Date(1795766462310).toISOString(),
      },
    ]);
  });

  it('gives one reading per metered switch and nothing for a status without switch energy', () => {
    const frame = {
      method: 'NotifyStatus',
      params: {
        ts: 1795766462.31,
        'switch:0': { id: 0, apower: 5 },
        'switch:1': { id: 1, aenergy: { total: 7 } },
      },
    };
    expect(convert('shelly-gen2-notify', frame)).toHaveLength(2);
    const noEnergy = {
      method: 'NotifyStatus',
      params: { ts: 1795766462.31, 'switch:0': { id: 0, output: false } },
    };
    expect(convert('shelly-gen2-notify', noEnergy)).toEqual([]);
    expect(
      convert('shelly-gen2-notify', { method: 'NotifyStatus', params: { ts: 1, sys: { uptime: 5 } } }),
    ).toEqual([]);
    expect(convert('shelly-gen2-notify', { method: 'NotifyEvent', params: { ts: 1, events: [] } })).toEqual(
      [],
    );
  });

  it('leaves out the time of a device whose clock is not set', () => {
    const frame = { method: 'NotifyStatus', params: { ts: 12.5, 'switch:0': { id: 0, apower: 5 } } };
    expect(convert('shelly-gen2-notify', frame)).toEqual([{ kind: 'reading', channel: 0, powerW: 5 }]);
  });

  it('reads a full switch status for the channel in the topic', () => {
    expect(
      convert('shelly-gen2-switch-status', fixture('shelly-gen2-status-switch.json'), { n: '0' }),
    ).toEqual([{ kind: 'reading', channel: 0, energyWh: 48372.114, powerW: 36.4 }]);
  });

  it('refuses a NotifyStatus without params, a negative total or a textual power', () => {
    expectConvertError(() => convert('shelly-gen2-notify', { method: 'NotifyStatus' }), /params/);
    const negative = { method: 'NotifyStatus', params: { 'switch:0': { aenergy: { total: -1 } } } };
    expectConvertError(() => convert('shelly-gen2-notify', negative), /aenergy.total/);
    expectConvertError(() => convert('shelly-gen2-switch-status', { apower: '36.4' }, { n: '0' }), /apower/);
    expectConvertError(() => convert('shelly-gen2-notify', [1, 2]), /JSON object/);
  });
});

describe('Zigbee2MQTT', () => {
  it('reads a plug state: energy kWh as Wh, power W', () => {
    expect(convert('zigbee2mqtt-state', fixture('zigbee2mqtt-plug.json'))).toEqual([
      { kind: 'reading', channel: 0, energyWh: 48370, powerW: 36 },
    ]);
  });

  it('gives nothing for a device without energy or power', () => {
    expect(convert('zigbee2mqtt-state', { action: 'single', battery: 90, linkquality: 80 })).toEqual([]);
  });

  it('reads availability as JSON (2.x) and as plain text (1.x legacy)', () => {
    expect(convert('zigbee2mqtt-availability', fixture('zigbee2mqtt-availability.json'))).toEqual([
      { kind: 'availability', online: true },
    ]);
    expect(convert('zigbee2mqtt-availability', fixture('zigbee2mqtt-bridge-state.json'))).toEqual([
      { kind: 'availability', online: true },
    ]);
    expect(convert('zigbee2mqtt-availability', 'offline')).toEqual([{ kind: 'availability', online: false }]);
    expect(convert('zigbee2mqtt-availability', { state: 'offline' })).toEqual([
      { kind: 'availability', online: false },
    ]);
    expectConvertError(() => convert('zigbee2mqtt-availability', { state: 'ON' }), /online or offline/);
    expectConvertError(() => convert('zigbee2mqtt-availability', '{"state":'), /not JSON/);
  });

  it('refuses a negative or textual energy', () => {
    expectConvertError(() => convert('zigbee2mqtt-state', { energy: -3 }), /energy/);
    expectConvertError(() => convert('zigbee2mqtt-state', { energy: '48.37' }), /energy must be a number/);
  });
});

describe('Hermes', () => {
  it('reads an English intent with its slots unwrapped', () => {
    expect(convert('hermes-intent', fixture('hermes-intent.json'), { intentName: 'PlaceOrder' })).toEqual([
      {
        kind: 'voice-intent',
        intentName: 'PlaceOrder',
        input: 'order 2 bags of cat food',
        siteId: 'kitchen',
        sessionId: 'kitchen-default-6f1c2a0e-3b57-4d4e-9a61-2f0d7c9b8e13',
        slots: [
          { slotName: 'quantity', value: 2, rawValue: 'two' },
          { slotName: 'item', value: 'cat food', rawValue: 'cat food' },
        ],
      },
    ]);
  });

  it('reads a Chinese intent with its lang', () => {
    const [intent] = convert('hermes-intent', fixture('hermes-intent-zh.json'), { intentName: 'PlaceOrder' });
    expect(intent).toMatchObject({ input: '帮我买两袋猫粮', siteId: 'livingroom', lang: 'zh' });
    expect(intent).toHaveProperty('slots', [
      { slotName: 'quantity', value: 2, rawValue: '两' },
      { slotName: 'item', value: '猫粮', rawValue: '猫粮' },
    ]);
  });

  it('accepts null or absent optional keys and a Snips-style bare slot value', () => {
    const minimal = {
      input: 'how much did I spend',
      intent: { intentName: 'CheckSpending' },
      siteId: 'kitchen',
      slots: [{ slotName: 'period', value: 'week' }],
    };
    expect(convert('hermes-intent', minimal, { intentName: 'CheckSpending' })).toEqual([
      {
        kind: 'voice-intent',
        intentName: 'CheckSpending',
        input: 'how much did I spend',
        siteId: 'kitchen',
        sessionId: null,
        slots: [{ slotName: 'period', value: 'week' }],
      },
    ]);
    const nulls = { ...minimal, slots: null, sessionId: null, lang: null, customData: null };
    expect(convert('hermes-intent', nulls, { intentName: 'CheckSpending' })[0]).toMatchObject({
      slots: [],
      sessionId: null,
    });
  });

  it('reads intentNotRecognized as the intent NotRecognized', () => {
    expect(convert('hermes-intent-not-recognized', fixture('hermes-nlu-intentNotRecognized.json'))).toEqual([
      {
        kind: 'voice-intent',
        intentName: 'NotRecognized',
        input: 'order the blue thing from last week',
        siteId: 'kitchen',
        sessionId: 'kitchen-default-6f1c2a0e-3b57-4d4e-9a61-2f0d7c9b8e13',
        slots: [],
      },
    ]);
  });

  it('refuses an intent without siteId, with slots of the wrong type, or naming another intent than its topic', () => {
    const intent = json('hermes-intent.json');
    const { siteId: _siteId, ...withoutSite } = intent;
    expectConvertError(() => convert('hermes-intent', withoutSite, { intentName: 'PlaceOrder' }), /siteId/);
    expectConvertError(
      () => convert('hermes-intent', { ...intent, slots: 'x' }, { intentName: 'PlaceOrder' }),
      /slots/,
    );
    expectConvertError(
      () => convert('hermes-intent', { ...intent, slots: [{ value: 1 }] }, { intentName: 'PlaceOrder' }),
      /slotName/,
    );
    expectConvertError(() => convert('hermes-intent', intent, { intentName: 'CancelOrder' }), /differs/);
    expectConvertError(
      () => convert('hermes-intent', { ...intent, intent: null }, { intentName: 'PlaceOrder' }),
      /intent must be/,
    );
    expectConvertError(() => convert('hermes-intent-not-recognized', { input: 'x', siteId: 3 }), /siteId/);
  });
});

describe('every converter', () => {
  const names = Object.keys(converters).filter((name) => name !== 'ignore');

  it.each(names)('%s refuses a payload over the size limit', (name) => {
    const huge = Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20);
    expectConvertError(() => convert(name, huge, { n: '0', intentName: 'PlaceOrder' }), /limit/);
  });

  it.each(names)('%s refuses bytes that are not UTF-8', (name) => {
    expectConvertError(
      () => convert(name, Buffer.from([0xff, 0xfe, 0x7b]), { n: '0', intentName: 'PlaceOrder' }),
      /UTF-8/,
    );
  });

  it.each(names)('%s refuses a payload that is neither JSON nor its plain text', (name) => {
    expectConvertError(() => convert(name, '{not json', { n: '0', intentName: 'PlaceOrder' }));
  });

  it('has no converter under an inherited name such as toString', () => {
    expect(converters.toString).toBeUndefined();
    expect(converters.constructor).toBeUndefined();
  });

  it('ignore gives nothing for anything', () => {
    expect(convert('ignore', Buffer.alloc(MAX_PAYLOAD_BYTES * 2))).toEqual([]);
  });
});
