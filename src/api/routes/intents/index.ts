import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { HubError } from '../../../errors.js';
import { validateIdempotencyKey } from '../../../payments/idempotency.js';
import { allow, type Principal, requirePhone } from '../../plugins/auth.js';
import { commonErrors, ErrorResponse, IdParams } from '../../schemas/common.js';
import {
  DecisionBody,
  IdempotencyHeaders,
  IntentListQuery,
  IntentResponse,
  NewIntentBody,
} from '../../schemas/intents.js';
import type { ApiServices } from '../../services.js';

const decisionErrors = { ...commonErrors, 402: ErrorResponse, 410: ErrorResponse };

/** Idempotency keys are scoped to who sent them. */
export function idempotencyScope(principal: Principal): string {
  if (principal.kind === 'phone') return `phone:${principal.phoneId}`;
  if (principal.kind === 'merchant') return `merchant:${principal.merchantId}`;
  return 'admin';
}

export const intentRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (
  app,
  { services },
) => {
  const { intents, approvals } = services;

  app.get(
    '/api/intents',
    {
      schema: {
        tags: ['intents'],
        querystring: IntentListQuery,
        response: { 200: Type.Array(IntentResponse), ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin', 'phone');
      const { status, limit } = request.query;
      return intents.list({ status, limit: limit ? Math.min(Number(limit), 500) : 100 });
    },
  );

  app.get(
    '/api/intents/:id',
    { schema: { tags: ['intents'], params: IdParams, response: { 200: IntentResponse, ...commonErrors } } },
    async (request) => {
      allow(request, 'admin', 'phone');
      return intents.require(request.params.id);
    },
  );

  app.post(
    '/api/intents',
    {
      schema: {
        summary: 'Create a payment intent; a paired phone must approve it',
        tags: ['intents'],
        headers: IdempotencyHeaders,
        body: NewIntentBody,
        response: { 200: IntentResponse, 201: IntentResponse, ...decisionErrors },
      },
    },
    async (request, reply) => {
      const principal = allow(request, 'admin', 'merchant');
      const key = validateIdempotencyKey(request.headers['idempotency-key']);
      // A merchant is always the payee of its own intents, whatever the body names: its key cannot
      // ask the household to pay someone else, and its webhooks follow from the payee.
      const merchant =
        principal.kind === 'merchant' ? services.merchants.keys.require(principal.merchantId) : null;
      const { intent, created } = intents.create(
        {
          ...request.body,
          ...(merchant
            ? { payee: { id: merchant.id, name: merchant.name }, fundingSourceId: undefined }
            : {}),
          source: { kind: merchant ? 'merchant' : 'manual' },
        },
        { scope: idempotencyScope(principal), key },
      );
      return reply.status(created ? 201 : 200).send(intent);
    },
  );

  app.post(
    '/api/intents/:id/cancel',
    { schema: { tags: ['intents'], params: IdParams, response: { 200: IntentResponse, ...commonErrors } } },
    async (request) => {
      const principal = allow(request, 'admin', 'merchant');
      if (principal.kind === 'merchant') {
        // A merchant cancels only its own intents; anyone else's do not exist for it.
        const intent = intents.require(request.params.id);
        if (intent.source.kind !== 'merchant' || intent.payee.id !== principal.merchantId) {
          throw new HubError('intent_not_found', `No payment intent with id ${request.params.id}`);
        }
      }
      return intents.cancel(request.params.id, principal.kind);
    },
  );

  for (const action of ['approve', 'deny'] as const) {
    app.post(
      `/api/intents/:id/${action}`,
      {
        schema: {
          summary: `${action === 'approve' ? 'Approve' : 'Deny'} an intent with the phone's signature (SPEC v1 message)`,
          tags: ['intents'],
          params: IdParams,
          body: DecisionBody,
          response: { 200: IntentResponse, ...decisionErrors },
        },
      },
      async (request) => {
        return approvals.decide(request.params.id, action, request.body, requirePhone(request));
      },
    );
  }
};
