/**
 * Rhasspy / Snips -> hub `hermes/intent/{intentName}`: the recognized intent (rhasspy-hermes
 * `NluIntent`): `input`, `intent.intentName`, `siteId`, `sessionId` (string or null), `slots`
 * (array or null) of `{slotName, value: {kind, value}, rawValue, ...}`, `lang` (Rhasspy only).
 */
import { ConvertError, type Converter, type HermesSlot } from '../types.js';
import { sessionIdOf, siteIdOf } from './hermes-fields.js';
import {
  describe,
  isObject,
  type JsonObject,
  optionalString,
  payloadObject,
  requiredString,
} from './payload.js';

function readSlot(slot: unknown, index: number): HermesSlot {
  const where = `slots[${index}]`;
  if (!isObject(slot)) throw new ConvertError(`${where} must be an object, got ${describe(slot)}`);
  const slotName = requiredString(slot, 'slotName', `${where}.slotName`);
  // Rhasspy and real Snips send `value: {kind, value}`; Snips' own docs show a bare value. Keep the
  // inner value: a number for `kind: Number`, otherwise usually the text (re-parse rawValue then).
  const wrapped = slot.value;
  const value = isObject(wrapped) && 'value' in wrapped ? wrapped.value : wrapped;
  const rawValue = optionalString(slot, 'rawValue', `${where}.rawValue`);
  return { slotName, value, ...(rawValue === undefined ? {} : { rawValue }) };
}

function readSlots(message: JsonObject): HermesSlot[] {
  const slots = message.slots;
  if (slots === undefined || slots === null) return [];
  if (!Array.isArray(slots)) throw new ConvertError(`slots must be an array or null, got ${describe(slots)}`);
  return slots.map(readSlot);
}

export const hermesIntent: Converter = (input) => {
  const message = payloadObject(input);
  const intent = message.intent;
  if (!isObject(intent)) throw new ConvertError(`intent must be an object, got ${describe(intent)}`);
  const intentName = requiredString(intent, 'intentName', 'intent.intentName');
  // The topic names the intent too; a payload that disagrees with it is not to be trusted.
  const topicName = input.params.intentName;
  if (topicName !== undefined && topicName !== intentName) {
    throw new ConvertError(`intent.intentName "${intentName}" differs from the topic's "${topicName}"`);
  }
  const lang = optionalString(message, 'lang');
  return [
    {
      kind: 'voice-intent',
      intentName,
      input: requiredString(message, 'input'),
      siteId: siteIdOf(message),
      sessionId: sessionIdOf(message),
      slots: readSlots(message),
      ...(lang === undefined ? {} : { lang }),
    },
  ];
};
