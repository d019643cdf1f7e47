'use strict';
/**
 * The hub's public HTTP API (SPEC.md), from the outside: a bearer token, JSON in and out, errors as
 * `{"error": {"code", "message"}}`. Plain node:http/https so the hub's own CA can be trusted (`ca`)
 * without touching the process's global agent.
 */
const http = require('node:http');
const https = require('node:https');

const DEFAULT_TIMEOUT_MS = 10_000;

/** An error the hub returned (`code` from its catalogue) or `hub_unreachable` when there was no answer. */
class HubError extends Error {
  /**
   * @param {string} message
   * @param {{code: string, status: number}} details
   */
  constructor(message, details) {
    super(message);
    this.name = 'HubError';
    this.code = details.code;
    this.status = details.status;
  }
}

/**
 * One request to the hub.
 * @param {{hubUrl: string, token?: string, ca?: string, timeoutMs?: number}} hub
 * @param {{method?: string, path: string, query?: Record<string, string | number | undefined>,
 *   body?: unknown, headers?: Record<string, string>}} request
 * @returns {Promise<{status: number, body: any}>}
 */
function hubRequest(hub, request) {
  let url;
  try {
    url = new URL(request.path, withSlash(hub.hubUrl));
  } catch {
    return Promise.reject(
      new HubError(`The hub URL "${hub.hubUrl}" is not a URL`, { code: 'bad_hub_url', status: 0 }),
    );
  }
  for (const [key, value] of Object.entries(request.query ?? {})) {
    if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
  }
  const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body), 'utf8');
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json', ...(request.headers ?? {}) };
  if (hub.token) headers.authorization = `Bearer ${hub.token}`;
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  const transport = url.protocol === 'https:' ? https : http;
  const options = {
    method: request.method ?? 'GET',
    headers,
    timeout: hub.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(url.protocol === 'https:' && hub.ca ? { ca: hub.ca } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = transport.request(url, options, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('error', (err) => reject(unreachable(hub.hubUrl, err)));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        /** @type {any} */
        let body = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // Not JSON: kept as text for the error below.
        }
        if (status >= 300 && status < 400) {
          reject(
            new HubError(
              `The hub redirects ${url.pathname} to ${res.headers.location}: use its HTTPS address (and its CA) as the hub URL`,
              { code: 'redirected', status },
            ),
          );
        } else if (status >= 400) {
          const error = body && typeof body === 'object' && body.error ? body.error : undefined;
          reject(
            new HubError(error?.message ?? `The hub answered ${status}`, {
              code: error?.code ?? 'http_error',
              status,
            }),
          );
        } else resolve({ status, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeout} ms`)));
    req.on('error', (err) => reject(unreachable(hub.hubUrl, err)));
    req.end(payload);
  });
}

/** @param {string} hubUrl @param {Error} err */
function unreachable(hubUrl, err) {
  return new HubError(`The hub at ${hubUrl} is unreachable: ${err.message}`, {
    code: 'hub_unreachable',
    status: 0,
  });
}

/** @param {string} url */
function withSlash(url) {
  return url.endsWith('/') ? url : `${url}/`;
}

/**
 * Where to reach the hub's broker: the configured URL, or the port `GET /api/health` reports on the
 * hub's own host (or the external broker's URL when the hub uses one).
 * @param {{hubUrl: string, mqttUrl?: string, ca?: string, timeoutMs?: number}} hub
 * @returns {Promise<string>}
 */
async function brokerUrl(hub) {
  if (hub.mqttUrl) return hub.mqttUrl;
  const { body } = await hubRequest({ ...hub, token: undefined }, { path: 'api/health' });
  const mqtt = body?.mqtt ?? {};
  if (typeof mqtt.url === 'string') return mqtt.url;
  if (typeof mqtt.port !== 'number')
    throw new HubError('The hub did not say where its broker is', { code: 'no_broker', status: 0 });
  // URL.hostname keeps an IPv6 address in its brackets, as a URL needs it.
  return `mqtt://${new URL(hub.hubUrl).hostname}:${mqtt.port}`;
}

module.exports = { HubError, hubRequest, brokerUrl };
