/**
 * The two simulated voices: a native homepay speaker that sends what it heard as text
 * (`homepay/speaker/{id}/utterance`) and listens on its `say` topic, and a Rhasspy satellite that
 * runs a Hermes dialogue (hotword, session, ASR text, the `PlaceOrder` intent with its slots) and
 * ends the session when the hub answers. Both ask for catalog items in Chinese and English.
 */
import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';

export interface VoiceListener {
  said(who: string, text: string): void;
  heard(who: string, text: string): void;
}

const SPEAKER_LINES: Array<{ text: string; lang: string }> = [
  { text: '帮我买两袋猫粮', lang: 'zh-CN' },
  { text: '来一箱纯牛奶', lang: 'zh-CN' },
  { text: '买一盒鸡蛋', lang: 'zh-CN' },
  { text: 'order a bag of rice', lang: 'en-US' },
  { text: 'buy two boxes of cat treats', lang: 'en-US' },
  { text: '帮我买一桶花生油', lang: 'zh-CN' },
];

const SATELLITE_ORDERS: Array<{ input: string; item: string; quantity: number; raw: string; lang: string }> =
  [
    { input: 'order two bags of cat food', item: 'cat food', quantity: 2, raw: 'two', lang: 'en' },
    { input: '帮我买一箱酸奶', item: '酸奶', quantity: 1, raw: '一', lang: 'zh' },
    { input: 'order a box of eggs', item: 'eggs', quantity: 1, raw: 'a', lang: 'en' },
    { input: '帮我买一袋大米', item: '大米', quantity: 1, raw: '一', lang: 'zh' },
  ];

export const HERMES_REPLY_TOPICS = [
  'hermes/dialogueManager/endSession',
  'hermes/dialogueManager/continueSession',
  'hermes/tts/say',
];

export interface SimulatedVoice {
  readonly name: string;
  start(): Promise<void>;
  order(): Promise<void>;
}

export class SimulatedSpeaker implements SimulatedVoice {
  readonly name = 'speaker';
  private turn = 0;

  constructor(
    private readonly client: MqttClient,
    private readonly deviceId: string,
    private readonly listener: VoiceListener,
  ) {}

  async start(): Promise<void> {
    const sayTopic = `homepay/speaker/${this.deviceId}/say`;
    this.client.on('message', (topic, payload) => {
      if (topic !== sayTopic) return;
      const text = readText(payload);
      if (text !== undefined) this.listener.heard(this.name, text);
    });
    await this.client.subscribeAsync(sayTopic, { qos: 1 });
  }

  async order(): Promise<void> {
    const line = SPEAKER_LINES[this.turn++ % SPEAKER_LINES.length] as (typeof SPEAKER_LINES)[number];
    this.listener.said(this.name, line.text);
    await this.client.publishAsync(
      `homepay/speaker/${this.deviceId}/utterance`,
      JSON.stringify({ text: line.text, sessionId: `sim-${randomUUID()}`, lang: line.lang }),
      { qos: 1 },
    );
  }
}

export class SimulatedSatellite implements SimulatedVoice {
  readonly name = 'satellite';
  private turn = 0;
  /** Dialogue sessions this satellite opened and the hub has not ended yet. */
  private readonly sessions = new Set<string>();

  constructor(
    private readonly client: MqttClient,
    private readonly siteId: string,
    private readonly listener: VoiceListener,
  ) {}

  async start(): Promise<void> {
    this.client.on('message', (topic, payload) => {
      if (!HERMES_REPLY_TOPICS.includes(topic)) return;
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
      } catch {
        return;
      }
      const sessionId = typeof body.sessionId === 'string' ? body.sessionId : null;
      const text = typeof body.text === 'string' ? body.text : '';
      if (topic === 'hermes/tts/say') {
        if (body.siteId !== this.siteId) return;
        this.listener.heard(this.name, text);
        void this.publish('hermes/tts/sayFinished', { siteId: this.siteId, id: body.id ?? null, sessionId });
        return;
      }
      if (!sessionId || !this.sessions.delete(sessionId)) return;
      this.listener.heard(this.name, text);
      // A question (continueSession) is not answered: the satellite's user walks away.
      const reason = topic.endsWith('endSession') ? 'nominal' : 'abortedByUser';
      void this.publish('hermes/dialogueManager/sessionEnded', {
        termination: { reason },
        sessionId,
        siteId: this.siteId,
        customData: null,
      });
    });
    await this.client.subscribeAsync(HERMES_REPLY_TOPICS, { qos: 1 });
  }

  async order(): Promise<void> {
    const order = SATELLITE_ORDERS[
      this.turn++ % SATELLITE_ORDERS.length
    ] as (typeof SATELLITE_ORDERS)[number];
    const sessionId = `${this.siteId}-default-${randomUUID()}`;
    const siteId = this.siteId;
    this.sessions.add(sessionId);
    this.listener.said(this.name, order.input);
    await this.publish('hermes/hotword/default/detected', {
      modelId: 'default',
      modelVersion: '',
      modelType: 'personal',
      currentSensitivity: 0.5,
      siteId,
      sessionId: null,
      sendAudioCaptured: null,
      lang: null,
      customEntities: null,
    });
    await this.publish('hermes/dialogueManager/sessionStarted', {
      sessionId,
      siteId,
      customData: null,
      lang: null,
    });
    await this.publish('hermes/asr/textCaptured', {
      text: order.input,
      likelihood: 0.91,
      seconds: 1.4,
      siteId,
      sessionId,
      wakewordId: 'default',
      asrTokens: null,
      lang: order.lang,
    });
    await this.publish('hermes/intent/PlaceOrder', {
      input: order.input,
      intent: { intentName: 'PlaceOrder', confidenceScore: 0.94 },
      siteId,
      id: null,
      slots: [
        {
          entity: 'rhasspy/number',
          value: { kind: 'Number', value: order.quantity },
          slotName: 'quantity',
          rawValue: order.raw,
          confidence: 1,
        },
        {
          entity: 'items',
          value: { kind: 'Unknown', value: order.item },
          slotName: 'item',
          rawValue: order.item,
          confidence: 1,
        },
      ],
      sessionId,
      customData: null,
      asrTokens: null,
      asrConfidence: 0.91,
      rawInput: order.input,
      wakewordId: 'default',
      lang: order.lang,
    });
  }

  private async publish(topic: string, body: Record<string, unknown>): Promise<void> {
    await this.client.publishAsync(topic, JSON.stringify(body), { qos: 1 });
  }
}

function readText(payload: Buffer): string | undefined {
  try {
    const body = JSON.parse(payload.toString('utf8')) as { text?: unknown };
    return typeof body.text === 'string' ? body.text : undefined;
  } catch {
    return undefined;
  }
}
