import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { allow } from '../../plugins/auth.js';
import type { ApiServices } from '../../services.js';

/**
 * Server-Sent Events for the open web app: every new intent and every end state, live. Browsers'
 * EventSource cannot send headers, so this one route also takes the token as `?token=`.
 */
export const eventRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (
  app,
  { services },
) => {
  app.get(
    '/api/events',
    {
      config: { tokenInQuery: true },
      schema: { summary: 'Live intent events (text/event-stream)', tags: ['intents'], hide: false },
    },
    async (request, reply) => {
      const principal = allow(request, 'admin', 'phone');
      reply.hijack();
      services.sse.attach(reply.raw, principal.kind === 'phone' ? `phone:${principal.phoneId}` : 'admin');
    },
  );
};
