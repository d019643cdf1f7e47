import { createHash, randomBytes } from 'node:crypto';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { Secret, TOTP } from 'otpauth';
import type { Clock } from '../clock.js';
import { hashSecret, verifySecret } from '../devices/secrets.js';
import { HubError } from '../errors.js';
import { type Db, prepared } from '../store/database.js';
import type { SecretSealer } from '../wallet/funding-sources.js';
import type { AdminSecurityKeys } from './admin-security-keys.js';

/** After this many wrong logins in a row, the account is locked for LOCKOUT_MS. */
export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60_000;
export const SESSION_TTL_MS = 12 * 3600_000;
const TOTP_PERIOD_S = 30;

export interface AdminSession {
  /** The cookie value: 256 random bits, stored only as SHA-256. */
  sessionId: string;
  csrfToken: string;
  expiresAt: string;
}

interface UserRow {
  username: string;
  password_hash: string;
  totp_secret: string;
  totp_last_step: number;
  failed_attempts: number;
  locked_until: string | null;
}

/** The second factor of a login: the authenticator app's code, or a security key's assertion. */
export type SecondFactor = { totp: string } | { webauthn: unknown };

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Admin login for people (scripts keep the admin token): a password and a second factor, both
 * required: a TOTP code from an authenticator app, or a security key (AdminSecurityKeys) whose
 * challenge is issued only after the password checked out. Wrong tries of either kind count
 * towards the same lockout; a TOTP code works once; sessions live in HTTP-only cookies and carry a
 * CSRF token for every state-changing request.
 */
