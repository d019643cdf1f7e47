/**
 * Reading raw device payloads safely: every converter goes through these, so a malformed payload
 * always ends as a `ConvertError` with a sentence that says what was wrong, never as a crash or a
 * NaN that reaches the energy accounts. Not a converter itself (the registry is `index.ts`).
 */
import { ConvertError, type ConverterInput } from '../types.js';

/** Nothing the hub decodes is bigger than a few KiB; a bigger payload is refused before parsing. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

export type JsonObject = Record<string, unknown>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The payload as UTF-8 text, surrounding whitespace removed (plain payloads such as `Online`). */
export function payloadText(input: ConverterInput): string {
  if (input.payload.length > MAX_PAYLOAD_BYTES) {
    throw new ConvertError(
      `payload of ${input.payload.length} bytes is over the ${MAX_PAYLOAD_BYTES}-byte limit`,
    );
  }
  try {
    return utf8.decode(input.payload).trim();
  } catch {
    throw new ConvertError('payload is not valid UTF-8');
  }
}

export function payloadJson(input: ConverterInput): unknown {
  const text = payloadText(input);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConvertError(`payload is not JSON: ${(error as Error).message}`);
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The payload as a JSON object (not an array, string or number). */
export function payloadObject(input: ConverterInput): JsonObject {
  const value = payloadJson(input);
  if (!isObject(value)) throw new ConvertError(`payload must be a JSON object, got ${describe(value)}`);
  return value;
}

/** A short description of a value for error messages: `string "abc"`, `null`, `array`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') {
    return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value;
}

/** A field that must be a string. */
export function requiredString(object: JsonObject, key: string, where = key): string {
  const value = object[key];
  if (typeof value !== 'string') throw new ConvertError(`${where} must be a string, got ${describe(value)}`);
  return value;
}

/** An optional field: absent and `null` (Hermes writes `null` for unset optionals) both mean absent. */
export function optionalString(object: JsonObject, key: string, where = key): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new ConvertError(`${where} must be a string or null, got ${describe(value)}`);
  }
  return value;
}

/** An optional number field; absent and `null` mean absent. */
export function optionalNumber(object: JsonObject, key: string, where = key): number | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new ConvertError(`${where} must be a number, got ${describe(value)}`);
  return value;
}

/**
 * A cumulative energy counter: finite and not negative. A counter that goes down between readings is
 * a reset, which the energy domain handles; a negative or infinite one is a broken payload.
 */
export function energyCounter(value: number, where: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new ConvertError(`${where} must be a finite energy counter of at least 0, got ${value}`);
  }
  // No household meter counts to 10^9 (a million kWh even in Wh); beyond it a kWh value times 1000
  // could overflow to Infinity, and the mWh the energy domain stores would lose exactness (issue 10).
  if (value > MAX_COUNTER) {
    throw new ConvertError(`${where} of ${value} is beyond any household meter (at most ${MAX_COUNTER})`);
  }
  return value;
}

/** The largest counter or power value a converter passes on, in the payload's own unit. */
const MAX_COUNTER = 1e9;
const MAX_POWER_W = 1e6;

/**
 * Instantaneous power in W: finite. It may be negative: metering plugs report power flowing back
 * (e.g. from a balcony solar panel) with a minus sign.
 */
export function powerValue(value: number, where: string): number {
  if (!Number.isFinite(value)) throw new ConvertError(`${where} must be a finite power, got ${value}`);
  // A megawatt is no home's connection; integrated over time it would swamp the energy accounts.
  if (Math.abs(value) > MAX_POWER_W)
    throw new ConvertError(`${where} of ${value} W is beyond any household (at most ${MAX_POWER_W} W)`);
  return value;
}

/**
 * Energy converted from another unit, rounded to the mWh: `48.372 * 1000` is 48371.99999999999 in
 * floating point, and a counter should not wobble in its last digits.
 */
export function roundWh(wh: number): number {
  return Math.round(wh * 1000) / 1000;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** A plain-text number (Shelly Gen1 `36.52`): only decimal notation, not `0x10`, `1e3` or ``. */
export function decimalText(input: ConverterInput, what: string): number {
  const text = payloadText(input);
  if (!DECIMAL.test(text)) throw new ConvertError(`${what} must be a decimal number, got ${describe(text)}`);
  return Number(text);
}

/** A channel number captured from the topic (`relay/{n}`, `switch:{n}`). */
export function channelParam(input: ConverterInput, name = 'n'): number {
  const text = input.params[name];
  if (text === undefined || !/^\d{1,3}$/.test(text)) {
    throw new ConvertError(`topic level {${name}} must be a channel number, got ${describe(text)}`);
  }
  return Number(text);
}

const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A device time as ISO 8601 UTC, or undefined when the text carries no UTC offset: a local time
 * without offset (Tasmota's default `Time`) names no single instant, and guessing the zone would
 * misplace readings across tariff periods.
 */
export function utcFromOffsetTime(text: string): string | undefined {
  if (!WITH_OFFSET.test(text)) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/**
 * Unix seconds (possibly fractional, as Shelly Gen2 sends) as ISO 8601 UTC, or undefined for a time
 * before 2001 or after 2100: a device whose clock is not set yet still reports good energy, so only
 * its time is left out. A value that is not a finite number is a broken payload.
 */
export function utcFromUnixSeconds(seconds: number, where: string): string | undefined {
  if (!Number.isFinite(seconds)) throw new ConvertError(`${where} must be Unix seconds, got ${seconds}`);
  if (seconds < 978_307_200 || seconds > 4_102_444_800) return undefined;
  return new Date(Math.round(seconds * 1000)).toISOString();
}
