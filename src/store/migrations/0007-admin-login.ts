import type { Migration } from './index.js';

/** People who administer the hub: a password (scrypt) and a TOTP second factor, with lockout and sessions. */
export const migration0007AdminLogin: Migration = {
  version: 7,
  name: 'admin-login',
  up(db) {
    db.exec(`
      CREATE TABLE admin_users (
        username        TEXT PRIMARY KEY,
        password_hash   TEXT NOT NULL,
        totp_secret     TEXT NOT NULL,          -- base32; sealed with the data key when one exists
        totp_last_step  INTEGER NOT NULL DEFAULT 0,  -- a TOTP code is accepted once (no replay)
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until    TEXT,
        created_at      TEXT NOT NULL
      ) STRICT;

      CREATE TABLE admin_sessions (
        id_hash     TEXT PRIMARY KEY,           -- SHA-256 of the cookie value
        username    TEXT NOT NULL REFERENCES admin_users(username) ON DELETE CASCADE,
        csrf_token  TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        expires_at  TEXT NOT NULL
      ) STRICT;
    `);
  },
};
