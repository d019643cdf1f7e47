/**
 * Talking to the hub: JSON over fetch with the phone's (or the admin's) bearer token, or a person's
 * admin login (its HttpOnly session cookie plus the CSRF token), errors as `ApiError` with the hub's
 * snake_case code, and the live event stream.
 */

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** @type {string | undefined} */
let bearer;

/** Sets the token every request carries. @param {string | undefined} token */
export function useToken(token) {
  bearer = token;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * `token`: a bearer token instead of this phone's. `csrfToken`: go as the admin login instead, with
 * no bearer token: the browser adds the session cookie (same origin only) and a state-changing
 * request carries this as X-CSRF-Token, which another site cannot set. `anonymous`: no credentials
 * of ours at all (the login itself).
 * @param {string} path
 * @param {{ method?: string, body?: unknown, headers?: Record<string, string>, token?: string,
 *   csrfToken?: string, anonymous?: boolean }} [options]
 * @returns {Promise<any>}
 */
export async function api(path, options = {}) {
  const method = options.method ?? 'GET';
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json', ...(options.headers ?? {}) };
  const cookieSession = options.csrfToken !== undefined;
  const token = options.anonymous || cookieSession ? undefined : (options.token ?? bearer);
  if (token) headers.authorization = `Bearer ${token}`;
  if (cookieSession && !SAFE_METHODS.has(method)) headers['x-csrf-token'] = String(options.csrfToken);
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
      credentials: 'same-origin',
    });
  } catch (err) {
    throw new ApiError(0, 'network', /** @type {Error} */ (err).message);
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    throw new ApiError(
      response.status,
      data?.error?.code ?? 'http_error',
      data?.error?.message ?? response.statusText,
    );
  }
  return data;
}

/**
 * GET that answers `fallback` when the hub has no such route (a domain not built on this hub yet).
 * @param {string} path @param {unknown} fallback
 */
export async function optional(path, fallback) {
  try {
    return await api(path);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 403)) return fallback;
    throw err;
  }
}

/**
 * The hub's Server-Sent Events for this phone; EventSource reconnects by itself.
 * @param {string} token
 * @param {(kind: string, intent: any) => void} onIntent
 * @param {(open: boolean) => void} onState
 */
export function liveEvents(token, onIntent, onState) {
  const source = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
  for (const kind of ['approval_needed', 'intent_updated']) {
    source.addEventListener(kind, (event) =>
      onIntent(kind, JSON.parse(/** @type {MessageEvent} */ (event).data)),
    );
  }
  source.onopen = () => onState(true);
  source.onerror = () => onState(false);
  return source;
}
