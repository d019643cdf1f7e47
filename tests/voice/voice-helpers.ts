import type { MqttClient } from 'mqtt';
import type { Intent } from '../../src/payments/intent.js';
import { addDevice, type TestHub } from '../helpers/hub.js';
import { connectClient, eventually, topicMatches } from '../helpers/mqtt.js';

export interface Heard {
  topic: string;
  body: Record<string, unknown>;
}

/**
 * Everything a client receives on some filters, in order, so a test can read what a speaker heard
 * one message at a time (`next`) and also prove that nothing more came (`count`).
 */
export class Inbox {
  readonly messages: Heard[] = [];
  private read = 0;

  private constructor(private readonly client: MqttClient) {}

  static async open(client: MqttClient, filters: string[]): Promise<Inbox> {
    const inbox = new Inbox(client);
    client.on('message', (topic, payload) => {
      if (!filters.some((filter) => topicMatches(filter, topic))) return;
      inbox.messages.push({ topic, body: JSON.parse(payload.toString('utf8')) as Record<string, unknown> });
    });
    await client.subscribeAsync(filters, { qos: 1 });
    return inbox;
  }

  /** The next message not read yet, waiting for it if needed. */
  async next(timeoutMs = 5000): Promise<Heard> {
    await eventually(() => this.messages.length > this.read, timeoutMs);
    const message = this.messages[this.read] as Heard;
    this.read++;
    return message;
  }

  /** The text of the next message. */
  async nextText(timeoutMs = 5000): Promise<string> {
    return String((await this.next(timeoutMs)).body.text);
  }

  get unread(): number {
    return this.messages.length - this.read;
  }

  close(): Promise<void> {
    return this.client.endAsync();
  }
}

export interface TestSpeaker {
  id: string;
  client: MqttClient;
  inbox: Inbox;
  /** Publishes an utterance as the speaker does (QoS 1). */
  utter(text: unknown, sessionId: string, extra?: Record<string, unknown>): Promise<void>;
  /** The same device on a new connection (after a hub restart). */
  reconnect(): Promise<TestSpeaker>;
}

/** A native homepay speaker, registered through the API and connected over MQTT. */
export async function connectSpeaker(hub: TestHub, name = 'Kitchen speaker'): Promise<TestSpeaker> {
  const device = await addDevice(hub, { profile: 'homepay-speaker', name });
  return speakerClient(hub, device);
}

async function speakerClient(
  hub: TestHub,
  device: { id: string; username: string; password: string },
): Promise<TestSpeaker> {
  const client = await connectClient(hub.mqttPort, { username: device.username, password: device.password });
  const inbox = await Inbox.open(client, [`homepay/speaker/${device.id}/say`]);
  return {
    id: device.id,
    client,
    inbox,
    async utter(text, sessionId, extra = {}) {
      await client.publishAsync(
        `homepay/speaker/${device.id}/utterance`,
        JSON.stringify({ text, sessionId, ...extra }),
        { qos: 1 },
      );
    },
    reconnect: () => speakerClient(hub, device),
  };
}

export interface TestSatellite {
  id: string;
  siteId: string;
  client: MqttClient;
  inbox: Inbox;
  /** Publishes `hermes/intent/{name}` as Rhasspy's NLU does, with this satellite's siteId. */
  intent(name: string, body: Record<string, unknown>): Promise<void>;
  publish(topic: string, body: Record<string, unknown>): Promise<void>;
}

export const HERMES_REPLIES = [
  'hermes/dialogueManager/endSession',
  'hermes/dialogueManager/continueSession',
  'hermes/tts/say',
];

/** A Rhasspy satellite with its siteId as identity, listening to the hub's Hermes replies. */
export async function connectSatellite(hub: TestHub, siteId: string): Promise<TestSatellite> {
  const device = await addDevice(hub, { profile: 'rhasspy-satellite', name: siteId, identity: siteId });
  const client = await connectClient(hub.mqttPort, { username: device.username, password: device.password });
  const inbox = await Inbox.open(client, HERMES_REPLIES);
  const publish = async (topic: string, body: Record<string, unknown>) => {
    await client.publishAsync(topic, JSON.stringify(body), { qos: 1 });
  };
  return {
    id: device.id,
    siteId,
    client,
    inbox,
    publish,
    intent: (name, body) =>
      publish(`hermes/intent/${name}`, {
        intent: { intentName: name, confidenceScore: 1 },
        siteId,
        id: null,
        customData: null,
        ...body,
      }),
  };
}

/** Hermes slots as Rhasspy writes them. */
export function slots(item?: string, quantity?: number | string) {
  const list: Array<Record<string, unknown>> = [];
  if (quantity !== undefined) {
    list.push({
      entity: typeof quantity === 'number' ? 'rhasspy/number' : 'quantity',
      slotName: 'quantity',
      value:
        typeof quantity === 'number'
          ? { kind: 'Number', value: quantity }
          : { kind: 'Unknown', value: quantity },
      rawValue: String(quantity),
      confidence: 1,
    });
  }
  if (item !== undefined) {
    list.push({
      entity: 'items',
      slotName: 'item',
      value: { kind: 'Unknown', value: item },
      rawValue: item,
      confidence: 1,
    });
  }
  return list;
}

/** The intents a device's voice orders made. */
export function voiceIntents(hub: TestHub, deviceId: string): Intent[] {
  return hub.hub.intents
    .list({ limit: 500 })
    .filter((intent) => intent.source.kind === 'voice' && intent.source.deviceId === deviceId);
}

export function logsWith(hub: TestHub, msg: string): Array<Record<string, unknown>> {
  return hub.logs.filter((line) => line.msg === msg);
}
