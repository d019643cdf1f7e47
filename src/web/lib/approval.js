/**
 * Signing a decision in the browser (SPEC "The approval signature"): the v1 message is rebuilt
 * from the intent the phone shows, signed with the phone's Ed25519 key (tweetnacl), and, above the
 * household's threshold, also confirmed by a WebAuthn assertion whose challenge is SHA-256 of the
 * same message, so the fingerprint approves exactly this amount to exactly this payee.
 */

/** @returns {any} */
function nacl() {
  const lib = /** @type {any} */ (globalThis).nacl;
  if (!lib) throw new Error('tweetnacl did not load');
  return lib;
}

/** @returns {any} */
function webauthn() {
  const lib = /** @type {any} */ (globalThis).SimpleWebAuthnBrowser;
  if (!lib) throw new Error('@simplewebauthn/browser did not load');
  return lib;
}

/** @param {Uint8Array} bytes */
export function toBase64(bytes) {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** @param {Uint8Array} bytes */
export function toBase64Url(bytes) {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** @param {string} text base64 or base64url */
export function fromBase64Url(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '='));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** A fresh Ed25519 key pair, made here; only the public key is sent. */
export function newKeyPair() {
  const pair = nacl().sign.keyPair();
  return { publicKey: toBase64(pair.publicKey), secretKey: pair.secretKey };
}

/**
 * @param {{ id: string, amount: number, currency: string, payee: { id: string }, challenge: string, expiresAt: string }} intent
 * @param {'approve' | 'deny'} action
 * @param {string} phoneId
 */
export function approvalMessage(intent, action, phoneId) {
  return [
    'homepay-approval-v1',
    intent.id,
    action,
    String(intent.amount),
    intent.currency,
    intent.payee.id,
    intent.challenge,
    intent.expiresAt,
    phoneId,
  ].join('\n');
}

/** base64 Ed25519 detached signature. @param {string} message @param {Uint8Array} secretKey */
export function sign(message, secretKey) {
  return toBase64(nacl().sign.detached(new TextEncoder().encode(message), secretKey));
}

/** SHA-256 of the message, base64url: the WebAuthn challenge. @param {string} message */
export async function approvalChallenge(message) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(message));
  return toBase64Url(new Uint8Array(digest));
}

export function webAuthnAvailable() {
  return window.isSecureContext && typeof window.PublicKeyCredential === 'function';
}

/**
 * Asks the phone's authenticator, with user verification, to sign SHA-256(message).
 * @param {string} message
 * @param {Array<{ id: string, type: string, transports?: string[] }>} allowCredentials
 */
export async function assertApproval(message, allowCredentials) {
  return webauthn().startAuthentication({
    optionsJSON: {
      challenge: await approvalChallenge(message),
      rpId: location.hostname,
      allowCredentials,
      userVerification: 'required',
      timeout: 60_000,
    },
  });
}

/** Runs an assertion with options from the hub (the admin's security key login). @param {any} optionsJSON */
export function authenticate(optionsJSON) {
  return webauthn().startAuthentication({ optionsJSON });
}

/** Runs the registration ceremony with options from the hub. @param {any} optionsJSON */
export function registerAuthenticator(optionsJSON) {
  return webauthn().startRegistration({ optionsJSON });
}
