import type { Database } from 'better-sqlite3';
import { migration0001Devices } from './0001-devices.js';
import { migration0002Payments } from './0002-payments.js';
import { migration0003Energy } from './0003-energy.js';
import { migration0004Orders } from './0004-orders.js';
import { migration0005Wallet } from './0005-wallet.js';
import { migration0006WebauthnAndPush } from './0006-webauthn-and-push.js';
import { migration0007AdminLogin } from './0007-admin-login.js';
import { migration0008DeviceCertificates } from './0008-device-certificates.js';
import { migration0009LedgerBalances } from './0009-ledger-balances.js';
import { migration0010AdminSecurityKeys } from './0010-admin-security-keys.js';

export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

/** Every schema step, in order. A step is never edited once released: add the next one. */
export const MIGRATIONS: readonly Migration[] = [
  migration0001Devices,
  migration0002Payments,
  migration0003Energy,
  migration0004Orders,
  migration0005Wallet,
  migration0006WebauthnAndPush,
  migration0007AdminLogin,
  migration0008DeviceCertificates,
  migration0009LedgerBalances,
  migration0010AdminSecurityKeys,
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;

export class NewerDatabaseError extends Error {
  override name = 'NewerDatabaseError';
}

/**
 * Applies all pending migrations in one transaction and records the version in `PRAGMA
 * user_version`; either all steps land or none. A database written by a newer homepay is refused
 * rather than guessed at.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.length;
  if (current > latest) {
    throw new NewerDatabaseError(
      `The database has schema version ${current}, newer than this homepay knows (${latest}). Upgrade homepay.`,
    );
  }
  if (current === latest) return current;
  db.transaction(() => {
    for (const migration of migrations.slice(current)) {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }
  }).immediate();
  return latest;
}
