import { type Static, Type } from 'typebox';
import { RuleSchema } from '../energy/rule-schema.js';
import { WalletSettings } from './wallet-settings.js';

/**
 * The one settings schema. Every key has its default and description here; `config/settings.schema.json`
 * is generated from it (`npm run schema`) and `config/homepay.example.yaml` documents each key.
 * Unknown keys are errors, so a typo never silently falls back to a default.
 */

const Port = (description: string, fallback: number) =>
  Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: fallback,
    description: `${description} (0 picks a free port)`,
  });

const strict = { additionalProperties: false, default: {} } as const;

const MqttSettings = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', description: 'Address the embedded broker listens on' }),
    port: Port('Port of the embedded MQTT broker', 1883),
    url: Type.Optional(
      Type.String({
        pattern: '^mqtts?://',
        description: 'Connect to this external broker (e.g. mqtt://broker:1883) instead of embedding one',
      }),
    ),
    username: Type.Optional(Type.String({ description: "The hub's username on an external broker" })),
    password: Type.Optional(Type.String({ description: "The hub's password on an external broker" })),
    maxPacketBytes: Type.Integer({
      minimum: 1024,
      maximum: 16 * 1024 * 1024,
      default: 64 * 1024,
      description: 'Largest MQTT packet a client may send; a larger one closes its connection',
    }),
    rateLimit: Type.Object(
      {
        messagesPerSecond: Type.Number({
          exclusiveMinimum: 0,
          default: 50,
          description: 'Sustained publishes/s per client',
        }),
        burst: Type.Integer({ minimum: 1, default: 200, description: 'Publishes a client may send at once' }),
      },
      strict,
    ),
    loginThrottle: Type.Object(
      {
        failuresPerUsername: Type.Integer({
          minimum: 1,
          default: 5,
          description: 'Failed logins as one device id before its next logins wait, refused unchecked',
        }),
        failuresPerAddress: Type.Integer({
          minimum: 1,
          default: 20,
          description:
            'Failed logins from one address (any device id) before its next logins wait; raise it when devices share one NAT address',
        }),
        backoffSeconds: Type.Number({
          exclusiveMinimum: 0,
          default: 1,
          description: 'The first wait past a threshold; it doubles with each further failure',
        }),
        maxBackoffSeconds: Type.Number({
          exclusiveMinimum: 0,
          default: 300,
          description: 'The longest wait',
        }),
        forgetAfterSeconds: Type.Number({
          exclusiveMinimum: 0,
          default: 900,
          description: 'Failures are forgotten this long after the last one, once no wait is running',
        }),
        maxChecksInFlight: Type.Integer({
          minimum: 1,
          default: 256,
          description:
            'Secret checks (scrypt, about 50 ms each, four at a time) waiting or running at once; further logins get CONNACK 3 and retry',
        }),
      },
      { ...strict, description: 'Failed MQTT logins: a correct login resets the count' },
    ),
    drainTimeoutMs: Type.Integer({
      minimum: 100,
      default: 5000,
      description: 'How long one client that stops reading may stall delivery before it is dropped',
    }),
    maxInflightInbound: Type.Integer({
      minimum: 1,
      default: 100,
      description: 'Inbound QoS 2 messages awaiting PUBREL',
    }),
    maxTopicLevels: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 16,
      description: 'Deepest topic accepted',
    }),
    tlsPort: Port('Port of MQTT over TLS (same broker, same credentials, or a client certificate)', 8883),
    plainHost: Type.Optional(
      Type.String({
        description:
          'Where the unencrypted listener listens, if not at mqtt.host; 127.0.0.1 keeps LAN devices on TLS',
      }),
    ),
  },
  strict,
);

const HttpSettings = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', description: 'Address the HTTP server listens on' }),
    port: Port('Port of the HTTP server (web app, REST API, SSE)', 8080),
    httpsPort: Port('Port of HTTPS (phones need it: service workers, Web Push and WebAuthn)', 8443),
    publicUrl: Type.Optional(
      Type.String({
        pattern: '^https?://',
        description: 'How phones reach the hub, used in pairing links and pushes',
      }),
    ),
  },
  strict,
);

const ProviderSettings = Type.Object(
  {
    kind: Type.Literal('sandbox', {
      default: 'sandbox',
      description: 'Payment provider; only the sandbox exists',
    }),
    latencyMs: Type.Integer({ minimum: 0, default: 0, description: 'Simulated provider latency' }),
    declineRate: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0,
      description: 'Share of payments declined',
    }),
    timeoutRate: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0,
      description: 'Share of calls that time out',
    }),
    seed: Type.Integer({ default: 1, description: 'Seed that makes declines and timeouts repeatable' }),
  },
  strict,
);

const PaymentSettings = Type.Object(
  {
    currency: Type.String({
      pattern: '^[A-Z]{3}$',
      default: 'CNY',
      description: 'ISO 4217 code of the wallet',
    }),
    intentTtlSeconds: Type.Integer({
      minimum: 10,
      default: 600,
      description: 'How long a phone has to approve',
    }),
    biometricAbove: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Above this amount (minor units) an approval needs WebAuthn' }),
    ),
    provider: ProviderSettings,
  },
  strict,
);

