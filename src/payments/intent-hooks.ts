import type { Intent, IntentAnomaly } from './intent.js';

/**
 * What the wallet (points, offers, anomaly rules) and the merchant API do at the moments of an
 * intent's life. Every hook runs inside the payment core's own SQLite transaction, so its writes
 * land together with the state change or not at all, and a hook that throws undoes the change.
 * Hooks never await. The composition root hands them in; payments does not know who listens.
 */
export interface IntentHooks {
  /** Before the row is written: the category when the creator gave none, and an anomaly mark. */
  review?(intent: Intent): { category?: string; anomaly?: IntentAnomaly };
  /** After the row and its hold are written (redeemed points are taken, offer claims linked). */
  created?(intent: Intent): void;
  /** Points a payment earns, asked just before it is recorded as succeeded; must not write. */
  pointsEarned?(intent: Intent): number;
  /** After a succeeded intent is booked in the ledger. */
  succeeded?(intent: Intent): void;
  /** After an intent ended without payment: denied, expired, canceled or failed. */
  ended?(intent: Intent): void;
}

/** Several hook sets as one, called in order; points are the sum of what each one gives. */
export function combineHooks(...sets: IntentHooks[]): IntentHooks {
  return {
    review(intent) {
      let result: { category?: string; anomaly?: IntentAnomaly } = {};
      for (const set of sets) result = { ...result, ...set.review?.({ ...intent, ...result }) };
      return result;
    },
    created: (intent) => {
      for (const set of sets) set.created?.(intent);
    },
    pointsEarned: (intent) => sets.reduce((sum, set) => sum + (set.pointsEarned?.(intent) ?? 0), 0),
    succeeded: (intent) => {
      for (const set of sets) set.succeeded?.(intent);
    },
    ended: (intent) => {
      for (const set of sets) set.ended?.(intent);
    },
  };
}
