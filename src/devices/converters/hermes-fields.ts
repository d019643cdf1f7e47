/**
 * Fields every Hermes message the hub decodes shares (rhasspy-hermes dataclasses, camelCase keys).
 * Rhasspy writes unset optionals as `null`, Snips leaves them out: both mean absent. Not a converter.
 */
import { ConvertError } from '../types.js';
import { type JsonObject, optionalString, requiredString } from './payload.js';

/** The satellite that heard it; required, because the hub checks it against the publishing client. */
export function siteIdOf(message: JsonObject): string {
  const siteId = requiredString(message, 'siteId');
  if (siteId.length === 0) throw new ConvertError('siteId must not be empty');
  return siteId;
}

/** `null` when the NLU was queried outside a dialogue session (answer with `hermes/tts/say`). */
export function sessionIdOf(message: JsonObject): string | null {
  return optionalString(message, 'sessionId') ?? null;
}
