import type { Migration } from './index.js';

/**
 * Payment core: phones and pairing, funding sources, payment intents with their event history
 * and idempotency keys, and the double-entry ledger with two-phase holds (docs/ledger.md).
 * Money columns are INTEGER minor units; STRICT tables refuse anything else.
 */
export const migration0002Payments: Migration = {
  version: 2,
  name: 'payments',
  up(db) {
    db.exec(`
      CREATE TABLE phones (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        public_key  TEXT NOT NULL,            -- base64 of the 32-byte Ed25519 public key
        token_hash  TEXT NOT NULL UNIQUE,     -- SHA-256 of the bearer token (the token is 256 random bits)
        created_at  TEXT NOT NULL,
        revoked_at  TEXT
      ) STRICT;

      CREATE TABLE pairing_codes (
        code_hash     TEXT PRIMARY KEY,
        expires_at    TEXT NOT NULL,
        wrong_tries   INTEGER NOT NULL DEFAULT 0,
        used_at       TEXT,
        created_at    TEXT NOT NULL
      ) STRICT;

      CREATE TABLE funding_sources (
        id          TEXT PRIMARY KEY,
        kind        TEXT NOT NULL CHECK (kind IN ('debit_card', 'credit_card', 'alipay', 'wechat_pay')),
        bank        TEXT,
        last4       TEXT,
        account     TEXT,                     -- masked account for Alipay / WeChat Pay
        holder      TEXT,
        token       TEXT NOT NULL,            -- the provider's token; never the card number
        status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'removed')),
        created_at  TEXT NOT NULL
      ) STRICT;

      CREATE TABLE intents (
        id                TEXT PRIMARY KEY,
        status            TEXT NOT NULL CHECK (status IN
                            ('requires_approval', 'processing', 'succeeded', 'failed', 'denied', 'expired', 'canceled')),
        amount            INTEGER NOT NULL CHECK (amount > 0),
        currency          TEXT NOT NULL,
        payee_id          TEXT NOT NULL,
        payee_name        TEXT NOT NULL,
        description       TEXT NOT NULL,
        source_kind       TEXT NOT NULL,
        source_device_id  TEXT,
        details           TEXT NOT NULL DEFAULT '{}',  -- JSON: items, discounts, reason (utterance, rule)
        points_redeemed   INTEGER NOT NULL DEFAULT 0,
        points_earned     INTEGER NOT NULL DEFAULT 0,
        funding_source_id TEXT REFERENCES funding_sources(id),
        challenge         TEXT NOT NULL UNIQUE,
        challenge_used_at TEXT,
        decided_by        TEXT REFERENCES phones(id),
        expires_at        TEXT NOT NULL,
        created_at        TEXT NOT NULL,
        updated_at        TEXT NOT NULL,
        last_error        TEXT,
        provider_ref      TEXT
      ) STRICT;
      CREATE INDEX intents_status ON intents(status, expires_at);

      CREATE TABLE intent_events (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        intent_id   TEXT NOT NULL REFERENCES intents(id),
        from_status TEXT,
        to_status   TEXT NOT NULL,
        at          TEXT NOT NULL,
        detail      TEXT NOT NULL DEFAULT '{}'
      ) STRICT;
      CREATE INDEX intent_events_intent ON intent_events(intent_id, id);

      CREATE TABLE idempotency_keys (
        scope        TEXT NOT NULL,           -- who sent it: admin, merchant id, phone id
        key          TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        intent_id    TEXT NOT NULL REFERENCES intents(id),
        created_at   TEXT NOT NULL,
        PRIMARY KEY (scope, key)
      ) STRICT;

      CREATE TABLE ledger_accounts (
        id              TEXT PRIMARY KEY,      -- e.g. wallet, payee:mi_store, funding:fs_...
        kind            TEXT NOT NULL CHECK (kind IN ('wallet', 'payee', 'funding')),
        name            TEXT NOT NULL,
        currency        TEXT NOT NULL,
        -- only the household wallet must never go below zero; outside accounts mirror the world
        may_go_negative INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE ledger_transactions (
        id          TEXT PRIMARY KEY,
        kind        TEXT NOT NULL,             -- payment, topup, withdrawal, refund, reversal
        intent_id   TEXT REFERENCES intents(id),
        reverses    TEXT REFERENCES ledger_transactions(id),
        description TEXT NOT NULL,
        created_at  TEXT NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX ledger_one_payment_per_intent ON ledger_transactions(intent_id) WHERE kind != 'refund' AND kind != 'reversal';

      CREATE TABLE ledger_postings (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        transaction_id TEXT NOT NULL REFERENCES ledger_transactions(id),
        account_id     TEXT NOT NULL REFERENCES ledger_accounts(id),
        amount         INTEGER NOT NULL CHECK (amount != 0)   -- positive credits the account
      ) STRICT;
      CREATE INDEX ledger_postings_account ON ledger_postings(account_id);
      CREATE INDEX ledger_postings_transaction ON ledger_postings(transaction_id);

      CREATE TABLE ledger_holds (
        id          TEXT PRIMARY KEY,
        intent_id   TEXT NOT NULL UNIQUE REFERENCES intents(id),
        account_id  TEXT NOT NULL REFERENCES ledger_accounts(id),
        amount      INTEGER NOT NULL CHECK (amount > 0),
        status      TEXT NOT NULL CHECK (status IN ('pending', 'posted', 'voided')),
        created_at  TEXT NOT NULL,
        resolved_at TEXT
      ) STRICT;
      CREATE INDEX ledger_holds_pending ON ledger_holds(account_id) WHERE status = 'pending';

      -- The sandbox provider's own books: what a real bank would remember about each request, so
      -- asking again with the same idempotency key after a crash gets the same answer.
      CREATE TABLE sandbox_provider_requests (
        idempotency_key TEXT PRIMARY KEY,
        operation       TEXT NOT NULL,
        amount          INTEGER NOT NULL,
        currency        TEXT NOT NULL,
        outcome         TEXT NOT NULL CHECK (outcome IN ('succeeded', 'declined')),
        reference       TEXT NOT NULL,
        reason          TEXT,
        created_at      TEXT NOT NULL
      ) STRICT;
    `);
  },
};
