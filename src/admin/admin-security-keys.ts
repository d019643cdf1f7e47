import { createHash } from 'node:crypto';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import type { Clock } from '../clock.js';
import { CredentialTable } from '../confirm/credential-table.js';
import {
  isAuthenticationResponse,
  parseTransports,
  type StoredCredential,
  simpleWebAuthn,
  verifyAssertion,
  verifyRegistration,
  webAuthnOrigin,
} from '../confirm/webauthn.js';
import { HubError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Db } from '../store/database.js';

/** A security key as its owner sees it: never its public key bytes. */
export interface SecurityKeyInfo {
  id: string;
  name: string;
  rpId: string;
  origin: string;
  createdAt: string;
  lastUsedAt: string | null;
}

interface Ceremony {
  challenge: string;
  origin: string;
  rpId: string;
  expiresAt: number;
}

/** A registration waits this long for the browser's answer. */
const REGISTRATION_TTL_MS = 5 * 60_000;
/** A login challenge is good for this long, once. */
export const LOGIN_CHALLENGE_TTL_MS = 2 * 60_000;

/**
 * A person's security keys (WebAuthn: a USB or NFC key, or the computer's own fingerprint or face
 * unlock, user verification required) as the second factor of the admin login instead of the TOTP
 * code. The checks are those the phones' approvals use (confirm/webauthn.ts); here a challenge is a
 * server nonce, issued only once the password has checked out (AdminUsers.securityKeyChallenge),
 * bound to that person, short-lived and good for one try.
 */
export class AdminSecurityKeys {
  /** Open ceremonies per username, one of each kind; lost on restart (the person starts again). */
  private readonly registrations = new Map<string, Ceremony>();
  private readonly logins = new Map<string, Ceremony>();
  private readonly keys: CredentialTable;

  constructor(
    db: Db,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.keys = new CredentialTable(db, clock, 'admin_webauthn_credentials', 'username');
  }

  /** Options for `navigator.credentials.create`, for `username` at `originHeader`. */
  async registrationOptions(
    username: string,
    originHeader: string | undefined,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const { origin, rpId } = webAuthnOrigin(originHeader);
    const { generateRegistrationOptions } = await simpleWebAuthn();
    const options = await generateRegistrationOptions({
      rpName: 'homepay',
      rpID: rpId,
      userName: username,
      userDisplayName: username,
      // An opaque handle rather than the name itself; distinct from any phone's.
      userID: createHash('sha256').update(`admin:${username}`).digest(),
      attestationType: 'none',
      timeout: 120_000,
      // A roaming key or the computer's own unlock, either; user verification (a PIN, a finger)
      // is what makes it a factor rather than a touch.
      authenticatorSelection: { residentKey: 'discouraged', userVerification: 'required' },
      excludeCredentials: this.keys.rows(username).map((row) => ({
        id: row.id,
        transports: parseTransports(row.transports),
      })),
    });
    this.registrations.set(username, {
      challenge: options.challenge,
      origin,
      rpId,
      expiresAt: this.clock.now() + REGISTRATION_TTL_MS,
    });
    return options;
  }

  /** Verifies the browser's answer to `registrationOptions` and keeps the key under `name`. */
  async register(
    username: string,
    response: unknown,
    originHeader: string | undefined,
    name = 'Security key',
  ): Promise<SecurityKeyInfo> {
    const { origin } = webAuthnOrigin(originHeader);
    const pending = this.registrations.get(username);
    if (!pending || pending.expiresAt <= this.clock.now() || pending.origin !== origin) {
      throw new HubError(
        'webauthn_registration_failed',
        'No security key registration is waiting for this login here (or it took too long); start again',
      );
    }
    this.registrations.delete(username);
    const credential = await verifyRegistration(response, pending, (message) =>
      this.logger.warn({ username, err: message }, 'security key registration refused'),
    );
    if (!this.keys.insert(username, credential, { name, rpId: pending.rpId, origin })) {
      throw new HubError('webauthn_registration_failed', 'This security key is already registered');
    }
    return this.require(username, credential.id);
  }

  list(username: string): SecurityKeyInfo[] {
    return this.keys.rows(username).map(toInfo);
  }

  remove(username: string, credentialId: string): SecurityKeyInfo {
    const info = this.require(username, credentialId);
    this.keys.remove(username, credentialId);
    return info;
  }

  /**
   * Options for `navigator.credentials.get` at login. Call only once the password has checked out:
   * it names the person's keys. A new call replaces the challenge of the last.
   */
  async loginOptions(
    username: string,
    originHeader: string | undefined,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const { origin, rpId } = webAuthnOrigin(originHeader);
    const keys = this.keys.rows(username).filter((row) => row.rp_id === rpId);
    if (keys.length === 0) {
      throw new HubError(
        'no_security_key',
        'This login has no security key here; use the authenticator code',
      );
    }
    const { generateAuthenticationOptions } = await simpleWebAuthn();
    const options = await generateAuthenticationOptions({
      rpID: rpId,
      allowCredentials: keys.map((row) => ({ id: row.id, transports: parseTransports(row.transports) })),
      userVerification: 'required',
      timeout: LOGIN_CHALLENGE_TTL_MS,
    });
    this.logins.set(username, {
      challenge: options.challenge,
      origin,
      rpId,
      expiresAt: this.clock.now() + LOGIN_CHALLENGE_TTL_MS,
    });
    return options;
  }

  /**
   * Whether `assertion` answers the open login challenge of `username`, by one of that person's
   * keys, with user verification and a counter that moved forward. The challenge is spent by the
   * try, whatever its outcome. Never throws for a bad assertion: the login says only that it failed.
   */
  async verifyLogin(username: string, assertion: unknown): Promise<boolean> {
    const pending = this.logins.get(username);
    this.logins.delete(username);
    const refuse = (reason: string) => {
      this.logger.warn({ username, err: reason }, 'security key login refused');
      return false;
    };
    if (!pending || pending.expiresAt <= this.clock.now()) {
      return refuse('no login challenge is open (never asked, already used, or expired)');
    }
    if (!isAuthenticationResponse(assertion)) return refuse('the assertion is malformed');
    const row = this.keys.row(username, assertion.id);
    if (!row) return refuse('not one of this login’s security keys');
    if (row.origin !== pending.origin) return refuse('registered at another origin');
    let newCounter: number;
    try {
      newCounter = await verifyAssertion(assertion, row, pending.challenge);
    } catch (err) {
      return refuse((err as Error).message);
    }
    this.keys.used(row.id, newCounter);
    return true;
  }

  private require(username: string, credentialId: string): SecurityKeyInfo {
    return toInfo(this.keys.require(username, credentialId, 'This login has no such security key'));
  }
}

function toInfo(row: StoredCredential): SecurityKeyInfo {
  return {
    id: row.id,
    name: row.name,
    rpId: row.rp_id,
    origin: row.origin,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}
