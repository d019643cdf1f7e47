import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AdminSecurityKeys } from '../../../admin/admin-security-keys.js';
import { HubError } from '../../../errors.js';
import { allow } from '../../plugins/auth.js';
import { commonErrors } from '../../schemas/common.js';
import { RegisterBody, RegistrationOptions } from '../../schemas/webauthn.js';

/** A security key as the API shows it: an allow-list, so the public key can never leave. */
const SecurityKey = Type.Object({
  id: Type.String({ description: 'the credential id, base64url' }),
  name: Type.String(),
  rpId: Type.String({ description: 'the host name it works on' }),
  origin: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const KeyParams = Type.Object({ credentialId: Type.String({ minLength: 1, maxLength: 1024 }) });

/** The person signed in with a login session; the admin token is no one's and has no keys. */
function person(request: FastifyRequest): string {
  const principal = allow(request, 'admin');
  if (principal.kind !== 'admin' || !principal.username) {
    throw new HubError('forbidden', 'Security keys belong to a person: sign in with your own login');
  }
  return principal.username;
}

/** A signed-in person's own security keys: register (options, then the browser's answer), list, remove. */
export const securityKeyRoutes: FastifyPluginAsyncTypebox<{
  services: { adminSecurityKeys: AdminSecurityKeys };
}> = async (app, { services }) => {
  const keys = services.adminSecurityKeys;

  app.post(
    '/api/admin/security-keys/registration-options',
    {
      schema: {
        summary: 'Start registering a security key (WebAuthn) as the second factor of your login',
        tags: ['admin'],
        response: { 200: RegistrationOptions, ...commonErrors },
      },
    },
    async (request) => keys.registrationOptions(person(request), request.headers.origin),
  );

  app.post(
    '/api/admin/security-keys',
    {
      schema: {
        summary: 'Finish registering: the browser answer to the registration options',
        tags: ['admin'],
        body: RegisterBody,
        response: { 201: SecurityKey, ...commonErrors },
      },
    },
    async (request, reply) => {
      const key = await keys.register(
        person(request),
        request.body.response,
        request.headers.origin,
        request.body.name,
      );
      return reply.status(201).send(key);
    },
  );

  app.get(
    '/api/admin/security-keys',
    {
      schema: {
        summary: 'Your security keys',
        tags: ['admin'],
        response: { 200: Type.Array(SecurityKey), ...commonErrors },
      },
    },
    async (request) => keys.list(person(request)),
  );

  app.delete(
    '/api/admin/security-keys/:credentialId',
    {
      schema: {
        summary: 'Remove one of your security keys (the authenticator code still works)',
        tags: ['admin'],
        params: KeyParams,
        response: { 200: SecurityKey, ...commonErrors },
      },
    },
    async (request) => keys.remove(person(request), request.params.credentialId),
  );
};
