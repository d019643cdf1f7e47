import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { HubError } from '../../../errors.js';
import { validateIdempotencyKey } from '../../../payments/idempotency.js';
import { type MerchantQr, parseMerchantQr } from '../../../qr/emvco.js';
import { categoryOfMcc } from '../../../wallet/categories.js';
import { allow } from '../../plugins/auth.js';
import { commonErrors, ErrorResponse } from '../../schemas/common.js';
import { Amount, IdempotencyHeaders, IntentResponse } from '../../schemas/intents.js';
import type { ApiServices } from '../../services.js';
import { idempotencyScope } from '../intents/index.js';

const QrBody = Type.Object(
  {
    payload: Type.String({ minLength: 1, maxLength: 1024, description: 'The text of the scanned QR code' }),
    amount: Type.Optional(Amount),
    fundingSourceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

const QrInfo = Type.Object({
  payeeId: Type.String(),
  merchantName: Type.String(),
  merchantCity: Type.String(),
  alternateName: Type.Optional(Type.String()),
  merchantCategoryCode: Type.String(),
  category: Type.String(),
  countryCode: Type.String(),
  currency: Type.String(),
  initiation: Type.Enum(['static', 'dynamic']),
  amount: Type.Union([Type.Integer(), Type.Null()]),
  billNumber: Type.Optional(Type.String()),
});

const QrResponse = Type.Object({
  qr: QrInfo,
  amountRequired: Type.Boolean({ description: 'A static code: send the amount to pay' }),
  intent: Type.Optional(IntentResponse),
});

/**
 * Paying a shop's printed or displayed QR code (EMVCo merchant-presented). A code with an amount
 * becomes an intent at once; a static code without one answers `amountRequired` until the phone
 * sends the amount. The intent is approved on the phone like any other.
 */
export const qrRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (app, { services }) => {
  app.post(
    '/api/qr/parse',
    {
      schema: {
        summary: 'Read an EMVCo merchant QR code and create the payment intent for it',
        tags: ['wallet'],
        headers: IdempotencyHeaders,
        body: QrBody,
        response: { 200: QrResponse, 201: QrResponse, 402: ErrorResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      const principal = allow(request, 'admin', 'phone');
      const key = validateIdempotencyKey(request.headers['idempotency-key']);
      const qr = parseMerchantQr(request.body.payload);
      const info = describe(qr);
      if (qr.amount !== null && request.body.amount !== undefined && request.body.amount !== qr.amount) {
        throw new HubError('invalid_request', 'This code fixes the amount; do not send another one');
      }
      const amount = qr.amount ?? request.body.amount;
      if (amount === undefined) return reply.status(200).send({ qr: info, amountRequired: true });
      const name = qr.alternate?.name ?? qr.merchantName;
      const { intent, created } = services.intents.create(
        {
          amount,
          payee: { id: info.payeeId, name },
          description: `扫码付款 ${name}${qr.billNumber ? ` #${qr.billNumber}` : ''}`,
          source: { kind: 'qr' },
          category: info.category,
          ...(request.body.fundingSourceId ? { fundingSourceId: request.body.fundingSourceId } : {}),
        },
        { scope: `${idempotencyScope(principal)}:qr`, key },
      );
      return reply.status(created ? 201 : 200).send({ qr: info, amountRequired: false, intent });
    },
  );
};

/**
 * A stable payee id for a shop: its merchant account information (what the acquirer knows it by),
 * hashed, so the same shop's codes are one payee in records, budgets and anomaly history.
 */
function describe(qr: MerchantQr) {
  const identity = qr.merchantAccounts.map((account) => `${account.tag}:${account.value}`).join('|');
  return {
    payeeId: `qr_${createHash('sha256').update(identity).digest('hex').slice(0, 20)}`,
    merchantName: qr.merchantName,
    merchantCity: qr.merchantCity,
    ...(qr.alternate ? { alternateName: qr.alternate.name } : {}),
    merchantCategoryCode: qr.merchantCategoryCode,
    category: categoryOfMcc(qr.merchantCategoryCode),
    countryCode: qr.countryCode,
    currency: qr.currency,
    initiation: qr.initiation,
    amount: qr.amount,
    ...(qr.billNumber ? { billNumber: qr.billNumber } : {}),
  };
}
