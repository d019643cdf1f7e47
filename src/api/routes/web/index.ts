import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HubError } from '../../../errors.js';
import { loadWebBundle, type WebAsset } from './assets.js';

/**
 * No script but our own files, no inline script or style, nothing framed, nothing posted
 * elsewhere. Images may be data: URLs (the pairing QR code is one).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  // The pairing link carries its code in the query: never hand it to another site as a referrer.
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy':
    'camera=(), microphone=(), geolocation=(), payment=(), usb=(), publickey-credentials-get=(self), publickey-credentials-create=(self)',
};

/** Paths the app's own router shows; each gets the same shell. */
export const APP_PAGES = [
  '/',
  '/pair',
  '/approve/:id',
  '/history',
  '/wallet',
  '/energy',
  '/devices',
  '/settings',
  '/admin',
] as const;

/**
 * The phone web app: an installable PWA of plain ES modules from `src/web/`, served as they are
 * (no build step). Asset URLs carry a digest of the whole app (`/assets/{build}/...`), so they are
 * cached for a year and a new version is new URLs; the shell, the service worker and the manifest
 * are revalidated every time. Every response here carries the security headers above.
 */
export const webAppRoutes: FastifyPluginAsync = async (app) => {
  const bundle = loadWebBundle();

  app.addHook('onSend', async (request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    if (request.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000');
    return payload;
  });

  const send = (request: FastifyRequest, reply: FastifyReply, asset: WebAsset, cacheControl: string) => {
    reply.header('cache-control', cacheControl).header('etag', asset.etag);
    if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send();
    return reply.type(asset.contentType).send(asset.body);
  };

  const hide = { schema: { hide: true } };

  for (const page of APP_PAGES) {
    app.get(page, hide, (request, reply) => send(request, reply, bundle.shell, 'no-cache'));
  }
  app.get('/sw.js', hide, (request, reply) => send(request, reply, bundle.serviceWorker, 'no-cache'));
  app.get('/manifest.webmanifest', hide, (request, reply) =>
    send(request, reply, bundle.manifest, 'no-cache'),
  );
  app.get('/favicon.ico', hide, (_request, reply) => reply.redirect(`/assets/${bundle.build}/icon.svg`, 301));
  app.get<{ Params: { build: string; '*': string } }>('/assets/:build/*', hide, (request, reply) => {
    const asset = request.params.build === bundle.build ? bundle.assets.get(request.params['*']) : undefined;
    if (!asset) throw new HubError('not_found', `No asset ${request.url}`);
    return send(request, reply, asset, 'public, max-age=31536000, immutable');
  });
};
