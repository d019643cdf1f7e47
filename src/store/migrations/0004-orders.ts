import type { Migration } from './index.js';

/**
 * Voice orders: what a speaker asked for, on which device and in which session, and the payment
 * intent that pays for it. The order's state is its intent's (joined, never copied, so the two
 * cannot disagree). The same words in the same session on the same device make one order (one
 * per merchant when they name several): a QoS 1 redelivery finds it instead of making another.
 */
export const migration0004Orders: Migration = {
  version: 4,
  name: 'orders',
  up(db) {
    db.exec(`
      CREATE TABLE orders (
        id          TEXT PRIMARY KEY,            -- ord_...
        device_id   TEXT NOT NULL,               -- the speaker or satellite; no FK: orders outlive devices
        session_id  TEXT NOT NULL,               -- the speaker's sessionId (Hermes: the dialogue session)
        utterance   TEXT NOT NULL,               -- the words, normalized, up to 300 characters
        intent_id   TEXT NOT NULL UNIQUE REFERENCES intents(id),
        channel     TEXT NOT NULL CHECK (channel IN ('speaker', 'hermes')),
        site_id     TEXT,                        -- Hermes siteId, to announce the outcome there
        lang        TEXT NOT NULL CHECK (lang IN ('zh', 'en')),
        lines       TEXT NOT NULL,               -- JSON [{sku, quantity}]: what reorder repeats
        amount      INTEGER NOT NULL CHECK (amount > 0),
        currency    TEXT NOT NULL,
        created_at  TEXT NOT NULL
      ) STRICT;
      -- A redelivery is found by its words; "that speaker's last succeeded order", "today's orders".
      CREATE INDEX orders_by_session ON orders(device_id, session_id, utterance);
      CREATE INDEX orders_by_device ON orders(device_id, created_at);
    `);
  },
};
