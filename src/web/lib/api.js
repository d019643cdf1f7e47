/**
 * Talking to the hub: JSON over fetch with the phone's (or the admin's) bearer token, errors as
 * `ApiError` with the hub's snake_case code, and the live event stream.
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

/**
 * @param {string} path
 * @param {{ method?: string, body?: unknown, headers?: Record<string, string>, token?: string }} [options]
 * @returns {Promise<any>}
 */
export async function api(path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json', ...(options.headers ?? {}) };
  const token = options.token ?? bearer;
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
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
