import type { Clock } from '../clock.js';
import { HubError } from '../errors.js';
import { type Db, prepared } from '../store/database.js';
import type { StoredCredential } from './webauthn.js';

/**
 * One table of WebAuthn credentials, each owned by someone: phones' fingerprints
 * (`webauthn_credentials` by `phone_id`) or admins' security keys (`admin_webauthn_credentials` by
 * `username`). The two tables have the same columns apart from the owner's; this is the one place
 * that reads and writes them. A credential is only ever found through its owner.
 */
export class CredentialTable {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly table: 'webauthn_credentials' | 'admin_webauthn_credentials',
    private readonly ownerColumn: 'phone_id' | 'username',
  ) {}

  /** Keeps a newly registered credential; false when that credential id is already registered. */
  insert(
    owner: string,
    credential: { id: string; publicKey: Buffer; counter: number; transports: string },
    where: { name: string; rpId: string; origin: string },
  ): boolean {
    const result = prepared(
      this.db,
      `INSERT INTO ${this.table}
         (id, ${this.ownerColumn}, name, public_key, counter, transports, rp_id, origin, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    ).run(
      credential.id,
      owner,
      where.name.slice(0, 100),
      credential.publicKey,
      credential.counter,
      credential.transports,
      where.rpId,
      where.origin,
      new Date(this.clock.now()).toISOString(),
    );
    return result.changes > 0;
  }

  /** The owner's credentials, oldest first. */
  rows(owner: string): StoredCredential[] {
    return prepared(
      this.db,
      `SELECT * FROM ${this.table} WHERE ${this.ownerColumn} = ? ORDER BY created_at, id`,
    ).all(owner) as StoredCredential[];
  }

  /** One of the owner's credentials, or undefined (another owner's is not found either). */
  row(owner: string, credentialId: string): StoredCredential | undefined {
    return prepared(this.db, `SELECT * FROM ${this.table} WHERE id = ? AND ${this.ownerColumn} = ?`).get(
      credentialId,
      owner,
    ) as StoredCredential | undefined;
  }

  /** The owner's credential, or `credential_not_found` with `missing` as the message. */
  require(owner: string, credentialId: string, missing: string): StoredCredential {
    const row = this.row(owner, credentialId);
    if (!row) throw new HubError('credential_not_found', missing);
    return row;
  }

  remove(owner: string, credentialId: string): void {
    prepared(this.db, `DELETE FROM ${this.table} WHERE id = ? AND ${this.ownerColumn} = ?`).run(
      credentialId,
      owner,
    );
  }

  /** Records a use: the counter the assertion carried, and when. */
  used(credentialId: string, counter: number): void {
    prepared(this.db, `UPDATE ${this.table} SET counter = ?, last_used_at = ? WHERE id = ?`).run(
      counter,
      new Date(this.clock.now()).toISOString(),
      credentialId,
    );
  }
}
