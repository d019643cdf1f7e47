/**
 * Driving a real hub with energy readings: fixtures from tests/fixtures/energy, published by a real
 * MQTT client of the device, each at its own moment of a ManualClock, and waited for until the hub
 * has routed and stored it (the router runs in the broker's publish event, so a handler
 * registered after it sees a message only once it is done; the energy batch is then flushed).
 */
import { readFileSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import type { ManualClock } from '../helpers/clock.js';
import type { TestHub } from '../helpers/hub.js';
import { eventually } from '../helpers/mqtt.js';

export interface FixtureMessage {
  at: string;
  topic: string;
  payload: string | Record<string, unknown>;
}

export interface EnergyFixture {
  profile: string;
  identity?: string;
  child?: string;
  description: string;
  expect: { energyWh: number; cost: string; tariff: string };
  messages: FixtureMessage[];
}

export function energyFixture(name: string): EnergyFixture {
  const url = new URL(`../fixtures/energy/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as EnergyFixture;
}

/**
 * Counts messages the hub has finished routing and storing; registered after the router, so it runs
 * after it. The energy domain stores readings in batches on the next turn of the event loop; a test
 * asks for that batch at once, so it can read the state as soon as the message is counted.
 */
export function routedCounter(hub: TestHub): () => number {
  let routed = 0;
  hub.hub.transport.onMessage(() => {
    hub.hub.energy.flush();
    routed++;
  });
  return () => routed;
}

/** Moves the clock to `iso` (forwards or back). */
export function setClock(clock: ManualClock, iso: string): void {
  clock.advance(Date.parse(iso) - clock.now());
}

/** Publishes each message at its time and waits until the hub has handled it. */
export async function publishAt(
  clock: ManualClock,
  client: MqttClient,
  routed: () => number,
  messages: FixtureMessage[],
  vars: Record<string, string> = {},
): Promise<void> {
  for (const message of messages) {
    setClock(clock, message.at);
    const before = routed();
    const topic = message.topic.replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? `{${name}}`);
    const payload = typeof message.payload === 'string' ? message.payload : JSON.stringify(message.payload);
    await client.publishAsync(topic, payload, { qos: 1 });
    await eventually(() => routed() > before);
  }
}

/** A device's exact cost in a period, in 1/10^10 minor units, straight from the store. */
export function exactCost(hub: TestHub, scope: string, period: string, start: string): bigint {
  const row = hub.hub.db
    .prepare('SELECT cost FROM energy_totals WHERE scope = ? AND period = ? AND start = ?')
    .safeIntegers(true)
    .get(scope, period, start) as { cost: bigint } | undefined;
  return row?.cost ?? 0n;
}

/** Native meter readings (SPEC payload) at Beijing times: `[['2026-11-27 08:00', 1000], ...]`. */
export function meterReadings(
  readings: Array<[string, number, number?]>,
  deviceTopic = 'homepay/meter/{deviceId}/reading',
): FixtureMessage[] {
  return readings.map(([localTime, energyWh, powerW]) => {
    const at = new Date(Date.parse(`${localTime.replace(' ', 'T')}:00+08:00`)).toISOString();
    return {
      at,
      topic: deviceTopic,
      payload: { energyWh, ...(powerW === undefined ? {} : { powerW }), ts: at },
    };
  });
}
