import { randomBytes } from 'node:crypto';

/** The prefixes SPEC fixes for each kind of id. */
export type IdPrefix =
  | 'pi'
  | 'dev'
  | 'ph'
  | 'fs'
  | 'tx'
  | 'rule'
  | 'ord'
  | 'evt'
  | 'alert'
  | 'hold'
  | 'mch'
  | 'goal'
  | 'claim';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A prefixed random id such as `dev_4k2j9x0q1m7c3b5n`: 16 base-36 characters, about 82 bits. */
export function newId(prefix: IdPrefix): string {
  const bytes = randomBytes(16);
  let body = '';
  for (const byte of bytes) body += ALPHABET[byte % 36];
  return `${prefix}_${body}`;
}

/** A random secret for tokens and device passwords: 32 bytes, base64url. */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
