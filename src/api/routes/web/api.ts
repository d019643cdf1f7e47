import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { HubError } from '../../../errors.js';
import { allow } from '../../plugins/auth.js';
import { qrDataUrl } from '../../qr-data-url.js';
import { commonErrors, IdParams } from '../../schemas/common.js';
import { AllowCredential, RegisterBody, RegistrationOptions } from '../../schemas/webauthn.js';
import type { ApiServices } from '../../services.js';

const Credential = Type.Object({
  id: Type.String(),
  phoneId: Type.String(),
  name: Type.String(),
  rpId: Type.String({ description: 'the host name it works on' }),
  origin: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const WebConfig = Type.Object({
  role: Type.Union([Type.Literal('admin'), Type.Literal('phone')]),
  phone: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
  currency: Type.String(),
  biometricAbove: Type.Union([
    Type.Integer({ description: 'above this amount (minor units) an approval needs a fingerprint' }),
    Type.Null(),
  ]),
  webPush: Type.Union([Type.Object({ publicKey: Type.String() }), Type.Null()]),
  pushSubscriptions: Type.Integer(),
  allowCredentials: Type.Array(AllowCredential),
});

const CredentialParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  credentialId: Type.String({ minLength: 1, maxLength: 1024 }),
});

const Base64Url = (maxLength: number) =>
  Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_=-]+$' });

const PushSubscriptionBody = Type.Object(
  {
    endpoint: Type.String({
      pattern: '^https://',
      maxLength: 2048,
      description: "the browser's push service URL (always https)",
    }),
    expirationTime: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    keys: Type.Object({ p256dh: Base64Url(200), auth: Base64Url(100) }, { additionalProperties: false }),
  },
  { additionalProperties: false, description: 'PushSubscription.toJSON() from the service worker' },
);

const EndpointBody = Type.Object(
  { endpoint: Type.String({ minLength: 1, maxLength: 2048 }) },
  { additionalProperties: false },
);

const PushSubscribed = Type.Object({ endpoint: Type.String(), subscriptions: Type.Integer() });

/** How a speaker may order (config `voice.policy` and `voice.speakers`); minor units for money. */
const SpeakerPolicyResponse = Type.Object({
  deviceId: Type.String(),
  name: Type.String(),
  policy: Type.Object({
    ordering: Type.Boolean(),
    maxPerOrder: Type.Integer(),
    maxQuantity: Type.Integer(),
    dailyCap: Type.Integer(),
    categories: Type.Array(Type.String()),
    quietHours: Type.Optional(Type.Object({ from: Type.String(), to: Type.String() })),
    voiceProfiles: Type.Optional(Type.Array(Type.String())),
  }),
});

/** Profiles whose devices take voice orders: native speakers and Rhasspy satellites (or a base's sites). */
const SPEAKER_PROFILES = new Set(['homepay-speaker', 'rhasspy-satellite', 'rhasspy-base']);

const PairingWithQr = Type.Object({
  code: Type.String(),
  url: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
  qr: Type.String({ description: 'the link as a QR code, an SVG data: URL' }),
  caFingerprint: Type.Optional(Type.String()),
});

/**
 * The API the phone web app needs beyond the payment core: its configuration, its WebAuthn
 * credentials, its Web Push subscription, and the admin page's pairing QR code. A phone manages only
 * its own credentials and subscriptions; the admin may list and remove them.
 */
