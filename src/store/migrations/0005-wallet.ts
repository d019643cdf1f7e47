import type { Migration } from './index.js';

/**
 * The household wallet beyond one payment (issue 7): the points journal, claims on limited offers,
 * reports of suspicious transactions, refund idempotency, budgets and their alerts, savings goals
 * and their round-ups, merchant keys and webhook events. Money and points are INTEGER; every
 * journal is append-only except for a status column, as in the ledger.
 */
export const migration0005Wallet: Migration = {
  version: 5,
  name: 'wallet',
  up(db) {
    db.exec(`
      -- Points: a balance is SUM(points); an entry is never edited. One earn, one redemption and one
      -- restoration per intent at most, so a hook that runs twice cannot double anything.
      CREATE TABLE points_entries (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        kind           TEXT NOT NULL CHECK (kind IN ('earned', 'redeemed', 'restored', 'reversed')),
        points         INTEGER NOT NULL CHECK (points != 0),
        intent_id      TEXT,
        transaction_id TEXT,                  -- the refund that reversed earned points
        description    TEXT NOT NULL,
        created_at     TEXT NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX points_once_per_intent ON points_entries(intent_id, kind)
        WHERE kind IN ('earned', 'redeemed', 'restored');
      CREATE INDEX points_by_intent ON points_entries(intent_id);

      -- Units of a limited offer taken by an order: reserved when priced, held once its intent
      -- exists, used when it succeeds, released otherwise. Taken = SUM(quantity) not released.
      CREATE TABLE offer_claims (
        id          TEXT PRIMARY KEY,
        offer_id    TEXT NOT NULL,
        quantity    INTEGER NOT NULL CHECK (quantity > 0),
        intent_id   TEXT,
        status      TEXT NOT NULL CHECK (status IN ('reserved', 'held', 'used', 'released')),
        created_at  TEXT NOT NULL,
        resolved_at TEXT
      ) STRICT;
      CREATE INDEX offer_claims_offer ON offer_claims(offer_id, status);
      CREATE INDEX offer_claims_intent ON offer_claims(intent_id);

      CREATE TABLE transaction_reports (
        transaction_id    TEXT PRIMARY KEY REFERENCES ledger_transactions(id),
        reason            TEXT NOT NULL,
        reported_by       TEXT NOT NULL,
        funding_source_id TEXT REFERENCES funding_sources(id),
        created_at        TEXT NOT NULL
      ) STRICT;

      CREATE TABLE refund_requests (
        scope                 TEXT NOT NULL,
        key                   TEXT NOT NULL,
        request_hash          TEXT NOT NULL,
        refund_transaction_id TEXT NOT NULL REFERENCES ledger_transactions(id),
        created_at            TEXT NOT NULL,
        PRIMARY KEY (scope, key)
      ) STRICT;

      CREATE TABLE budgets (
        category       TEXT NOT NULL,
        month          TEXT NOT NULL,          -- YYYY-MM, or * for every month without its own
        amount         INTEGER NOT NULL CHECK (amount > 0),
        alert_percents TEXT NOT NULL,          -- JSON array of integers, e.g. [80, 100]
        updated_at     TEXT NOT NULL,
        PRIMARY KEY (category, month)
      ) STRICT;

      -- The primary key is the promise: one alert per category, month and fraction, ever.
      CREATE TABLE budget_alerts (
        category   TEXT NOT NULL,
        month      TEXT NOT NULL,
        percent    INTEGER NOT NULL,
        spent      INTEGER NOT NULL,
        budget     INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (category, month, percent)
      ) STRICT;

      CREATE TABLE goals (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        target      INTEGER NOT NULL CHECK (target > 0),
        target_date TEXT NOT NULL,             -- YYYY-MM-DD, local
        round_up_to INTEGER CHECK (round_up_to IS NULL OR round_up_to > 1),
        status      TEXT NOT NULL CHECK (status IN ('active', 'closed')),
        created_at  TEXT NOT NULL,
        closed_at   TEXT
      ) STRICT;

      CREATE TABLE goal_round_ups (
        intent_id      TEXT PRIMARY KEY,
        goal_id        TEXT NOT NULL REFERENCES goals(id),
        amount         INTEGER NOT NULL CHECK (amount > 0),
        transaction_id TEXT NOT NULL REFERENCES ledger_transactions(id),
        created_at     TEXT NOT NULL
      ) STRICT;

      CREATE TABLE merchants (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        category    TEXT NOT NULL,
        key_hash    TEXT NOT NULL UNIQUE,      -- SHA-256 of the key (256 random bits); the key is shown once
        key_prefix  TEXT NOT NULL,             -- the key's first characters, to tell keys apart
        webhook_url TEXT,
        created_at  TEXT NOT NULL,
        revoked_at  TEXT
      ) STRICT;

      CREATE TABLE merchant_events (
        id              TEXT PRIMARY KEY,      -- evt_..., the receiver's deduplication key
        merchant_id     TEXT NOT NULL REFERENCES merchants(id),
        dedupe_key      TEXT NOT NULL UNIQUE,  -- intent + end state, or refund transaction
        type            TEXT NOT NULL,
        intent_id       TEXT NOT NULL,
        payload         TEXT NOT NULL,         -- the exact JSON body that is signed and sent
        created_at      TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,                  -- NULL: no webhook URL, or delivered, or given up
        delivered_at    TEXT,
        gave_up_at      TEXT,
        last_error      TEXT
      ) STRICT;
      CREATE INDEX merchant_events_due ON merchant_events(next_attempt_at) WHERE next_attempt_at IS NOT NULL;
      CREATE INDEX merchant_events_merchant ON merchant_events(merchant_id, created_at);
    `);
  },
};
