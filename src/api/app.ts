import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { registerErrorHandling } from './errors.js';
import { requireBearer } from './plugins/auth.js';
import { deviceRoutes } from './routes/devices/index.js';
import { eventRoutes } from './routes/events/index.js';
import { fundingSourceRoutes } from './routes/funding-sources/index.js';
import { healthRoutes } from './routes/health.js';
import { intentRoutes } from './routes/intents/index.js';
import { phoneRoutes } from './routes/phones/index.js';
import { pairPhoneRoute } from './routes/phones/pairing.js';
import { walletRoutes } from './routes/wallet/index.js';
import type { ApiServices } from './services.js';

/**
 * The HTTP app as a fastify plugin: the process (src/main.ts) creates the server and listens;
 * tests register this same plugin and use `inject`. Public routes and authenticated routes live in
 * sibling contexts, so the bearer hook cannot be skipped by a URL trick.
 */
export const homepayApp: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (app, { services }) => {
  registerErrorHandling(app);
  await app.register(swagger, {
    openapi: {
      info: { title: 'homepay', version: services.version, description: 'Smart-home payment hub API' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(async (publicRoutes) => {
    await publicRoutes.register(healthRoutes, { services });
    await publicRoutes.register(pairPhoneRoute, { services });
  });

  await app.register(async (authenticated) => {
    requireBearer(authenticated, services.tokenResolvers);
    await authenticated.register(deviceRoutes, { services });
    await authenticated.register(intentRoutes, { services });
    await authenticated.register(phoneRoutes, { services });
    await authenticated.register(walletRoutes, { services });
    await authenticated.register(fundingSourceRoutes, { services });
    await authenticated.register(eventRoutes, { services });
  });
};
