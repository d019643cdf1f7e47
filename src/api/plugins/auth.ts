import { createHash, timingSafeEqual } from 'node:crypto';
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HubError } from '../../errors.js';

/** Who made a request. Phones and merchants are added by the payment core. */
export type Principal =
  | { kind: 'admin'; username?: string }
  | { kind: 'phone'; phoneId: string }
  | { kind: 'merchant'; merchantId: string };

/** Resolves a bearer token to a principal, or `null` when no one holds that token. */
export type TokenResolver = (token: string) => Principal | null;

/** Resolves an admin login session cookie to its user and CSRF token. */
export type SessionResolver = (sessionId: string) => { username: string; csrfToken: string } | undefined;

/** The cookie a person's admin login lives in (HttpOnly, Secure, SameSite=Strict). */
export const SESSION_COOKIE = 'homepay_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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

/** A resolver for merchant API keys; `lookup` finds the merchant a key belongs to, unless revoked. */
export function merchantKeyResolver(lookup: (key: string) => { id: string } | undefined): TokenResolver {
  return (token) => {
    const merchant = lookup(token);
    return merchant ? { kind: 'merchant', merchantId: merchant.id } : null;
  };
}

/**
 * Installs bearer authentication on the encapsulated context it is called in: every route
 * registered there needs a valid token. Public routes live in a sibling context, so nothing is
 * public by a URL exception.
 */
export function requireBearer(
  app: FastifyInstance,
  resolvers: TokenResolver[],
  sessions?: SessionResolver,
): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const sessionId = request.cookies?.[SESSION_COOKIE];
    if (!request.headers.authorization && sessionId && sessions) {
      const session = sessions(sessionId);
      if (!session) throw new HubError('unauthorized', 'The login session has ended; log in again');
      // A cookie is sent by the browser on its own, so a state change must also prove it comes
      // from our page: the CSRF token the login returned, in a header another site cannot set.
      const csrf = request.headers['x-csrf-token'];
      if (
        !SAFE_METHODS.has(request.method) &&
        !csrfMatches(session.csrfToken, typeof csrf === 'string' ? csrf : undefined)
      ) {
        throw new HubError('csrf_failed', 'Send the X-CSRF-Token header from your login with every change');
      }
      request.principal = { kind: 'admin', username: session.username };
      return;
    }
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

/** Constant-time comparison of a request's CSRF header with its session's token. */
export function csrfMatches(expected: string, given: string | undefined): boolean {
  if (!given) return false;
  return timingSafeEqual(sha256(expected), sha256(given));
}
