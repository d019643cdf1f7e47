import { Type } from 'typebox';

/** A voice order as the API shows it: an allow-list, its state being its payment intent's. */
export const OrderResponse = Type.Object(
  {
    id: Type.String({ description: 'ord_...' }),
    deviceId: Type.String({ description: 'The speaker or satellite that ordered' }),
    sessionId: Type.String(),
    utterance: Type.String({ description: 'The words, normalized' }),
    intentId: Type.String({ description: 'The payment intent that pays for it' }),
    status: Type.String({ description: "The intent's status" }),
    channel: Type.Union([Type.Literal('speaker'), Type.Literal('hermes')]),
    siteId: Type.Union([Type.String(), Type.Null()], { description: 'Hermes siteId' }),
    lang: Type.Union([Type.Literal('zh'), Type.Literal('en')]),
    lines: Type.Array(Type.Object({ sku: Type.String(), quantity: Type.Integer({ minimum: 1 }) })),
    amount: Type.Integer({ description: 'Minor units, what the phone signs' }),
    currency: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { description: 'A voice order' },
);

export const OrderListQuery = Type.Object(
  {
    deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: '1 to 500, default 100' })),
  },
  { additionalProperties: false },
);
