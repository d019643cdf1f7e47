import type { UtteranceMessage, VoiceIntentMessage } from '../devices/types.js';
import { newId } from '../ids.js';
import type { Interpretation, Interpreter } from './interpret.js';
import type { Conversation } from './replies.js';

/**
 * The two ways words reach the voice domain, made one: a native speaker's utterance (the hub
 * parses the text) and a Hermes intent from Rhasspy (its NLU already found the intent and slots;
 * the hub reads them, and re-reads words where the slots carry no number).
 */

/** The Hermes intents this hub answers; others belong to other Hermes apps and are left alone. */
export const HERMES_INTENTS = new Set([
  'PlaceOrder',
  'Reorder',
  'CancelOrder',
  'CheckBalance',
  'CheckSpending',
  'NotRecognized',
]);

/** What was heard, whichever way it came (native speaker or Hermes). */
export interface Heard {
  conversation: Conversation;
  /** The words as said, for the phone and the log. */
  said: string;
  /** The session an order belongs to and is made idempotent by. */
  sessionKey: string;
  voiceProfile?: string;
  /** The words to read as the answer to an open "which one?". */
  answerText: string;
  interpret(): Interpretation;
}

export function heardFromSpeaker(
  deviceId: string,
  message: UtteranceMessage,
  interpreter: Interpreter,
): Heard {
  return {
    conversation: {
      deviceId,
      channel: 'speaker',
      sessionId: message.sessionId,
      lang: interpreter.languageOf(message.text, message.lang),
      ...(message.lang === undefined ? {} : { tag: message.lang }),
    },
    said: message.text,
    sessionKey: message.sessionId,
    ...(message.voiceProfile === undefined ? {} : { voiceProfile: message.voiceProfile }),
    answerText: message.text,
    interpret: () => interpreter.interpret(message.text, message.lang),
  };
}

export function heardFromHermes(
  deviceId: string,
  message: VoiceIntentMessage,
  interpreter: Interpreter,
): Heard {
  const slot = (name: string) => message.slots.find((s) => s.slotName === name);
  const item = slot('item');
  const itemText = typeof item?.value === 'string' ? item.value : item?.rawValue;
  const quantity = slot('quantity');
  const lang = interpreter.languageOf(
    message.input.trim() === '' ? (itemText ?? '') : message.input,
    message.lang,
  );
  // Rhasspy ends the session itself after "not recognized": the answer goes by tts/say.
  const sessionId = message.intentName === 'NotRecognized' ? null : message.sessionId;
  const fixed = (kind: 'reorder' | 'cancel' | 'balance' | 'spending' | 'not_understood'): Interpretation => ({
    lang,
    kind,
  });
  const interpret = (): Interpretation => {
    switch (message.intentName) {
      case 'PlaceOrder':
        return interpreter.fromSlots(
          {
            ...(itemText === undefined ? {} : { item: itemText }),
            quantity: quantity?.value,
            ...(quantity?.rawValue === undefined ? {} : { quantityWords: quantity.rawValue }),
          },
          message.input,
          message.lang,
        );
      case 'Reorder':
        return fixed('reorder');
      case 'CancelOrder':
        return fixed('cancel');
      case 'CheckBalance':
        return fixed('balance');
      case 'CheckSpending':
        return fixed('spending');
      default:
        return message.input.trim() === '' ? { lang, kind: 'empty' } : fixed('not_understood');
    }
  };
  return {
    conversation: {
      deviceId,
      channel: 'hermes',
      sessionId,
      siteId: message.siteId,
      lang,
      ...(message.lang === undefined ? {} : { tag: message.lang }),
    },
    said: message.input,
    // Outside a session nothing identifies a redelivery; each message stands alone.
    sessionKey: message.sessionId ?? `nosession-${newId('ord')}`,
    answerText: itemText ?? message.input,
    interpret,
  };
}
