import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import { hubTopics, type MqttTransport } from '../mqtt/topics.js';
import type { Lang } from './language.js';
import type { VoiceChannel } from './orders.js';

/** The Hermes topics the hub answers on (protocols README 1.5). */
export const hermesTopics = {
  endSession: 'hermes/dialogueManager/endSession',
  continueSession: 'hermes/dialogueManager/continueSession',
  ttsSay: 'hermes/tts/say',
} as const;

/** The intents a follow-up question listens for: an item named again, or "never mind". */
const FOLLOW_UP_INTENTS = ['PlaceOrder', 'CancelOrder'];

/** Who is being answered, and how to reach them. */
export interface Conversation {
  deviceId: string;
  channel: VoiceChannel;
  /** The speaker's sessionId; for Hermes the dialogue session, null outside one. */
  sessionId: string | null;
  /** The Hermes siteId (the satellite's identity); absent for native speakers. */
  siteId?: string;
  lang: Lang;
  /** The language tag the device sent (zh-CN, en), echoed back when it is the answer's language. */
  tag?: string;
}

/**
 * Speaks to a device. A native speaker hears everything on its own `say` topic. A Hermes satellite
 * hears an answer inside its dialogue session (`endSession`, or `continueSession` for a question),
 * and with `hermes/tts/say` to its siteId when there is no session: outside one, or after the
 * session was closed by the read-back. A publish that fails is logged; a reply never throws.
 */
export class VoiceReplies {
  constructor(
    private readonly transport: MqttTransport,
    private readonly logger: Logger,
  ) {}

  /** The last word of an exchange. */
  answer(to: Conversation, text: string): Promise<void> {
    if (to.channel === 'speaker') return this.speakerSay(to, text);
    if (to.sessionId)
      return this.send(to, hermesTopics.endSession, { sessionId: to.sessionId, text, customData: null });
    return this.ttsSay(to, text);
  }

  /** A question the person answers in the same conversation ("你要的是纯牛奶还是脱脂牛奶?"). */
  ask(to: Conversation, text: string): Promise<void> {
    if (to.channel === 'speaker') return this.speakerSay(to, text);
    if (!to.sessionId) return this.ttsSay(to, text);
    return this.send(to, hermesTopics.continueSession, {
      sessionId: to.sessionId,
      text,
      intentFilter: FOLLOW_UP_INTENTS,
      // A "not recognized" then ends the session on Rhasspy's side; the hub answers it by tts/say.
      sendIntentNotRecognized: false,
      customData: null,
      slot: null,
      lang: langTag(to),
    });
  }

  /** Said later, outside the conversation: how a payment ended. */
  announce(to: Conversation, text: string): Promise<void> {
    if (to.channel === 'speaker') return this.speakerSay(to, text);
    return this.ttsSay(to, text);
  }

  private speakerSay(to: Conversation, text: string): Promise<void> {
    return this.send(to, hubTopics.speakerSay(to.deviceId), {
      text,
      sessionId: to.sessionId,
      lang: langTag(to) ?? (to.lang === 'zh' ? 'zh-CN' : 'en-US'),
    });
  }

  private ttsSay(to: Conversation, text: string): Promise<void> {
    return this.send(to, hermesTopics.ttsSay, {
      text,
      siteId: to.siteId ?? null,
      lang: langTag(to),
      id: randomUUID(),
      sessionId: null,
      volume: null,
    });
  }

  private async send(to: Conversation, topic: string, payload: Record<string, unknown>): Promise<void> {
    try {
      await this.transport.publish(topic, JSON.stringify(payload), { qos: 1 });
      this.logger.debug({ deviceId: to.deviceId, topic, text: payload.text }, 'voice reply sent');
    } catch (err) {
      this.logger.warn({ deviceId: to.deviceId, topic, err: (err as Error).message }, 'voice reply not sent');
    }
  }
}

/** The device's own tag when it names the answer's language; null otherwise (Hermes: unset). */
function langTag(to: Conversation): string | null {
  if (!to.tag) return null;
  const primary = to.tag.toLowerCase().split(/[-_]/)[0];
  return primary === to.lang ? to.tag : null;
}
