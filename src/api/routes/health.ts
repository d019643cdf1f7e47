import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ApiServices } from '../services.js';

const Health = Type.Object({
  status: Type.Literal('ok'),
  mqtt: Type.Union([Type.Object({ port: Type.Integer() }), Type.Object({ url: Type.String() })]),
  version: Type.String(),
});

export const healthRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (
  app,
  { services },
) => {
  app.get(
    '/api/health',
    {
      schema: {
        summary: 'Ready to take devices and requests',
        tags: ['hub'],
        response: { 200: Health },
      },
    },
    async () => ({ status: 'ok' as const, mqtt: services.mqtt(), version: services.version }),
  );
};
