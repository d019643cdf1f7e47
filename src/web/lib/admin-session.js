/**
 * How the admin page is signed in, remembered in this tab only (sessionStorage), never in the URL or
 * localStorage: a person's login, whose session is an HttpOnly cookie this page cannot read (only
 * the username and the CSRF token are kept), or the admin token, the way in for a fresh hub that has
 * no person yet. The password and the second factor (the authenticator code, or a security key's
 * assertion) are sent once and kept nowhere.
 */
import { ApiError, api } from './api.js';
import { authenticate } from './approval.js';

const LOGIN_KEY = 'homepay.adminLogin';
const TOKEN_KEY = 'homepay.adminToken';

/**
 * @typedef {{ kind: 'login', username: string, csrfToken: string } | { kind: 'token', token: string }} AdminSignIn
 */

/** @returns {AdminSignIn | undefined} */
export function currentSignIn() {
  try {
    const login = JSON.parse(sessionStorage.getItem(LOGIN_KEY) ?? 'null');
    if (typeof login?.username === 'string' && typeof login?.csrfToken === 'string') {
      return { kind: 'login', username: login.username, csrfToken: login.csrfToken };
    }
  } catch {
    // Not ours (or damaged): fall through to the token, or to signing in again.
  }
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { kind: 'token', token } : undefined;
}

/** The `api()` options that make a request as this sign-in. @param {AdminSignIn} signIn */
export function credentials(signIn) {
  return signIn.kind === 'login' ? { csrfToken: signIn.csrfToken } : { token: signIn.token };
}

/**
 * Logs a person in with password and authenticator code; the hub sets the session cookie.
 * @param {string} username @param {string} password @param {string} code
 * @returns {Promise<AdminSignIn>}
 */
export async function logIn(username, password, code) {
  return remember(
    await api('/api/admin/login', {
      method: 'POST',
      anonymous: true,
      body: { username, password, totp: code },
    }),
  );
}

/**
 * Logs a person in with password and security key: the hub checks the password and answers with a
 * challenge for this person's keys; the key signs it (with a PIN or finger); the hub checks both.
 * A key that was not used (cancelled, timed out, none present) is `security_key_cancelled`.
 * @param {string} username @param {string} password
 * @returns {Promise<AdminSignIn>}
 */
export async function logInWithSecurityKey(username, password) {
  const options = await api('/api/admin/login/security-key', {
    method: 'POST',
    anonymous: true,
    body: { username, password },
  });
  let webauthn;
  try {
    webauthn = await authenticate(options);
  } catch (err) {
    throw new ApiError(0, 'security_key_cancelled', /** @type {Error} */ (err).message);
  }
  return remember(
    await api('/api/admin/login', {
      method: 'POST',
      anonymous: true,
      body: { username, password, webauthn },
    }),
  );
}

/**
 * Keeps what the page needs of a login: the username and the CSRF token (the cookie is the hub's).
 * @param {{ username: string, csrfToken: string }} session
 * @returns {AdminSignIn}
 */
function remember(session) {
  forgetSignIn();
  sessionStorage.setItem(
    LOGIN_KEY,
    JSON.stringify({ username: session.username, csrfToken: session.csrfToken }),
  );
  return { kind: 'login', username: session.username, csrfToken: session.csrfToken };
}

/** @param {string} token */
export function useAdminToken(token) {
  forgetSignIn();
  sessionStorage.setItem(TOKEN_KEY, token);
}

/**
 * Ends the sign-in: a login's session is ended at the hub too (which clears the cookie); one that
 * has already ended there is fine. If the hub cannot be reached the sign-in stays, and the error
 * is thrown: the session must not live on at the hub while the page looks signed out.
 * @param {AdminSignIn} signIn
 */
export async function signOut(signIn) {
  if (signIn.kind === 'login') {
    try {
      await api('/api/admin/logout', { method: 'POST', ...credentials(signIn) });
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) throw err;
    }
  }
  forgetSignIn();
}

export function forgetSignIn() {
  sessionStorage.removeItem(LOGIN_KEY);
  sessionStorage.removeItem(TOKEN_KEY);
}
