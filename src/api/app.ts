import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { registerErrorHandling } from './errors.js';
import { requireBearer } from './plugins/auth.js';
import { adminLoginRoute, adminRoutes } from './routes/admin/index.js';
import { budgetRoutes } from './routes/budgets/index.js';
import { deviceRoutes } from './routes/devices/index.js';
import { eventRoutes } from './routes/events/index.js';
import { fundingSourceRoutes } from './routes/funding-sources/index.js';
import { goalRoutes } from './routes/goals/index.js';
import { healthRoutes } from './routes/health.js';
import { intentRoutes } from './routes/intents/index.js';
import { merchantRoutes } from './routes/merchants/index.js';
import { orderRoutes } from './routes/orders/index.js';
import { phoneRoutes } from './routes/phones/index.js';
import { pairPhoneRoute } from './routes/phones/pairing.js';
import { pointsRoutes } from './routes/points/index.js';
import { qrRoutes } from './routes/qr/index.js';
import { ruleRoutes } from './routes/rules/index.js';
import { caRoutes } from './routes/tls/index.js';
import { transactionRoutes } from './routes/transactions/index.js';
import { voiceRoutes } from './routes/voice/index.js';
import { walletRoutes } from './routes/wallet/index.js';
import { webAppApiRoutes } from './routes/web/api.js';
import { webAppRoutes } from './routes/web/index.js';
import type { ApiServices } from './services.js';

/**
 * The HTTP app as a fastify plugin: the process (src/main.ts) creates the server and listens;
 * tests register this same plugin and use `inject`. Public routes and authenticated routes live in
 * sibling contexts, so the bearer hook cannot be skipped by a URL trick.
 */
export const homepayApp: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (app, { services }) => {
  registerErrorHandling(app);
  // Cookies carry only a person's admin login session; devices, phones and scripts use bearer tokens.
  await app.register(cookie);
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
    await publicRoutes.register(webAppRoutes);
    await publicRoutes.register(caRoutes, { services });
    await publicRoutes.register(adminLoginRoute, { services });
  });

  await app.register(async (authenticated) => {
    requireBearer(authenticated, services.tokenResolvers, (id) => services.adminUsers.session(id));
    await authenticated.register(adminRoutes, { services });
    await authenticated.register(deviceRoutes, { services });
    await authenticated.register(ruleRoutes, { services });
    await authenticated.register(intentRoutes, { services });
    await authenticated.register(orderRoutes, { services });
    await authenticated.register(voiceRoutes, { services });
    await authenticated.register(phoneRoutes, { services });
    await authenticated.register(walletRoutes, { services });
    await authenticated.register(transactionRoutes, { services });
    await authenticated.register(budgetRoutes, { services });
    await authenticated.register(goalRoutes, { services });
    await authenticated.register(pointsRoutes, { services });
    await authenticated.register(qrRoutes, { services });
    await authenticated.register(merchantRoutes, { services });
    await authenticated.register(fundingSourceRoutes, { services });
    await authenticated.register(eventRoutes, { services });
    await authenticated.register(webAppApiRoutes, { services });
  });
};
