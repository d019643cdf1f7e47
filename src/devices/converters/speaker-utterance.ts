/**
 * homepay speaker -> hub `homepay/speaker/{deviceId}/utterance` (SPEC "Voice orders"):
 * `{"text": "帮我买两袋猫粮", "sessionId": "s-123", "lang": "zh-CN", "voiceProfile": "alice"}`.
 */
import { ConvertError, type Converter } from '../types.js';
import { describe, optionalString, payloadObject, requiredString } from './payload.js';

export const speakerUtterance: Converter = (input) => {
  const body = payloadObject(input);
  // The sessionId is the idempotency key of a voice order (a QoS 1 redelivery must not order twice).
  const sessionId = requiredString(body, 'sessionId');
  if (sessionId.length === 0) {
    throw new ConvertError(`sessionId must not be empty, got ${describe(sessionId)}`);
  }
  const lang = optionalString(body, 'lang');
  const voiceProfile = optionalString(body, 'voiceProfile');
  // Any string is passed on, even empty or very long: the voice domain answers those out loud
  // ("I didn't catch that"), which a dropped message could not. Text that is not a string at all
  // (a buggy speaker sending a number or null) is passed on as no words, with the reason, for the
  // same spoken answer: someone is waiting at the speaker.
  const text = body.text;
  const unreadable = typeof text === 'string' ? undefined : `text must be a string, got ${describe(text)}`;
  return [
    {
      kind: 'utterance',
      text: typeof text === 'string' ? text : '',
      sessionId,
      ...(lang === undefined ? {} : { lang }),
      ...(voiceProfile === undefined ? {} : { voiceProfile }),
      ...(unreadable === undefined ? {} : { unreadable }),
    },
  ];
};
