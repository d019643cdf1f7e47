import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Secrets at rest (provider tokens, the TOTP seeds, the CA key, VAPID and webhook keys) are sealed
 * with AES-256-GCM under a data key that is never in the database: a 0600 file in the data dir
 * (`data-key`), or `HOMEPAY_DATA_KEY` (base64 of 32 bytes) for installs that keep it elsewhere.
 * So the database file alone reveals no secret. A sealed value names its key, so after a rotation
 * old and new values can both be read until everything is re-sealed.
 */
export const SEALED_PREFIX = 'hpsec1';
const KEY_BYTES = 32;
const IV_BYTES = 12;

export interface DataKeyFile {
  current: string;
  keys: Record<string, string>;
}

export class DataKeys {
  private constructor(
    private readonly keys: Map<string, Buffer>,
    private currentId: string,
    /** The file the keys live in, or null when they came from the environment. */
    readonly file: string | null,
  ) {}

  /** The keys from `HOMEPAY_DATA_KEY`, or the data dir's key file (made on first start). */
  static load(dataDir: string, env: NodeJS.ProcessEnv = process.env): DataKeys {
    const fromEnv = env.HOMEPAY_DATA_KEY;
    if (fromEnv) {
      const key = Buffer.from(fromEnv, 'base64');
      if (key.length !== KEY_BYTES) throw new Error('HOMEPAY_DATA_KEY must be the base64 of 32 random bytes');
      return new DataKeys(new Map([['env', key]]), 'env', null);
    }
    const file = path.join(dataDir, 'data-key');
    if (!existsSync(file)) {
      const id = newKeyId();
      writeKeyFile(file, { current: id, keys: { [id]: randomBytes(KEY_BYTES).toString('base64') } });
    }
    const stored = JSON.parse(readFileSync(file, 'utf8')) as DataKeyFile;
    const keys = new Map(Object.entries(stored.keys).map(([id, key]) => [id, Buffer.from(key, 'base64')]));
    if (!keys.has(stored.current)) throw new Error(`${file} names a current key it does not hold`);
    return new DataKeys(keys, stored.current, file);
  }

  seal(plaintext: string): string {
    const key = this.keys.get(this.currentId) as Buffer;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    // The key id is authenticated too, so a value cannot be moved under another key's name.
    cipher.setAAD(Buffer.from(this.currentId));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      SEALED_PREFIX,
      this.currentId,
      iv.toString('base64'),
      cipher.getAuthTag().toString('base64'),
      ciphertext.toString('base64'),
    ].join(':');
  }

  open(sealed: string): string {
    const [prefix, keyId, iv, tag, ciphertext] = sealed.split(':');
    if (prefix !== SEALED_PREFIX || !keyId || !iv || !tag || ciphertext === undefined) {
      throw new Error('not a sealed secret');
    }
    const key = this.keys.get(keyId);
    if (!key) throw new Error(`sealed with data key ${keyId}, which this hub does not have`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(keyId));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  }

  /** A value read from storage: open it when sealed (older rows may predate sealing). */
  reveal(stored: string): string {
    return isSealed(stored) ? this.open(stored) : stored;
  }

  /** Whether `sealed` was sealed under the current key (rotation skips those). */
  isCurrent(sealed: string): boolean {
    return sealed.split(':')[1] === this.currentId;
  }

  /**
   * Phase one of a rotation: a new current key, written next to the old ones (so a crash between
   * here and `retire` loses nothing). Only for keys kept in the data dir.
   */
  beginRotation(): string {
    if (!this.file) throw new Error('HOMEPAY_DATA_KEY comes from the environment: rotate it there');
    const id = newKeyId();
    this.keys.set(id, randomBytes(KEY_BYTES));
    this.currentId = id;
    this.save();
    return id;
  }

  /** Phase two: every value is re-sealed under the current key, so the old keys are dropped. */
  retireOldKeys(): void {
    for (const id of [...this.keys.keys()]) if (id !== this.currentId) this.keys.delete(id);
    this.save();
  }

  get currentKeyId(): string {
    return this.currentId;
  }

  private save(): void {
    if (!this.file) return;
    const keys = Object.fromEntries([...this.keys].map(([id, key]) => [id, key.toString('base64')]));
    writeKeyFile(this.file, { current: this.currentId, keys });
  }
}

export function isSealed(value: string): boolean {
  return value.startsWith(`${SEALED_PREFIX}:`);
}

function newKeyId(): string {
  return `k${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** Written to a temp file and renamed, so a crash never leaves a half-written key file. */
function writeKeyFile(file: string, content: DataKeyFile): void {
  const temp = `${file}.tmp`;
  writeFileSync(temp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}