export const webAppApiRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (
  app,
  { services },
) => {
  const { phones, webApp } = services;
  const { webauthn, pushSubscriptions } = webApp;

  /** The phone acting on `/api/phones/{id}/...`: itself only, or the admin where `adminToo`. */
  function ownPhone(request: FastifyRequest, phoneId: string, adminToo = false): void {
    const principal = adminToo ? allow(request, 'admin', 'phone') : allow(request, 'phone');
    if (principal.kind === 'phone' && principal.phoneId !== phoneId) {
      throw new HubError('phone_mismatch', 'A phone may only manage itself');
    }
    if (!phones.get(phoneId)) throw new HubError('phone_not_found', `No phone with id ${phoneId}`);
  }

  app.get(
    '/api/web/config',
    {
      schema: {
        summary: 'What the web app needs to know at start: who it is, the thresholds, the push key',
        tags: ['web app'],
        response: { 200: WebConfig, ...commonErrors },
      },
    },
    async (request) => {
      const principal = allow(request, 'admin', 'phone');
      const phone = principal.kind === 'phone' ? phones.get(principal.phoneId) : undefined;
      return {
        role: principal.kind === 'phone' ? ('phone' as const) : ('admin' as const),
        phone: phone ? { id: phone.id, name: phone.name } : null,
        currency: services.ledger.currency,
        biometricAbove: webApp.biometricAbove ?? null,
        webPush: webApp.vapidPublicKey ? { publicKey: webApp.vapidPublicKey } : null,
        pushSubscriptions: phone ? pushSubscriptions.countFor(phone.id) : 0,
        allowCredentials: phone ? webauthn.allowCredentials(phone.id) : [],
      };
    },
  );

  app.get(
    '/api/web/speakers',
    {
      schema: {
        summary: 'Each speaker and the ordering policy it works under (read-only; set in the config)',
        tags: ['web app'],
        response: { 200: Type.Array(SpeakerPolicyResponse), ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin', 'phone');
      return services.registry
        .list()
        .filter(
          (device) =>
            SPEAKER_PROFILES.has(device.profile) && (device.profile !== 'rhasspy-base' || device.parentId),
        )
        .map((device) => ({ deviceId: device.id, name: device.name, policy: webApp.speakerPolicy(device) }));
    },
  );

  app.post(
    '/api/web/pairing',
    {
      schema: {
        summary: 'A pairing code with its link as a QR code, for the admin page',
        tags: ['web app'],
        response: { 201: PairingWithQr, ...commonErrors },
      },
    },
    async (request, reply) => {
      allow(request, 'admin');
      const { code, expiresAt } = phones.createPairingCode();
      const url = services.pairingUrl(code);
      return reply.status(201).send({
        code,
        url,
        expiresAt,
        qr: await qrDataUrl(url),
        caFingerprint: services.tls?.caFingerprint,
      });
    },
  );

  app.post(
    '/api/phones/:id/webauthn/registration-options',
    {
      schema: {
        summary: "Start registering this phone's fingerprint or face unlock (WebAuthn)",
        tags: ['phones'],
        params: IdParams,
        response: { 200: RegistrationOptions, ...commonErrors },
      },
    },
    async (request) => {
      ownPhone(request, request.params.id);
      const phone = phones.get(request.params.id);
      if (!phone) throw new HubError('phone_not_found', `No phone with id ${request.params.id}`);
      return webauthn.registrationOptions(phone, request.headers.origin);
    },
  );

  app.post(
    '/api/phones/:id/webauthn/credentials',
    {
      schema: {
        summary: 'Finish registering: the browser answer to the registration options',
        tags: ['phones'],
        params: IdParams,
        body: RegisterBody,
        response: { 201: Credential, ...commonErrors },
      },
    },
    async (request, reply) => {
      ownPhone(request, request.params.id);
      const credential = await webauthn.register(
        request.params.id,
        request.body.response,
        request.headers.origin,
        request.body.name,
      );
      return reply.status(201).send(credential);
    },
  );

  app.get(
    '/api/phones/:id/webauthn/credentials',
    {
      schema: {
        tags: ['phones'],
        params: IdParams,
        response: { 200: Type.Array(Credential), ...commonErrors },
      },
    },
    async (request) => {
      ownPhone(request, request.params.id, true);
      return webauthn.list(request.params.id);
    },
  );

  app.delete(
    '/api/phones/:id/webauthn/credentials/:credentialId',
    {
      schema: {
        summary: 'Forget a WebAuthn credential (approvals above the threshold then need another)',
        tags: ['phones'],
        params: CredentialParams,
        response: { 200: Credential, ...commonErrors },
      },
    },
    async (request) => {
      ownPhone(request, request.params.id, true);
      return webauthn.remove(request.params.id, request.params.credentialId);
    },
  );

  app.post(
    '/api/phones/:id/push-subscription',
    {
      schema: {
        summary: "Keep this phone's Web Push subscription, so approvals reach it when the app is closed",
        tags: ['phones'],
        params: IdParams,
        body: PushSubscriptionBody,
        response: { 201: PushSubscribed, ...commonErrors },
      },
    },
    async (request, reply) => {
      ownPhone(request, request.params.id);
      if (!webApp.vapidPublicKey) throw new HubError('invalid_request', 'Web Push is turned off on this hub');
      pushSubscriptions.save(request.params.id, request.body);
      return reply.status(201).send({
        endpoint: request.body.endpoint,
        subscriptions: pushSubscriptions.countFor(request.params.id),
      });
    },
  );

  app.delete(
    '/api/phones/:id/push-subscription',
    {
      schema: {
        summary: 'Stop Web Push to this subscription',
        tags: ['phones'],
        params: IdParams,
        body: EndpointBody,
        response: { 200: PushSubscribed, ...commonErrors },
      },
    },
    async (request) => {
      ownPhone(request, request.params.id);
      pushSubscriptions.remove(request.params.id, request.body.endpoint);
      return {
        endpoint: request.body.endpoint,
        subscriptions: pushSubscriptions.countFor(request.params.id),
      };
    },
  );
};
