/**
 * Rhasspy / Snips -> hub `hermes/nlu/intentNotRecognized` (rhasspy-hermes `NluIntentNotRecognized`:
 * `input`, `siteId`, `id`, `customData`, `sessionId`), as an intent named `NotRecognized` so the voice
 * domain answers it out loud like any other. Rhasspy usually ends the session itself after this, so
 * the answer goes by `hermes/tts/say` (see protocols README 1.6).
 */
import type { Converter } from '../types.js';
import { sessionIdOf, siteIdOf } from './hermes-fields.js';
import { optionalString, payloadObject } from './payload.js';

export const hermesIntentNotRecognized: Converter = (input) => {
  const message = payloadObject(input);
  const lang = optionalString(message, 'lang');
  return [
    {
      kind: 'voice-intent',
      intentName: 'NotRecognized',
      // Rhasspy always sends the text; Snips may not. An empty input is still worth an answer.
      input: optionalString(message, 'input') ?? '',
      siteId: siteIdOf(message),
      sessionId: sessionIdOf(message),
      slots: [],
      ...(lang === undefined ? {} : { lang }),
    },
  ];
};
