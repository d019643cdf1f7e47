/**
 * What a device profile (a data file in `devices/`) declares, and the normalized messages
 * converters turn raw device payloads into. The rest of the hub only ever sees `DeviceMessage`s,
 * never a vendor's payload.
 */

/** `single`: one MQTT client is one appliance or speaker. `bridge`: one client speaks for many children. */
export type ProfileKind = 'single' | 'bridge';

/** Seen from the device: `publish` = device -> hub, `subscribe` = hub -> device. */
export type TopicDirection = 'publish' | 'subscribe';

export interface TopicDeclaration {
  /**
   * MQTT topic pattern. `{identity}` is replaced with the device's identity (its device id, Tasmota
   * topic, Shelly id or a bridge's base topic). Any other `{name}` matches exactly one topic level and
   * is captured (e.g. `{child}`, `{n}`, `{intentName}`); fixed text around it captures part of a
   * level (`switch:{n}`). A trailing `#` matches the rest. Full syntax: devices/README.md.
   */
  pattern: string;
  direction: TopicDirection;
  /** Converter name for device -> hub topics the hub decodes; a file `src/devices/converters/<name>.ts`. */
  converter?: string;
  /** For bridges: where a message's child comes from, a captured pattern level or a payload field. */
  child?: { level: string } | { payloadField: string };
  /**
   * For a topic shared by every device of a kind, so without `{identity}` in its name (Hermes
   * `hermes/intent/{intentName}`, Shelly's `shellies/announce`): the payload says whose it is.
   * Only such topics may leave out `{identity}`; see `TopicConfinement`.
   */
  confinedBy?: TopicConfinement;
}

/**
 * How a shared topic is kept to one device by its payload, checked by the hub (the topic alone cannot).
 * - `payloadField`: that JSON field names the sender. It must equal the device's identity (single), or
 *   be one of the bridge's children (a bridge: a value first heard becomes its child unless another
 *   device already owns it). Device -> hub: the hub drops and logs a mismatch. Hub -> device: the
 *   broker forwards the message only to the device the field names.
 * - `payloadSession`: hub -> device only. That JSON field is a session id, and the broker forwards the
 *   message only to the device the hub saw that session on (Hermes `endSession` names no site).
 * - `hubEvents`: subscribe only, and only within the hub's own public topics (`HUB_TOPIC_PATTERNS`:
 *   status, intents, alerts, energy state). For integrations (Home Assistant, Node-RED, Homebridge)
 *   that read what the hub announces and speak back only through its HTTP API.
 */
export type TopicConfinement = { payloadField: string } | { payloadSession: string } | { hubEvents: true };

export interface Capability {
  /** `energy` (cumulative, Wh), `power` (W), `voice`, `availability`. */
  name: 'energy' | 'power' | 'voice' | 'availability';
  unit?: 'Wh' | 'W';
}

export interface DeviceProfile {
  id: string;
  name: string;
  kind: ProfileKind;
  /** What the identity is, for humans and for validation of `device add --identity`. */
  identity: {
    /** `deviceId` for native profiles: the identity is the hub's own device id and need not be given. */
    source: 'deviceId' | 'given';
    description: string;
    /** A regular expression a given identity must match (anchored). */
    pattern: string;
    /** Used when none is given, for bridges with a conventional base topic (e.g. `zigbee2mqtt`). */
    default?: string;
    /** Real identities of this kind, for help texts and for the registry's invariant tests. */
    examples?: string[];
  };
  topics: TopicDeclaration[];
  capabilities: Capability[];
}

/** A cumulative energy counter and/or instantaneous power, as read from a device. */
export interface ReadingMessage {
  kind: 'reading';
  /** Cumulative counter in Wh (may go down: a reset). Absent when the device only reports power. */
  energyWh?: number;
  powerW?: number;
  /** When the device says it measured, ISO 8601 UTC; absent when the payload has no absolute time. */
  ts?: string;
  /** Relay or switch channel for multi-channel devices (`0` for single plugs). */
  channel?: number;
}

export interface AvailabilityMessage {
  kind: 'availability';
  online: boolean;
}

export interface UtteranceMessage {
  kind: 'utterance';
  text: string;
  sessionId: string;
  lang?: string;
  voiceProfile?: string;
  /** Why the payload's text could not be read (then `text` is empty and the speaker is asked again). */
  unreadable?: string;
}

export interface HermesSlot {
  slotName: string;
  value: unknown;
  rawValue?: string;
}

export interface VoiceIntentMessage {
  kind: 'voice-intent';
  /** `PlaceOrder`, `Reorder`, `CancelOrder`, `CheckBalance`, `CheckSpending`, or `NotRecognized`. */
  intentName: string;
  input: string;
  siteId: string;
  /** `null` when the NLU was queried outside a dialogue session: answer with `hermes/tts/say`. */
  sessionId: string | null;
  slots: HermesSlot[];
  lang?: string;
}

export type DeviceMessage = ReadingMessage | AvailabilityMessage | UtteranceMessage | VoiceIntentMessage;

export interface ConverterInput {
  topic: string;
  /** Levels captured by the matching pattern, e.g. `{ n: '0' }`; `identity` is always present. */
  params: Record<string, string>;
  payload: Buffer;
}

/**
 * A converter decodes one device -> hub payload. It returns the messages it found (an empty list
 * when the payload carries nothing the hub uses) and throws `ConvertError` for a malformed payload;
 * the caller logs the topic and reason and drops it.
 */
export type Converter = (input: ConverterInput) => DeviceMessage[];

export class ConvertError extends Error {
  override name = 'ConvertError';
}
