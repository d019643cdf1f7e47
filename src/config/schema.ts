import { type Static, Type } from 'typebox';

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
  },
  strict,
);

const HttpSettings = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', description: 'Address the HTTP server listens on' }),
    port: Port('Port of the HTTP server (web app, REST API, SSE)', 8080),
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
