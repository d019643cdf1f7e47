import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { allow } from '../../plugins/auth.js';
import { commonErrors } from '../../schemas/common.js';
import type { ApiServices } from '../../services.js';

const OrderingResponse = Type.Object(
  {
    enabled: Type.Boolean({ description: 'false: no speaker or satellite of the home may order' }),
    changedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'when it was last changed; null if never',
    }),
  },
  { description: 'The home-wide voice ordering switch (a child lock over every speaker policy)' },
);

const OrderingBody = Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false });

/**
 * The home-wide voice ordering switch. Off, every voice order is refused with a spoken reason
 * before any speaker's own policy is read; on, each speaker's policy decides as configured. It
 * never lets an order skip the phone: it can only take permission away.
 */
export const voiceRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (
  app,
  { services },
) => {
  const { voiceOrdering } = services;

  app.get(
    '/api/voice/ordering',
    { schema: { tags: ['voice'], response: { 200: OrderingResponse, ...commonErrors } } },
    async (request) => {
      allow(request, 'admin', 'phone');
      return voiceOrdering.state();
    },
  );

  app.put(
    '/api/voice/ordering',
    {
      schema: {
        summary: 'Turn voice ordering on or off for the whole home (a child lock)',
        tags: ['voice'],
        body: OrderingBody,
        response: { 200: OrderingResponse, ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin');
      const state = voiceOrdering.set(request.body.enabled);
      request.log.info({ enabled: state.enabled }, 'voice ordering for the home changed');
      return state;
    },
  );
};
