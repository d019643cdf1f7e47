import { type Clock, isoNow } from '../clock.js';
import { type Db, prepared } from '../store/database.js';

/** Whether any speaker of the home may order, and when someone last changed that. */
export interface HouseholdOrderingState {
  enabled: boolean;
  /** null while it has never been changed (ordering is on by default). */
  changedAt: string | null;
}

const ENABLED_KEY = 'voice.ordering.enabled';
const CHANGED_KEY = 'voice.ordering.changedAt';

/**
 * The home-wide voice ordering switch (a child lock): off, every speaker and satellite is refused
 * before its own policy is looked at, whatever the config allows. It only ever takes permission
 * away: turned on, each speaker's own policy decides as before. Kept in `hub_facts`, so it holds
 * across restarts; `PUT /api/voice/ordering` (admin) changes it.
 */
export class HouseholdOrdering {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  state(): HouseholdOrderingState {
    const rows = prepared(this.db, 'SELECT key, value FROM hub_facts WHERE key IN (?, ?)').all(
      ENABLED_KEY,
      CHANGED_KEY,
    ) as Array<{ key: string; value: string }>;
    const facts = new Map(rows.map((row) => [row.key, row.value]));
    return { enabled: facts.get(ENABLED_KEY) !== 'false', changedAt: facts.get(CHANGED_KEY) ?? null };
  }

  enabled(): boolean {
    return this.state().enabled;
  }

  /** Sets the switch; setting it to what it already is changes nothing, not even `changedAt`. */
  set(enabled: boolean): HouseholdOrderingState {
    const upsert = prepared(
      this.db,
      'INSERT INTO hub_facts (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    );
    this.db.transaction(() => {
      if (this.state().enabled === enabled) return;
      upsert.run(ENABLED_KEY, String(enabled));
      upsert.run(CHANGED_KEY, isoNow(this.clock));
    })();
    return this.state();
  }
}
