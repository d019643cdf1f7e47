import type { Migration } from './index.js';

/**
 * The phone web app: WebAuthn credentials a phone registered (for approvals above
 * `payments.biometricAbove`) and the Web Push subscriptions its service worker made. Both belong
 * to a phone; a revoked phone's rows stay for the record but are never used again.
 */
export const migration0006WebauthnAndPush: Migration = {
  version: 6,
  name: 'webauthn-and-push',
  up(db) {
    db.exec(`
      CREATE TABLE webauthn_credentials (
        id           TEXT PRIMARY KEY,          -- the credential id, base64url, as the browser gives it
        phone_id     TEXT NOT NULL REFERENCES phones(id),
        name         TEXT NOT NULL,
        public_key   BLOB NOT NULL,             -- COSE public key from the registration
        counter      INTEGER NOT NULL DEFAULT 0 CHECK (counter >= 0),
        transports   TEXT NOT NULL DEFAULT '[]',
        rp_id        TEXT NOT NULL,             -- the host name it was registered for
        origin       TEXT NOT NULL,             -- the web app origin it was registered from
        created_at   TEXT NOT NULL,
        last_used_at TEXT
      ) STRICT;
      CREATE INDEX webauthn_credentials_phone ON webauthn_credentials(phone_id);

      CREATE TABLE push_subscriptions (
        endpoint     TEXT PRIMARY KEY,          -- the push service URL the browser gave
        phone_id     TEXT NOT NULL REFERENCES phones(id),
        p256dh       TEXT NOT NULL,             -- the browser's ECDH public key, base64url
        auth         TEXT NOT NULL,             -- the browser's auth secret, base64url
        created_at   TEXT NOT NULL,
        last_error   TEXT
      ) STRICT;
      CREATE INDEX push_subscriptions_phone ON push_subscriptions(phone_id);
    `);
  },
};