const PushSettings = Type.Object(
  {
    ntfy: Type.Optional(
      Type.Object(
        {
          url: Type.String({ pattern: '^https?://', description: 'ntfy server, e.g. https://ntfy.sh' }),
          topic: Type.String({ minLength: 1, description: 'ntfy topic the household phones subscribe to' }),
        },
        { additionalProperties: false },
      ),
    ),
    webPush: Type.Object(
      {
        enabled: Type.Boolean({
          default: true,
          description: 'Push approvals to phones that turned on notifications (Web Push, VAPID)',
        }),
        subject: Type.String({
          pattern: '^(mailto:|https://)',
          default: 'mailto:homepay@localhost',
          description: 'Contact for push services (mailto: or https URL); VAPID keys are in the data dir',
        }),
      },
      strict,
    ),
  },
  strict,
);

/** A local time of day, `HH:MM` on a 24-hour clock. */
const HHMM = '^([01][0-9]|2[0-3]):[0-5][0-9]$';

const EnergySettings = Type.Object(
  {
    tariff: Type.String({
      minLength: 1,
      default: 'beijing-residential',
      description: 'A tariff in config/tariffs (its file name without .yaml), or a path to a tariff file',
    }),
    cycleStartDay: Type.Integer({
      minimum: 1,
      maximum: 28,
      default: 1,
      description: 'Day of the month a billing cycle starts (the meter-reading day)',
    }),
    cycleStartMonth: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 12,
        description: "For yearly tier cycles: the month it starts, instead of the tariff's",
      }),
    ),
    rules: Type.Array(RuleSchema, {
      default: [],
      description: 'Threshold rules, as POST /api/rules takes them; their ids come from their content',
    }),
    maxPowerW: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      default: 250_000,
      description:
        'The most one metered device can draw, in W: a higher power, or a counter rising faster, is refused (a swapped or hijacked meter)',
    }),
  },
  strict,
);

/**
 * What a speaker may order (SPEC "Voice orders" step 2). `withDefaults` builds the household's
 * default policy; without, the keys of a per-speaker override, each falling back to the default.
 * No key lets a payment skip the phone: a policy only ever refuses.
 */
function speakerPolicy(withDefaults: boolean) {
  const fallback = (value: unknown) => (withDefaults ? { default: value } : {});
  return {
    ordering: Type.Boolean({ description: 'Whether this speaker may order at all', ...fallback(true) }),
    maxPerOrder: Type.Integer({
      minimum: 1,
      description: 'Largest total of one order, minor units (50000 = 500 yuan)',
      ...fallback(50_000),
    }),
    maxQuantity: Type.Integer({
      minimum: 1,
      maximum: 1000,
      description: 'Most units of one item in one order',
      ...fallback(20),
    }),
    dailyCap: Type.Integer({
      minimum: 1,
      description: 'Most this speaker may order per local day, minor units, counting orders not denied',
      ...fallback(100_000),
    }),
    categories: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: 'Catalog categories this speaker may order (pets, groceries, ...); "*" is every one',
      ...fallback(['*']),
    }),
    quietHours: Type.Optional(
      Type.Object(
        {
          from: Type.String({ pattern: HHMM, description: 'Local time quiet hours start, e.g. 22:00' }),
          to: Type.String({
            pattern: HHMM,
            description: 'Local time they end, e.g. 07:00; equal to from means none',
          }),
        },
        { additionalProperties: false, description: 'No orders between these local times' },
      ),
    ),
    voiceProfiles: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description: 'Only utterances with one of these voiceProfile values may order',
      }),
    ),
  };
}

const VoiceSettings = Type.Object(
  {
    defaultLanguage: Type.Enum(['zh', 'en'], {
      default: 'zh',
      description: 'Language of answers when the words give none (empty text) and the device sent no lang',
    }),
    policy: Type.Object(speakerPolicy(true), {
      ...strict,
      description: 'The policy of every speaker and satellite without an override',
    }),
    speakers: Type.Record(
      Type.String({ minLength: 1 }),
      Type.Partial(Type.Object(speakerPolicy(false), { additionalProperties: false })),
      {
        default: {},
        description: 'Overrides per speaker, keyed by device id (dev_...) or device name (a Hermes siteId)',
      },
    ),
  },
  strict,
);

export const SettingsSchema = Type.Object(
  {
    version: Type.Integer({ minimum: 1, maximum: 1, default: 1, description: 'Settings format version' }),
    dataDir: Type.String({ default: './data', description: 'Database, admin token and keys live here' }),
    catalog: Type.String({ default: 'config/catalog.yaml', description: 'Product catalog for voice orders' }),
    logLevel: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      default: 'info',
      description: 'Log level',
    }),
    mqtt: MqttSettings,
    http: HttpSettings,
    payments: PaymentSettings,
    push: PushSettings,
    wallet: WalletSettings,
    tls: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'Serve HTTPS and MQTT over TLS' }),
        certFile: Type.Optional(
          Type.String({ description: 'Your own certificate (PEM); reloaded when it changes' }),
        ),
        keyFile: Type.Optional(Type.String({ description: 'The key of certFile (PEM)' })),
        names: Type.Array(Type.String(), {
          default: [],
          description: "Extra DNS names or addresses for the hub's own certificate",
        }),
      },
      strict,
    ),
    energy: EnergySettings,
    voice: VoiceSettings,
    homeassistant: Type.Object(
      {
        discovery: Type.Boolean({
          default: false,
          description: 'Publish Home Assistant MQTT discovery configs',
        }),
        prefix: Type.String({ default: 'homeassistant', description: 'Home Assistant discovery prefix' }),
      },
      strict,
    ),
  },
  { additionalProperties: false, $id: 'https://homepay.dev/settings.schema.json', title: 'homepay settings' },
);

export type Settings = Static<typeof SettingsSchema>;
