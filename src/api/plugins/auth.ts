import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HubError } from '../../errors.js';

/** Who made a request. Phones and merchants are added by the payment core. */
export type Principal =
  | { kind: 'admin' }
  | { kind: 'phone'; phoneId: string }
  | { kind: 'merchant'; merchantId: string };

/** Resolves a bearer token to a principal, or `null` when no one holds that token. */
export type TokenResolver = (token: string) => Principal | null;

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** The route also accepts the token as `?token=` (for EventSource, which cannot send headers). */
    tokenInQuery?: boolean;
  }
}

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** A resolver for the admin token, compared in constant time through its digest. */
export function adminTokenResolver(adminToken: string): TokenResolver {
  const expected = sha256(adminToken);
  return (token) => (timingSafeEqual(sha256(token), expected) ? { kind: 'admin' } : null);
}

/**
 * Installs bearer authentication on the encapsulated context it is called in: every route
 * registered there needs a valid token. Public routes live in a sibling context, so nothing is
 * public by a URL exception.
 */
export function requireBearer(app: FastifyInstance, resolvers: TokenResolver[]): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    const fromQuery = request.routeOptions.config.tokenInQuery
      ? (request.query as { token?: unknown }).token
      : undefined;
    const token = header?.startsWith('Bearer ')
      ? header.slice('Bearer '.length).trim()
      : typeof fromQuery === 'string'
        ? fromQuery
        : undefined;
    if (!token) throw new HubError('unauthorized', 'Send a bearer token in the Authorization header');
    for (const resolve of resolvers) {
      const principal = resolve(token);
      if (principal) {
        request.principal = principal;
        return;
      }
    }
    throw new HubError('unauthorized', 'The bearer token is not valid');
  });
}

/** Refuses the request unless its principal is one of `kinds`. */
export function allow(request: FastifyRequest, ...kinds: Principal['kind'][]): Principal {
  const principal = request.principal;
  if (!principal || !kinds.includes(principal.kind)) {
    throw new HubError('forbidden', `This needs a ${kinds.join(' or ')} token`);
  }
  return principal;
}

/** The phone that made the request; refused for any other principal. */
export function requirePhone(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal?.kind !== 'phone') throw new HubError('forbidden', 'This needs a paired phone token');
  return principal.phoneId;
}
