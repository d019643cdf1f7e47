import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AdminSecurityKeys } from '../../../admin/admin-security-keys.js';
import type { AdminUsers } from '../../../admin/admin-users.js';
import { TokenBucket } from '../../../broker/rate-limit.js';
import { HubError } from '../../../errors.js';
import { allow, SESSION_COOKIE } from '../../plugins/auth.js';
import { qrDataUrl } from '../../qr-data-url.js';
import { commonErrors, ErrorResponse } from '../../schemas/common.js';
import { AuthenticationOptions } from '../../schemas/webauthn.js';
import { securityKeyRoutes } from './security-keys.js';

export interface AdminLoginServices {
  adminUsers: AdminUsers;
  adminSecurityKeys: AdminSecurityKeys;
  now(): number;
  rotateDataKey(): { keyId: string; rows: number; files: number };
}

const Password = {
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
};

const LoginBody = Type.Object(
  {
    ...Password,
    totp: Type.Optional(
      Type.String({ minLength: 1, maxLength: 10, description: 'the 6 digits from the authenticator app' }),
    ),
    webauthn: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: true,
          description:
            'instead of totp: startAuthentication() result for the options of POST /api/admin/login/security-key',
        },
      ),
    ),
  },
  { additionalProperties: false },
);

const PasswordBody = Type.Object(Password, { additionalProperties: false });

const LoginResponse = Type.Object({
  username: Type.String(),
  csrfToken: Type.String({ description: 'send as X-CSRF-Token with every state-changing request' }),
  expiresAt: Type.String({ format: 'date-time' }),
});

/** Login attempts per client address: a burst of 10, then one every 6 seconds. */
const LOGIN_BURST = 10;
const LOGINS_PER_SECOND = 1 / 6;
/** Client addresses whose login rate is remembered. */
const MAX_ADDRESSES = 10_000;

/** Public: the login form posts here before there is any session. */
export const adminLoginRoute: FastifyPluginAsyncTypebox<{ services: AdminLoginServices }> = async (
  app,
  { services },
) => {
  const buckets = new Map<string, TokenBucket>();
  /** Both halves of a login draw on one budget per address. */
  const throttle = (ip: string) => {
    const now = services.now();
    const bucket = buckets.get(ip) ?? new TokenBucket(LOGINS_PER_SECOND, LOGIN_BURST, now);
    // Most recently used last; past MAX_ADDRESSES the address heard from longest ago is forgotten,
    // so many addresses cannot grow memory (a forgotten address starts with a full burst again;
    // the account's lockout after 5 failures holds whatever the address).
    buckets.delete(ip);
    buckets.set(ip, bucket);
    if (buckets.size > MAX_ADDRESSES) buckets.delete(buckets.keys().next().value as string);
    if (!bucket.take(now))
      throw new HubError('rate_limited', 'Too many login attempts from this address; wait a minute');
  };

  app.post(
    '/api/admin/login/security-key',
    {
      schema: {
        summary:
          'First half of a login with a security key: checks the password, then a one-time challenge for that person',
        tags: ['admin'],
        security: [],
        body: PasswordBody,
        response: { 200: AuthenticationOptions, 429: ErrorResponse, ...commonErrors },
      },
    },
    async (request) => {
      throttle(request.ip);
      const { username, password } = request.body;
      return services.adminUsers.securityKeyChallenge(username, password, request.headers.origin);
    },
  );

  app.post(
    '/api/admin/login',
    {
      schema: {
        summary:
          'Log a person in with password + TOTP code or security key assertion; sets an HttpOnly session cookie',
        tags: ['admin'],
        security: [],
        body: LoginBody,
        response: { 200: LoginResponse, 429: ErrorResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      throttle(request.ip);
      const { username, password, totp, webauthn } = request.body;
      if ((totp === undefined) === (webauthn === undefined)) {
        throw new HubError('invalid_request', 'Send either totp or webauthn as the second factor');
      }
      const session = await services.adminUsers.login(
        username,
        password,
        totp !== undefined ? { totp } : { webauthn },
      );
      return reply
        .setCookie(SESSION_COOKIE, session.sessionId, {
          httpOnly: true,
          secure: true,
          sameSite: 'strict',
          path: '/',
          expires: new Date(session.expiresAt),
        })
        .send({ username, csrfToken: session.csrfToken, expiresAt: session.expiresAt });
    },
  );
};

const NewAdminBody = Type.Object(
  {
    username: Type.String({ minLength: 2, maxLength: 32 }),
    password: Type.String({ minLength: 12, maxLength: 256 }),
  },
  { additionalProperties: false },
);

const NewAdminResponse = Type.Object({
  username: Type.String(),
  totpUri: Type.String({ description: 'the otpauth:// URI for an authenticator app; shown this once' }),
  qr: Type.String({ description: 'the same URI as a QR code, an SVG data: URL' }),
});

export const adminRoutes: FastifyPluginAsyncTypebox<{ services: AdminLoginServices }> = async (
  app,
  { services },
) => {
  await app.register(securityKeyRoutes, { services });

  app.post(
    '/api/admin/users',
    {
      schema: {
        summary: 'Create a person who can log in; returns the TOTP enrolment URI once',
        tags: ['admin'],
        body: NewAdminBody,
        response: { 201: NewAdminResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      allow(request, 'admin');
      const { totpUri } = await services.adminUsers.create(request.body.username, request.body.password);
      return reply
        .status(201)
        .send({ username: request.body.username, totpUri, qr: await qrDataUrl(totpUri) });
    },
  );

  app.post(
    '/api/admin/keys/rotate',
    {
      schema: {
        summary: 'Rotate the data key: every secret at rest is re-encrypted under a new key',
        tags: ['admin'],
        response: {
          200: Type.Object({ keyId: Type.String(), rows: Type.Integer(), files: Type.Integer() }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      allow(request, 'admin');
      return services.rotateDataKey();
    },
  );

  app.post(
    '/api/admin/logout',
    {
      schema: {
        summary: 'End this login session',
        tags: ['admin'],
        response: { 204: Type.Null(), ...commonErrors },
      },
    },
    async (request, reply) => {
      allow(request, 'admin');
      const sessionId = request.cookies?.[SESSION_COOKIE];
      if (sessionId) services.adminUsers.logout(sessionId);
      return reply.clearCookie(SESSION_COOKIE, { path: '/' }).status(204).send(null);
    },
  );
};
