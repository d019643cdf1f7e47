import type { Migration } from './index.js';

/**
 * Energy spend: each metering channel's state (so a restart resumes its counter exactly), totals per
 * device and for the home per period, hourly totals for forecasts, fixed charges posted, threshold
 * rules and the alerts they raised. Energy is INTEGER mWh; costs are INTEGER 1/10^10 minor units
 * (src/energy/cost-units.ts), exact, and rounded to whole minor units only when shown.
 */
export const migration0003Energy: Migration = {
  version: 3,
  name: 'energy',
  up(db) {
    db.exec(`
      CREATE TABLE energy_channels (
        device_id        TEXT NOT NULL,
        channel          INTEGER NOT NULL,
        source           TEXT NOT NULL CHECK (source IN ('counter', 'power')),
        counter_mwh      INTEGER,
        counter_at       INTEGER,             -- ms since the epoch of the reading that set counter_mwh
        peak_mwh         INTEGER,             -- the counter before a decrease, until the reset is confirmed
        peak_at          INTEGER,
        power_w          REAL,
        power_at         INTEGER,
        power_remainder  INTEGER NOT NULL DEFAULT 0,  -- integrated energy below one mWh, in mW x ms
        PRIMARY KEY (device_id, channel)
      ) STRICT;

      -- scope: a device id, or 'home'; start: the period's first local date (YYYY-MM-DD)
      CREATE TABLE energy_totals (
        scope       TEXT NOT NULL,
        period      TEXT NOT NULL CHECK (period IN ('day', 'week', 'month', 'cycle')),
        start       TEXT NOT NULL,
        energy_mwh  INTEGER NOT NULL,
        cost        INTEGER NOT NULL,
        PRIMARY KEY (scope, period, start)
      ) STRICT;

      CREATE TABLE energy_hours (
        scope       TEXT NOT NULL,
        hour_start  INTEGER NOT NULL,         -- ms since the epoch, a whole UTC hour
        energy_mwh  INTEGER NOT NULL,
        cost        INTEGER NOT NULL,
        PRIMARY KEY (scope, hour_start)
      ) STRICT;

      CREATE TABLE energy_fixed_charges (
        period     TEXT NOT NULL CHECK (period IN ('day', 'month')),
        start      TEXT NOT NULL,
        cost       INTEGER NOT NULL,
        posted_at  TEXT NOT NULL,
        PRIMARY KEY (period, start)
      ) STRICT;

      CREATE TABLE energy_rules (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        device_id   TEXT,                     -- NULL: the whole home
        period      TEXT NOT NULL CHECK (period IN ('day', 'week', 'month', 'cycle')),
        metric      TEXT NOT NULL CHECK (metric IN ('spend', 'energy', 'projectedSpend', 'tierRemaining')),
        threshold   INTEGER NOT NULL CHECK (threshold >= 0),
        action      TEXT NOT NULL,            -- JSON: {"kind": "alert"} or {"kind": "intent", ...}
        origin      TEXT NOT NULL CHECK (origin IN ('api', 'config')),
        created_at  TEXT NOT NULL
      ) STRICT;

      -- One row per crossing: the UNIQUE key is what makes a rule fire once per period, across restarts.
      CREATE TABLE energy_alerts (
        id            TEXT PRIMARY KEY,
        rule_id       TEXT NOT NULL,
        rule_name     TEXT NOT NULL,
        metric        TEXT NOT NULL,
        value         REAL NOT NULL,
        threshold     INTEGER NOT NULL,
        period        TEXT NOT NULL,
        period_start  TEXT NOT NULL,
        crossing      TEXT NOT NULL DEFAULT '',  -- within a period: the tier approached, for tierRemaining
        device_id     TEXT,
        ts            TEXT NOT NULL,
        action        TEXT NOT NULL,
        intent_id     TEXT,
        intent_error  TEXT,
        created_at    TEXT NOT NULL,
        UNIQUE (rule_id, period_start, crossing)
      ) STRICT;
      CREATE INDEX energy_alerts_ts ON energy_alerts (ts);
    `);
  },
};
