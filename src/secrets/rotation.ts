import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Db } from '../store/database.js';
import { type DataKeys, isSealed } from './data-keys.js';

/** A column that holds sealed secrets, and the column that identifies its rows. */
export interface SealedColumn {
  table: string;
  column: string;
  key: string;
}

/**
 * Every place a secret is kept at rest. A domain that stores a new kind of secret adds it here,
 * and the rotation test proves it is re-sealed.
 */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'funding_sources', column: 'token', key: 'id' },
  { table: 'admin_users', column: 'totp_secret', key: 'username' },
];

export interface RotationResult {
  keyId: string;
  rows: number;
  files: number;
}

/**
 * `homepay keys rotate`: a new data key, every sealed value re-sealed under it (rows in one
 * transaction, files by write-and-rename), then the old keys dropped. A crash in between leaves the
 * key file holding old and new keys, so every value stays readable and a second rotation finishes.
 */
export function rotateDataKey(
  db: Db,
  keys: DataKeys,
  files: string[],
  columns = SEALED_COLUMNS,
): RotationResult {
  const keyId = keys.beginRotation();
  let rows = 0;
  db.transaction(() => {
    for (const { table, column, key } of columns) {
      // Names come from the constant list above, never from input.
      const all = db.prepare(`SELECT ${key} AS id, ${column} AS value FROM ${table}`).all() as Array<{
        id: string;
        value: string | null;
      }>;
      const update = db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${key} = ?`);
      for (const { id, value } of all) {
        if (value === null || (isSealed(value) && keys.isCurrent(value))) continue;
        update.run(keys.seal(keys.reveal(value)), id);
        rows++;
      }
    }
  }).immediate();
  for (const file of files) {
    const value = readFileSync(file, 'utf8');
    writeFileSync(`${file}.tmp`, keys.seal(keys.reveal(value)), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
  keys.retireOldKeys();
  return { keyId, rows, files: files.length };
}
