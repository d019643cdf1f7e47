import { createHash } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Clock } from '../clock.js';
import { HubError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Db } from '../store/database.js';
import { CredentialTable } from './credential-table.js';

/**
 * The WebAuthn library, loaded when a phone first registers or uses a fingerprint rather than at
 * every start (about 50 ms of it, docs/performance.md).
 */
export const simpleWebAuthn = () => import('@simplewebauthn/server');

/** A phone's credential as the phone and the admin see it: never its public key bytes. */
export interface WebAuthnCredentialInfo {
  id: string;
  phoneId: string;
  name: string;
  rpId: string;
  origin: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** What is kept of any WebAuthn credential, a phone's or an admin's (the columns both tables share). */
export interface StoredCredential {
  id: string;
  name: string;
  public_key: Buffer;
  counter: number;
  transports: string;
  rp_id: string;
  origin: string;
  created_at: string;
  last_used_at: string | null;
}

/** What the Approvals check needs: one phone's assertion over one approval message. */
export interface ApprovalAssertionVerifier {
  verifyApproval(phoneId: string, message: string, assertion: unknown): Promise<void>;
}

/** A registration ceremony waits this long for the browser's answer. */
const REGISTRATION_TTL_MS = 5 * 60_000;

/**
 * The WebAuthn challenge of an approval (SPEC "The approval signature"): the SHA-256 of the v1
 * message, base64url. The browser computes the same from the message it signs, so the
 * fingerprint is bound to this intent, amount, payee and action, not to a server nonce.
 */
export function approvalChallenge(message: string): string {
  return createHash('sha256').update(message, 'utf8').digest('base64url');
}

/**
 * Where a web app origin may use WebAuthn: browsers allow it only in a secure context, so https,
 * or http on this machine's loopback names (localhost is a secure context).
 */
export function webAuthnOrigin(origin: string | undefined): { origin: string; rpId: string } {
  let url: URL;
  try {
    url = new URL(origin ?? '');
  } catch {
    throw new HubError('invalid_request', 'WebAuthn needs the Origin header of the web app');
  }
  const loopback = url.hostname === 'localhost' || url.hostname.endsWith('.localhost');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new HubError(
      'invalid_request',
      'WebAuthn works only over HTTPS: open the web app at its https:// address to use a fingerprint',
    );
  }
  return { origin: url.origin, rpId: url.hostname };
}

/**
 * Phones' WebAuthn credentials: registration from the web app (a fingerprint or face unlock on the
 * phone, user verification required) and the check of an assertion over an approval message. A
 * credential is bound to the phone that registered it and the origin it was registered from.
 */
export class WebAuthnCredentials implements ApprovalAssertionVerifier {
  /** Registration challenges per phone; one open ceremony each, lost on restart (the phone retries). */
  private readonly pending = new Map<string, { challenge: string; origin: string; expiresAt: number }>();
  private readonly credentials: CredentialTable;

  constructor(
    db: Db,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.credentials = new CredentialTable(db, clock, 'webauthn_credentials', 'phone_id');
  }

  /** Options for `navigator.credentials.create`, for a phone at `origin`. */
  async registrationOptions(
    phone: { id: string; name: string },
    originHeader: string | undefined,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const { origin, rpId } = webAuthnOrigin(originHeader);
    const { generateRegistrationOptions } = await simpleWebAuthn();
    const options = await generateRegistrationOptions({
      rpName: 'homepay',
      rpID: rpId,
      userName: phone.name,
      userDisplayName: phone.name,
      userID: new TextEncoder().encode(phone.id),
      attestationType: 'none',
      timeout: 120_000,
      // The phone's own unlock (fingerprint, face) rather than a roaming key: it is the phone
      // that approves. User verification is what makes it more than a tap.
      authenticatorSelection: {
        authenticatorAttachment: 'platform',
        residentKey: 'discouraged',
        userVerification: 'required',
      },
      excludeCredentials: this.credentials.rows(phone.id).map((row) => ({
        id: row.id,
        transports: parseTransports(row.transports),
      })),
    });
    this.pending.set(phone.id, {
      challenge: options.challenge,
      origin,
      expiresAt: this.clock.now() + REGISTRATION_TTL_MS,
    });
    return options;
  }

  /** Verifies the browser's answer to `registrationOptions` and keeps the credential. */
  async register(
    phoneId: string,
    response: unknown,
    originHeader: string | undefined,
    name = 'Phone unlock',
  ): Promise<WebAuthnCredentialInfo> {
    const { origin, rpId } = webAuthnOrigin(originHeader);
    const pending = this.pending.get(phoneId);
    if (!pending || pending.expiresAt <= this.clock.now() || pending.origin !== origin) {
      throw new HubError(
        'webauthn_registration_failed',
        'No registration is waiting for this phone here (or it took too long); start again',
      );
    }
    this.pending.delete(phoneId);
    const credential = await verifyRegistration(response, { ...pending, rpId }, (message) =>
      this.logger.warn({ phoneId, err: message }, 'WebAuthn registration refused'),
    );
    if (!this.credentials.insert(phoneId, credential, { name, rpId, origin })) {
      throw new HubError('webauthn_registration_failed', 'This credential is already registered');
    }
    return this.require(phoneId, credential.id);
  }

  list(phoneId: string): WebAuthnCredentialInfo[] {
    return this.credentials.rows(phoneId).map((row) => toInfo(phoneId, row));
  }

