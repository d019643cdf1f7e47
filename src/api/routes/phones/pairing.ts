import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { commonErrors } from '../../schemas/common.js';
import { PairBody, PairedResponse } from '../../schemas/phones.js';
import type { ApiServices } from '../../services.js';

/** Public: a phone has no token yet, only the pairing code the admin showed it. */
export const pairPhoneRoute: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (
  app,
  { services },
) => {
  app.post(
    '/api/phones',
    {
      schema: {
        summary: 'Pair a phone with a pairing code and its Ed25519 public key',
        tags: ['phones'],
        security: [],
        body: PairBody,
        response: { 201: PairedResponse, ...commonErrors },
      },
    },
    async (request, reply) => reply.status(201).send(services.phones.pair(request.body)),
  );
};
