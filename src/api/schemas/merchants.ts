import { Type } from 'typebox';

/** An allow-list: the key's digest is not here, and the key itself only in `MerchantCreated`. */
export const MerchantResponse = Type.Object({
  id: Type.String(),
  name: Type.String(),
  category: Type.String(),
  keyPrefix: Type.String({ description: 'first characters of the key, to tell keys apart' }),
  webhookUrl: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});

export const MerchantCreated = Type.Object({
  merchant: MerchantResponse,
  key: Type.String({ description: 'The API key, shown this once: send it as a bearer token' }),
  webhookPublicKey: Type.String({ description: 'base64 Ed25519 public key that signs webhooks' }),
});

export const NewMerchantBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    category: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_-]*$', maxLength: 40 })),
    webhookUrl: Type.Optional(Type.String({ minLength: 8, maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const WebhookBody = Type.Object(
  { webhookUrl: Type.Union([Type.String({ minLength: 8, maxLength: 500 }), Type.Null()]) },
  { additionalProperties: false },
);

export const MerchantEventResponse = Type.Object({
  id: Type.String(),
  type: Type.String(),
  intentId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  attempts: Type.Integer(),
  nextAttemptAt: Type.Union([Type.String(), Type.Null()]),
  deliveredAt: Type.Union([Type.String(), Type.Null()]),
  gaveUpAt: Type.Union([Type.String(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  payload: Type.Object({}, { additionalProperties: true, description: 'the webhook body' }),
});