  /** What `navigator.credentials.get` may offer for this phone: ids and transports only. */
  allowCredentials(phoneId: string): Array<{ id: string; type: 'public-key'; transports: string[] }> {
    return this.credentials.rows(phoneId).map((row) => ({
      id: row.id,
      type: 'public-key' as const,
      transports: parseTransports(row.transports),
    }));
  }

  remove(phoneId: string, credentialId: string): WebAuthnCredentialInfo {
    const info = this.require(phoneId, credentialId);
    this.credentials.remove(phoneId, credentialId);
    return info;
  }

  /**
   * Throws unless `assertion` is a WebAuthn assertion, with user verification, by a credential
   * `phoneId` registered, over the challenge SHA-256(`message`), from the origin it was registered
   * at, with a signature counter that moved forward (a cloned authenticator shows up here).
   */
  async verifyApproval(phoneId: string, message: string, assertion: unknown): Promise<void> {
    if (!isAuthenticationResponse(assertion)) {
      throw new HubError('biometric_failed', 'The WebAuthn assertion is malformed');
    }
    const row = this.credentials.row(phoneId, assertion.id);
    if (!row) {
      throw new HubError('biometric_failed', 'This phone has not registered that WebAuthn credential');
    }
    let newCounter: number;
    try {
      newCounter = await verifyAssertion(assertion, row, approvalChallenge(message));
    } catch (err) {
      this.logger.warn({ phoneId, err: (err as Error).message }, 'WebAuthn assertion refused');
      throw new HubError('biometric_failed', `The fingerprint check failed: ${(err as Error).message}`);
    }
    this.credentials.used(row.id, newCounter);
  }

  private require(phoneId: string, credentialId: string): WebAuthnCredentialInfo {
    const row = this.credentials.require(phoneId, credentialId, 'This phone has no such WebAuthn credential');
    return toInfo(phoneId, row);
  }
}

function toInfo(phoneId: string, row: StoredCredential): WebAuthnCredentialInfo {
  return {
    id: row.id,
    phoneId,
    name: row.name,
    rpId: row.rp_id,
    origin: row.origin,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

/**
 * Checks the browser's answer to registration options made with `challenge` at `origin`, user
 * verification required, and returns what to keep; throws `webauthn_registration_failed`.
 */
export async function verifyRegistration(
  response: unknown,
  expected: { challenge: string; origin: string; rpId: string },
  logRefusal: (message: string) => void,
): Promise<{ id: string; publicKey: Buffer; counter: number; transports: string }> {
  if (!isRegistrationResponse(response)) {
    throw new HubError('webauthn_registration_failed', 'The registration response is malformed');
  }
  const { verifyRegistrationResponse } = await simpleWebAuthn();
  let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: expected.challenge,
      expectedOrigin: expected.origin,
      expectedRPID: expected.rpId,
      requireUserVerification: true,
    });
  } catch (err) {
    logRefusal((err as Error).message);
    throw new HubError('webauthn_registration_failed', (err as Error).message);
  }
  if (!verification.verified) {
    throw new HubError('webauthn_registration_failed', 'The registration did not verify');
  }
  const { credential } = verification.registrationInfo;
  return {
    id: credential.id,
    publicKey: Buffer.from(credential.publicKey),
    counter: credential.counter,
    transports: JSON.stringify(credential.transports ?? []),
  };
}

/**
 * Checks an assertion by the stored credential `row` over `challenge`, with user verification, from
 * the origin and RP ID it was registered at, with a signature counter that moved forward (a cloned
 * authenticator shows up here). Returns the new counter; throws a plain Error saying what failed,
 * for the caller to turn into its own refusal.
 */
export async function verifyAssertion(
  assertion: unknown,
  row: StoredCredential,
  challenge: string,
): Promise<number> {
  if (!isAuthenticationResponse(assertion)) throw new Error('The WebAuthn assertion is malformed');
  if (assertion.id !== row.id) throw new Error('The assertion is by another credential');
  const { verifyAuthenticationResponse } = await simpleWebAuthn();
  const verified = await verifyAuthenticationResponse({
    response: assertion,
    expectedChallenge: challenge,
    expectedOrigin: row.origin,
    expectedRPID: row.rp_id,
    credential: {
      id: row.id,
      publicKey: new Uint8Array(row.public_key),
      counter: row.counter,
      transports: parseTransports(row.transports),
    },
    requireUserVerification: true,
  });
  if (!verified.verified || !verified.authenticationInfo.userVerified) {
    throw new Error('The authenticator did not verify its user');
  }
  return verified.authenticationInfo.newCounter;
}

export function parseTransports(json: string): AuthenticatorTransport[] {
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed)
    ? parsed.filter((t): t is AuthenticatorTransport => typeof t === 'string')
    : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasStrings(value: unknown, keys: string[]): boolean {
  return isRecord(value) && keys.every((key) => typeof value[key] === 'string');
}

export function isRegistrationResponse(value: unknown): value is RegistrationResponseJSON {
  return (
    hasStrings(value, ['id', 'rawId', 'type']) &&
    isRecord(value) &&
    hasStrings(value.response, ['clientDataJSON', 'attestationObject'])
  );
}

export function isAuthenticationResponse(value: unknown): value is AuthenticationResponseJSON {
  return (
    hasStrings(value, ['id', 'rawId', 'type']) &&
    isRecord(value) &&
    hasStrings(value.response, ['clientDataJSON', 'authenticatorData', 'signature'])
  );
}
