import { Type } from 'typebox';
import { INTENT_STATUSES, SOURCE_KINDS } from '../../payments/intent.js';

/** Minor units (fen): a positive whole number. A float or a string is refused, never rounded. */
export const Amount = Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'minor units (fen)' });

const OrderItem = Type.Object({
  sku: Type.String(),
  name: Type.String(),
  quantity: Type.Integer({ minimum: 1 }),
  unitPrice: Type.Integer({ minimum: 0 }),
  amount: Type.Integer({ minimum: 0 }),
});

const Discount = Type.Object({
  kind: Type.String(),
  description: Type.String(),
  amount: Type.Integer({ minimum: 0 }),
  offerId: Type.Optional(Type.String()),
});

export const IntentResponse = Type.Object(
  {
    id: Type.String(),
    status: Type.Enum([...INTENT_STATUSES]),
    amount: Type.Integer(),
    currency: Type.String(),
    payee: Type.Object({ id: Type.String(), name: Type.String() }),
    description: Type.String(),
    source: Type.Object({ kind: Type.Enum([...SOURCE_KINDS]), deviceId: Type.Optional(Type.String()) }),
    items: Type.Optional(Type.Array(OrderItem)),
    discounts: Type.Optional(Type.Array(Discount)),
    reason: Type.Optional(Type.String()),
    category: Type.Optional(Type.String()),
    anomaly: Type.Optional(
      Type.Object({
        rules: Type.Array(Type.String()),
        explanation: Type.String(),
        explanationZh: Type.String(),
      }),
    ),
    pointsRedeemed: Type.Integer(),
    pointsEarned: Type.Integer(),
    fundingSourceId: Type.Union([Type.String(), Type.Null()]),
    challenge: Type.String(),
    expiresAt: Type.String({ format: 'date-time' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    lastError: Type.Optional(Type.String()),
    decidedBy: Type.Optional(Type.String()),
  },
  { description: 'A payment intent (SPEC "Payment intents")' },
);

export const NewIntentBody = Type.Object(
  {
    amount: Amount,
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
    payee: Type.Object(
      {
        id: Type.String({ minLength: 1, maxLength: 64 }),
        name: Type.String({ minLength: 1, maxLength: 100 }),
      },
      { additionalProperties: false },
    ),
    description: Type.String({ minLength: 1, maxLength: 500 }),
    // minLength 1: an empty id passed the funding-source check as "none" and then failed the
    // database's foreign key with a 500 (issue 10's API fuzz).
    fundingSourceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const DecisionBody = Type.Object(
  {
    phoneId: Type.String({ minLength: 1, maxLength: 64 }),
    signature: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'base64 Ed25519 detached signature',
    }),
    webauthn: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: false },
);

export const IntentListQuery = Type.Object(
  {
    status: Type.Optional(Type.Enum([...INTENT_STATUSES])),
    limit: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,4}$', description: 'at most this many, newest first' }),
    ),
  },
  { additionalProperties: false },
);

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});
