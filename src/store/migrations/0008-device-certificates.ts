import type { Migration } from './index.js';

/**
 * Client certificates the hub issued to devices, by serial number. A certificate from the hub's CA
 * admits a device only while it is on record here and not revoked: rotating a device's secret
 * revokes its certificates too (a leaked key is as bad as a leaked password), and removing the
 * device deletes them. The hub is the only party that checks these certificates, so a table is
 * its revocation list; nothing needs a CRL file.
 */
export const migration0008DeviceCertificates: Migration = {
  version: 8,
  name: 'device-certificates',
  up(db) {
    db.exec(`
      CREATE TABLE device_certificates (
        serial      TEXT PRIMARY KEY,           -- upper-case hex, as OpenSSL prints it
        device_id   TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        issued_at   TEXT NOT NULL,
        revoked_at  TEXT
      ) STRICT;
      CREATE INDEX device_certificates_by_device ON device_certificates(device_id);
    `);
  },
};
