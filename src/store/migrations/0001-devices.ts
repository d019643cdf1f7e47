import type { Migration } from './index.js';

/** Devices and bridge children, and a small key/value table for hub-wide facts. */
export const migration0001Devices: Migration = {
  version: 1,
  name: 'devices',
  up(db) {
    db.exec(`
      CREATE TABLE devices (
        id          TEXT PRIMARY KEY,
        profile     TEXT NOT NULL,
        name        TEXT NOT NULL,
        identity    TEXT NOT NULL,
        -- scrypt hash of the MQTT secret; NULL for a bridge's child, which has no client of its own
        secret_hash TEXT,
        parent_id   TEXT REFERENCES devices(id) ON DELETE CASCADE,
        online      INTEGER NOT NULL DEFAULT 0,
        last_seen   TEXT,
        created_at  TEXT NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX devices_identity ON devices(profile, identity) WHERE parent_id IS NULL;
      CREATE UNIQUE INDEX devices_child_identity ON devices(parent_id, identity) WHERE parent_id IS NOT NULL;

      CREATE TABLE hub_facts (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
    `);
  },
};
