import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { allow } from '../../plugins/auth.js';
import { commonErrors, IdParams } from '../../schemas/common.js';
import { PairingResponse, PhoneResponse } from '../../schemas/phones.js';
import type { ApiServices } from '../../services.js';

export const phoneRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (
  app,
  { services },
) => {
  const { phones } = services;

  app.post(
    '/api/pairing',
    {
      schema: {
        summary: 'A pairing code and link for a new phone (the previous open code stops working)',
        tags: ['phones'],
        response: { 201: PairingResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      allow(request, 'admin');
      const { code, expiresAt } = phones.createPairingCode();
      return reply.status(201).send({
        code,
        expiresAt,
        url: services.pairingUrl(code),
        caFingerprint: services.tls?.caFingerprint,
      });
    },
  );

  app.get(
    '/api/phones',
    { schema: { tags: ['phones'], response: { 200: Type.Array(PhoneResponse), ...commonErrors } } },
    async (request) => {
      allow(request, 'admin');
      return phones.list();
    },
  );

  app.delete(
    '/api/phones/:id',
    {
      schema: {
        summary: 'Revoke a phone: its token and signatures stop working at once',
        tags: ['phones'],
        params: IdParams,
        response: { 200: PhoneResponse, ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin');
      return phones.revoke(request.params.id);
    },
  );
};
