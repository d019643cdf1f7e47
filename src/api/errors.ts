import type { FastifyError, FastifyInstance } from 'fastify';
import { HubError } from '../errors.js';

/**
 * One renderer for every error: a `HubError` keeps its code and message; fastify's own errors
 * (validation, body too large) get catalogue codes; anything else is a 500 whose message is
 * logged but never shown, since it may carry internals.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | HubError, request, reply) => {
    if (error instanceof HubError) {
      return reply.status(error.status).send({ error: { code: error.code, message: error.message } });
    }
    if (error.validation) {
      return reply.status(400).send({ error: { code: 'invalid_request', message: error.message } });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply
        .status(413)
        .send({ error: { code: 'payload_too_large', message: 'Request body is too large' } });
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      return reply.status(status).send({ error: { code: 'invalid_request', message: error.message } });
    }
    request.log.error({ err: error }, 'request failed');
    // The database could not write (a full disk, an I/O error): every write is one transaction,
    // so nothing changed, and the same request can be sent again later (issue 10's disk-full test).
    if (/^SQLITE_(FULL|IOERR|BUSY|READONLY)/.test(String(error.code))) {
      return reply.status(503).send({
        error: {
          code: 'service_unavailable',
          message: 'The hub cannot write to its storage right now; nothing was changed, try again later',
        },
      });
    }
    return reply.status(500).send({ error: { code: 'internal_error', message: 'Internal error' } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: { code: 'not_found', message: `No route ${request.method} ${request.url}` } }),
  );
}