export class AdminUsers {
  /** Usernames whose password is being checked right now (see checkPassword). */
  private readonly checking = new Set<string>();
  private readonly unknownNames = new UnknownNameFailures();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    /** The TOTP seed is a secret at rest: sealed under the data key. */
    private readonly secrets: SecretSealer = { seal: (v) => v, reveal: (v) => v },
    private readonly securityKeys?: AdminSecurityKeys,
  ) {}

  /** Creates a user; returns the `otpauth://` URI to enrol in an authenticator app (shown once). */
  async create(username: string, password: string): Promise<{ totpUri: string }> {
    if (!/^[a-z0-9_.-]{2,32}$/.test(username)) {
      throw new HubError('invalid_request', 'username: 2 to 32 of a-z, 0-9, _ . -');
    }
    if (password.length < 12) throw new HubError('invalid_request', 'password: at least 12 characters');
    const secret = new Secret({ size: 20 });
    try {
      prepared(
        this.db,
        'INSERT INTO admin_users (username, password_hash, totp_secret, created_at) VALUES (?, ?, ?, ?)',
      ).run(username, await hashSecret(password), this.secrets.seal(secret.base32), this.nowIso());
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new HubError('invalid_request', `User ${username} exists`);
      }
      throw err;
    }
    return { totpUri: this.totp(username, secret.base32).toString() };
  }

  /**
   * The first half of a login with a security key: the password is checked exactly as at login
   * (lockout, failures counted, an unknown user and a wrong password alike), and only then is a
   * challenge for that person's keys issued.
   */
  async securityKeyChallenge(
    username: string,
    password: string,
    originHeader: string | undefined,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const now = this.clock.now();
    if (!(await this.checkPassword(username, password, now))) throw loginFailed();
    if (!this.securityKeys) throw new HubError('no_security_key', 'Security keys are not available here');
    return this.securityKeys.loginOptions(username, originHeader);
  }

  async login(username: string, password: string, factor: SecondFactor): Promise<AdminSession> {
    const now = this.clock.now();
    const row = await this.checkPassword(username, password, now);
    let step: number | null = null;
    let secondOk = false;
    if (row && 'totp' in factor) {
      step = this.totpStep(row, factor.totp, now);
      secondOk = step !== null;
    } else if (row && 'webauthn' in factor && this.securityKeys) {
      secondOk = await this.securityKeys.verifyLogin(username, factor.webauthn);
    }
    if (!row || !secondOk) {
      if (row) this.recordFailure(row, now);
      throw loginFailed();
    }
    const sessionId = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now + SESSION_TTL_MS).toISOString();
    this.db.transaction(() => {
      prepared(
        this.db,
        'UPDATE admin_users SET failed_attempts = 0, locked_until = NULL, totp_last_step = max(totp_last_step, ?) WHERE username = ?',
      ).run(step ?? 0, username);
      prepared(
        this.db,
        'INSERT INTO admin_sessions (id_hash, username, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      ).run(sha256(sessionId), username, csrfToken, new Date(now).toISOString(), expiresAt);
    })();
    return { sessionId, csrfToken, expiresAt };
  }

  /** The session behind a cookie value, if it exists and has not expired. */
  session(sessionId: string): { username: string; csrfToken: string } | undefined {
    const row = prepared(
      this.db,
      'SELECT username, csrf_token FROM admin_sessions WHERE id_hash = ? AND expires_at > ?',
    ).get(sha256(sessionId), this.nowIso()) as { username: string; csrf_token: string } | undefined;
    return row ? { username: row.username, csrfToken: row.csrf_token } : undefined;
  }

  logout(sessionId: string): void {
    prepared(this.db, 'DELETE FROM admin_sessions WHERE id_hash = ?').run(sha256(sessionId));
  }

  /**
   * The user's row if the password is right; undefined for a wrong password or an unknown user,
   * after the same work, so neither timing nor answer tells which. A locked account is refused
   * before anything is checked. A wrong password counts as a failure.
   */
  private async checkPassword(username: string, password: string, now: number): Promise<UserRow | undefined> {
    // One check per username at a time: the failure count is read before the slow scrypt check, so
    // guesses sent together would all get past the lockout before the first had failed. Asked
    // the same for unknown usernames, so the answer tells nothing about who exists.
    if (this.checking.has(username))
      throw new HubError('rate_limited', 'A login for this username is already being checked; try again');
    this.checking.add(username);
    try {
      const row = prepared(this.db, 'SELECT * FROM admin_users WHERE username = ?').get(username) as
        | UserRow
        | undefined;
      // A username nobody has locks like a real one, so "locked" does not tell who exists.
      const lockedUntil = row ? row.locked_until : this.unknownNames.lockedUntil(username, now);
      if (lockedUntil && Date.parse(lockedUntil) > now) {
        throw new HubError('account_locked', `Too many failed logins; try again after ${lockedUntil}`);
      }
      const passwordOk = await verifySecret(password, row?.password_hash ?? DUMMY_HASH);
      if (row && !passwordOk) this.recordFailure(row, now);
      if (!row) this.unknownNames.failed(username, now);
      return row && passwordOk ? row : undefined;
    } finally {
      this.checking.delete(username);
    }
  }

  /** The time step of a valid, not yet used TOTP code (±1 step for clock drift), or null. */
  private totpStep(row: UserRow, code: string, now: number): number | null {
    if (!/^\d{6}$/.test(code)) return null;
    const seed = this.secrets.reveal(row.totp_secret);
    const delta = this.totp(row.username, seed).validate({ token: code, timestamp: now, window: 1 });
    if (delta === null) return null;
    const step = Math.floor(now / 1000 / TOTP_PERIOD_S) + delta;
    // A code already used (or an older one) is a replay.
    return step > row.totp_last_step ? step : null;
  }

  /** Counts a failure in one statement (never from a stale read), locking at the fifth. */
  private recordFailure(row: UserRow, now: number): void {
    prepared(
      this.db,
      `UPDATE admin_users SET
           locked_until = CASE WHEN failed_attempts + 1 >= ? THEN ? ELSE locked_until END,
           failed_attempts = CASE WHEN failed_attempts + 1 >= ? THEN 0 ELSE failed_attempts + 1 END
         WHERE username = ?`,
    ).run(MAX_FAILED_LOGINS, new Date(now + LOCKOUT_MS).toISOString(), MAX_FAILED_LOGINS, row.username);
  }

  private totp(username: string, base32: string): TOTP {
    return new TOTP({
      issuer: 'homepay',
      label: username,
      secret: Secret.fromBase32(base32),
      period: TOTP_PERIOD_S,
    });
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

function loginFailed(): HubError {
  return new HubError('login_failed', 'Wrong username, password or authenticator code');
}

/** A fixed scrypt hash of a random string, checked when the user does not exist. */
/**
 * Failed logins for usernames that do not exist, counted and locked like real accounts' (in
 * memory, at most MAX_UNKNOWN_NAMES, the least recently failed forgotten first).
 */
class UnknownNameFailures {
  private readonly names = new Map<string, { failures: number; lockedUntil: string | null }>();

  lockedUntil(username: string, now: number): string | null {
    const entry = this.names.get(username);
    if (entry?.lockedUntil && Date.parse(entry.lockedUntil) <= now) this.names.delete(username);
    return this.names.get(username)?.lockedUntil ?? null;
  }

  failed(username: string, now: number): void {
    const entry = this.names.get(username) ?? { failures: 0, lockedUntil: null };
    entry.failures++;
    if (entry.failures >= MAX_FAILED_LOGINS) {
      entry.failures = 0;
      entry.lockedUntil = new Date(now + LOCKOUT_MS).toISOString();
    }
    this.names.delete(username);
    this.names.set(username, entry);
    if (this.names.size > MAX_UNKNOWN_NAMES) this.names.delete(this.names.keys().next().value as string);
  }
}

const MAX_UNKNOWN_NAMES = 10_000;

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$4fWJ5rTQ2Wm5n1t1u0ZkXjPZ0n7cQ9S3J0Vb6o3pZxE=';
