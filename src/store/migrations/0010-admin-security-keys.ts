import type { Migration } from './index.js';

/**
 * Security keys (WebAuthn) as a person's second factor at the admin login, instead of the TOTP code:
 * each belongs to one admin user and goes with it. Only the public key is kept, never shown.
 */
export const migration0010AdminSecurityKeys: Migration = {
  version: 10,
  name: 'admin-security-keys',
  up(db) {
    db.exec(`
      CREATE TABLE admin_webauthn_credentials (
        id           TEXT PRIMARY KEY,          -- the credential id, base64url, as the browser gives it
        username     TEXT NOT NULL REFERENCES admin_users(username) ON DELETE CASCADE,
        name         TEXT NOT NULL,
        public_key   BLOB NOT NULL,             -- COSE public key from the registration
        counter      INTEGER NOT NULL DEFAULT 0 CHECK (counter >= 0),
        transports   TEXT NOT NULL DEFAULT '[]',
        rp_id        TEXT NOT NULL,             -- the host name it was registered for
        origin       TEXT NOT NULL,             -- the web app origin it was registered from
        created_at   TEXT NOT NULL,
        last_used_at TEXT
      ) STRICT;
      CREATE INDEX admin_webauthn_credentials_user ON admin_webauthn_credentials(username);
    `);
  },
};
