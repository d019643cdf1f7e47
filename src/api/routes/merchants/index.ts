import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { HubError } from '../../../errors.js';
import { allow } from '../../plugins/auth.js';
import { commonErrors, IdParams } from '../../schemas/common.js';
import {
  MerchantCreated,
  MerchantEventResponse,
  MerchantResponse,
  NewMerchantBody,
  WebhookBody,
} from '../../schemas/merchants.js';
import type { ApiServices } from '../../services.js';

/**
 * The merchant API's administration (admin) and a merchant's own view of its webhook events. A
 * merchant creates and cancels intents through `/api/intents` with its key.
 */
export const merchantRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (
  app,
  { services },
) => {
  const { keys, webhooks, signer } = services.merchants;

  app.post(
    '/api/merchants',
    {
      schema: {
        summary: 'Create a merchant and its API key (shown once)',
        tags: ['merchants'],
        body: NewMerchantBody,
        response: { 201: MerchantCreated, ...commonErrors },
      },
    },
    async (request, reply) => {
      allow(request, 'admin');
      const { merchant, key } = keys.create(request.body);
      return reply.status(201).send({ merchant, key, webhookPublicKey: signer.publicKey });
    },
  );

  app.get(
    '/api/merchants',
    { schema: { tags: ['merchants'], response: { 200: Type.Array(MerchantResponse), ...commonErrors } } },
    async (request) => {
      allow(request, 'admin');
      return keys.list();
    },
  );

  app.post(
    '/api/merchants/:id/key',
    {
      schema: {
        summary: "Replace a merchant's key; the old one stops working at once",
        tags: ['merchants'],
        params: IdParams,
        response: { 201: MerchantCreated, ...commonErrors },
      },
    },
    async (request, reply) => {
      allow(request, 'admin');
      const { merchant, key } = keys.rotate(request.params.id);
      return reply.status(201).send({ merchant, key, webhookPublicKey: signer.publicKey });
    },
  );

  app.put(
    '/api/merchants/:id/webhook',
    {
      schema: {
        tags: ['merchants'],
        params: IdParams,
        body: WebhookBody,
        response: { 200: MerchantResponse, ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin');
      return keys.setWebhook(request.params.id, request.body.webhookUrl);
    },
  );

  app.delete(
    '/api/merchants/:id',
    {
      schema: {
        summary: "Revoke a merchant's key",
        tags: ['merchants'],
        params: IdParams,
        response: { 200: MerchantResponse, ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin');
      return keys.revoke(request.params.id);
    },
  );

  app.get(
    '/api/merchant/events',
    {
      schema: {
        summary: "The calling merchant's webhook events not delivered yet",
        tags: ['merchants'],
        response: { 200: Type.Array(MerchantEventResponse), ...commonErrors },
      },
    },
    async (request) => {
      const principal = allow(request, 'merchant');
      if (principal.kind !== 'merchant') throw new HubError('forbidden', 'This needs a merchant key');
      return webhooks.undelivered(principal.merchantId);
    },
  );

  app.get(
    '/api/merchant/webhook-key',
    {
      schema: {
        summary: 'The Ed25519 public key that signs webhooks (base64)',
        tags: ['merchants'],
        response: { 200: Type.Object({ publicKey: Type.String() }), ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin', 'merchant');
      return { publicKey: signer.publicKey };
    },
  );
};
