import { createHash, randomInt } from 'node:crypto';
import nacl from 'tweetnacl';
import type { Clock } from '../clock.js';
import { HubError } from '../errors.js';
import { newId, newSecret } from '../ids.js';
import { type Db, inTransaction, prepared } from '../store/database.js';
import { decodeBase64Exact } from './approval-message.js';

export interface Phone {
  id: string;
  name: string;
  publicKey: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface PairingCode {
  code: string;
  expiresAt: string;
}

interface PhoneRow {
  id: string;
  name: string;
  public_key: string;
  created_at: string;
  revoked_at: string | null;
}

/** SPEC: a code is single use, lives 10 minutes and allows 5 wrong tries. */
export const PAIRING_CODE_TTL_MS = 10 * 60_000;
export const PAIRING_MAX_WRONG_TRIES = 5;
/** No 0/O or 1/I/L: people may read the code off a screen and type it. */
const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const CODE_LENGTH = 10;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Paired phones and the pairing codes that admit them. Only one code is open at a time: a new one
 * closes the previous. Wrong codes count against the open code, so guessing is bounded by five
 * tries per code. Phone tokens are 256 random bits stored as SHA-256 (a slow hash adds nothing to
 * a random secret of that size, and tokens are checked on every request).
 */
export class Phones {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    /** Told after a phone is revoked, so live channels to it can be closed. */
    private readonly onRevoked: (phoneId: string) => void = () => {},
  ) {}

  createPairingCode(): PairingCode {
    let code = '';
    for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
    const now = this.clock.now();
    const expiresAt = new Date(now + PAIRING_CODE_TTL_MS).toISOString();
    inTransaction(this.db, () => {
      prepared(this.db, 'UPDATE pairing_codes SET used_at = ? WHERE used_at IS NULL').run(
        new Date(now).toISOString(),
      );
      prepared(this.db, 'INSERT INTO pairing_codes (code_hash, expires_at, created_at) VALUES (?, ?, ?)').run(
        sha256(code),
        expiresAt,
        new Date(now).toISOString(),
      );
    });
    return { code, expiresAt };
  }

  /** Registers a phone with a pairing code and its Ed25519 public key; returns its bearer token once. */
  pair(input: { code: string; name: string; publicKey: string }): { phoneId: string; token: string } {
    const name = input.name.trim();
    if (!name || name.length > 100) throw new HubError('invalid_request', 'name must be 1 to 100 characters');
    if (!decodeBase64Exact(input.publicKey, nacl.sign.publicKeyLength)) {
      throw new HubError(
        'invalid_public_key',
        'publicKey must be the base64 of a 32-byte Ed25519 public key',
      );
    }
    const nowIso = new Date(this.clock.now()).toISOString();
    return (
      inTransaction(this.db, () => {
        const open = prepared(
          this.db,
          'SELECT code_hash, wrong_tries FROM pairing_codes WHERE used_at IS NULL AND expires_at > ? AND wrong_tries < ?',
        ).get(nowIso, PAIRING_MAX_WRONG_TRIES) as { code_hash: string; wrong_tries: number } | undefined;
        const given = sha256(input.code.trim().toUpperCase());
        if (!open || open.code_hash !== given) {
          if (open)
            prepared(
              this.db,
              'UPDATE pairing_codes SET wrong_tries = wrong_tries + 1 WHERE code_hash = ?',
            ).run(open.code_hash);
          // The wrong try must be counted even though we refuse: return the error instead of throwing,
          // which would roll the count back.
          return null;
        }
        prepared(this.db, 'UPDATE pairing_codes SET used_at = ? WHERE code_hash = ?').run(
          nowIso,
          open.code_hash,
        );
        const phoneId = newId('ph');
        const token = `hpp_${newSecret(32)}`;
        prepared(
          this.db,
          'INSERT INTO phones (id, name, public_key, token_hash, created_at) VALUES (?, ?, ?, ?, ?)',
        ).run(phoneId, name, input.publicKey, sha256(token), nowIso);
        return { phoneId, token };
      }) ?? throwInvalidCode()
    );
  }

  /** The phone a bearer token belongs to, if it is not revoked. */
  phoneForToken(token: string): Phone | undefined {
    if (!token.startsWith('hpp_')) return undefined;
    const row = prepared(this.db, 'SELECT * FROM phones WHERE token_hash = ? AND revoked_at IS NULL').get(
      sha256(token),
    ) as PhoneRow | undefined;
    return row ? toPhone(row) : undefined;
  }

  get(id: string): Phone | undefined {
    const row = prepared(this.db, 'SELECT * FROM phones WHERE id = ?').get(id) as PhoneRow | undefined;
    return row ? toPhone(row) : undefined;
  }

  list(): Phone[] {
    return (prepared(this.db, 'SELECT * FROM phones ORDER BY created_at, id').all() as PhoneRow[]).map(
      toPhone,
    );
  }

  /** Paired phones that may still approve. */
  active(): Phone[] {
    return this.list().filter((phone) => phone.revokedAt === null);
  }

  revoke(id: string): Phone {
    const result = prepared(
      this.db,
      'UPDATE phones SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
    ).run(new Date(this.clock.now()).toISOString(), id);
    const phone = this.get(id);
    if (!phone) throw new HubError('phone_not_found', `No phone with id ${id}`);
    if (result.changes > 0) this.onRevoked(id);
    return phone;
  }
}

function throwInvalidCode(): never {
  throw new HubError(
    'invalid_pairing_code',
    'The pairing code is wrong, used, expired or locked after too many tries; ask for a new one',
  );
}

function toPhone(row: PhoneRow): Phone {
  return {
    id: row.id,
    name: row.name,
    publicKey: row.public_key,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
