import { createServer as createPlainServer, type Server as HttpServer } from 'node:http';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from 'fastify';
import type { Logger } from '../logger.js';
import { homepayApp } from './app.js';
import type { ApiServices } from './services.js';

export interface HttpServerOptions {
  services: ApiServices;
  logger: Logger;
  /** Serve HTTPS with these options instead of plain HTTP (see `servePlainHttp` for both). */
  https?: TlsOptions & SecureContextOptions;
  /**
   * For requests over plain HTTP when HTTPS runs: where to send one that should use HTTPS instead
   * (phones on the LAN), or undefined to serve it here (localhost, the CA download).
   */
  redirectToHttps?: (request: { ip: string; url: string; hostname: string }) => string | undefined;
}

/**
 * The fastify app running homepay. With TLS its own server is HTTPS and `servePlainHttp` hands
 * the plain listener's requests to the same app: one compiled set of routes, validators and
 * serializers instead of two (a third of the hub's start, docs/performance.md).
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const server = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // One line per request would drown the payment log; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Wrong types are errors, not guesses: "100" is not an amount, and unknown keys are refused
    // rather than silently dropped (fastify's defaults coerce and strip).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    // A URL fastify cannot even decode (`/api/devices/%`) is refused before any route or error
    // handler runs; without this its answer would not have the catalogue's error shape (issue 10).
    frameworkErrors: (error, _request, reply) => {
      (reply as FastifyReply)
        .status(400)
        .send({ error: { code: 'invalid_request', message: error.message } });
    },
    ...(options.https ? { https: options.https } : {}),
  }).withTypeProvider<TypeBoxTypeProvider>();
  const redirect = options.redirectToHttps;
  if (redirect) {
    server.addHook('onRequest', async (request, reply) => {
      if (request.protocol === 'https') return;
      const target = redirect({ ip: request.ip, url: request.url, hostname: request.hostname });
      if (target) return reply.redirect(target, 308);
    });
  }
  await server.register(homepayApp, { services: options.services });
  return server as unknown as FastifyInstance;
}

/**
 * A plain HTTP listener for an app whose own server is HTTPS: every request goes through the app's
 * whole request handling (`fastify.routing`: hooks, routes, errors), and `request.protocol` says
 * `http`, so the redirect to HTTPS and HSTS still tell the two apart.
 */
export async function servePlainHttp(
  app: FastifyInstance,
  listen: { host: string; port: number },
): Promise<HttpServer> {
  await app.ready();
  const server = createPlainServer((request, response) => app.routing(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** Stops a plain listener: no new connections, idle keep-alive ones closed, busy ones finish. */
export function closePlainHttp(server: HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/**
 * Phones on the LAN go to HTTPS (a browser gives service workers, Web Push and WebAuthn only to a
 * secure context); localhost stays plain for development, and the CA certificate stays reachable
 * over HTTP, since a phone must download it before it can trust HTTPS.
 */
export function lanToHttps(httpsPort: () => number) {
  return (request: { ip: string; url: string; hostname: string }): string | undefined => {
    if (LOOPBACK.test(request.ip) || request.url.startsWith('/ca.')) return undefined;
    const host = request.hostname.replace(/:\d+$/, '');
    return `https://${host.includes(':') ? `[${host}]` : host}:${httpsPort()}${request.url}`;
  };
}
