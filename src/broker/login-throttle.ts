import type { Clock } from '../clock.js';
import type { Settings } from '../config/schema.js';

export type LoginThrottleSettings = Settings['mqtt']['loginThrottle'];

/** Why a login is refused before its secret is checked, and when to try again. */
export interface LoginRefusal {
  limitedBy: 'username' | 'address' | 'busy';
  retryAfterSeconds: number;
}

/** A secret check that may run; say how it ended, once. */
export interface LoginCheck {
  settle(outcome: 'passed' | 'failed' | 'errored'): void;
}

/**
 * Failure records kept per table. A guest can invent usernames and (over IPv6) addresses without
 * end, so each table forgets its least recently touched record beyond this.
 */
export const MAX_TRACKED = 10_000;

interface FailureRecord {
  failures: number;
  /** Checks started and not yet settled. */
  inFlight: number;
  blockedUntil: number;
  touchedAt: number;
}

/**
 * Failed logins per key (a username, or a remote address): after `threshold` failures the key
 * waits a backoff that doubles with each further failure, up to a cap. Records are kept in the
 * order they were last touched, so the oldest are the first to expire or be dropped.
 */
class FailureTable {
  private readonly records = new Map<string, FailureRecord>();

  /**
   * @param inFlightAlwaysCounts whether checks still running count as failures to be from the
   *   start (a username: one device logs in once at a time), or only once the key has failed
   *   (an address: a whole household behind one NAT, or every device after a hub restart, logs in
   *   at once from one address, and that is no attack).
   */
  constructor(
    private readonly threshold: number,
    private readonly settings: LoginThrottleSettings,
    private readonly maxTracked: number,
    private readonly inFlightAlwaysCounts: boolean,
  ) {}

  get size(): number {
    return this.records.size;
  }

  /** Milliseconds `key` must wait before a check may run, 0 when it may run now. */
  waitMs(key: string, now: number): number {
    this.expire(now);
    const record = this.records.get(key);
    if (!record) return 0;
    if (now < record.blockedUntil) return record.blockedUntil - now;
    // Checks still running count as failures to be: a burst of guesses sent at once must not all
    // start before the first has failed. Past the threshold, one probe at a time.
    const suspect = this.inFlightAlwaysCounts || record.failures > 0;
    if (suspect && record.inFlight >= Math.max(1, this.threshold - record.failures)) {
      return this.settings.backoffSeconds * 1000;
    }
    return 0;
  }

  started(key: string, now: number): void {
    this.touch(key, now).inFlight++;
  }

  failed(key: string, now: number): void {
    const record = this.touch(key, now);
    record.inFlight = Math.max(0, record.inFlight - 1);
    record.failures++;
    const over = record.failures - this.threshold;
    if (over >= 0) {
      const backoffMs = this.settings.backoffSeconds * 1000 * 2 ** over;
      record.blockedUntil = now + Math.min(backoffMs, this.settings.maxBackoffSeconds * 1000);
    }
  }

  /** A check that passed forgets the failures; one that errored only frees its place. */
  ended(key: string, passed: boolean): void {
    const record = this.records.get(key);
    if (!record) return;
    record.inFlight = Math.max(0, record.inFlight - 1);
    if (passed) {
      record.failures = 0;
      record.blockedUntil = 0;
    }
    if (record.failures === 0 && record.inFlight === 0) this.records.delete(key);
  }

  private touch(key: string, now: number): FailureRecord {
    const record = this.records.get(key) ?? { failures: 0, inFlight: 0, blockedUntil: 0, touchedAt: now };
    record.touchedAt = now;
    this.records.delete(key);
    this.records.set(key, record);
    while (this.records.size > this.maxTracked) {
      const oldest = this.records.keys().next().value;
      if (oldest === undefined) break;
      this.records.delete(oldest);
    }
    return record;
  }

  /** Forgets idle records from the oldest on; stops at the first that must be kept. */
  private expire(now: number): void {
    const forgetAfterMs = this.settings.forgetAfterSeconds * 1000;
    for (const [key, record] of this.records) {
      const idle = record.inFlight === 0 && now >= record.blockedUntil;
      if (!idle || now - record.touchedAt < forgetAfterMs) return;
      this.records.delete(key);
    }
  }
}

/**
 * Throttles MQTT logins so a guest on the Wi-Fi can neither brute-force device secrets nor starve
 * real logins of CPU: a wrong secret for a device that has not logged in since the hub started
 * costs a full scrypt check (about 50 ms, memory-hard on purpose). Failures are counted per
 * username and per remote address; a key over its threshold is refused without any check for a
 * backoff that doubles up to a cap; a passing check resets both. The address threshold is the
 * higher one, so a device with a wrong secret locks out only itself, while a guest trying many
 * usernames is stopped as a whole. Independently, at most `maxChecksInFlight` checks run at once,
 * so even guesses from many addresses cannot queue unbounded work ahead of a real device.
 */
export class LoginThrottle {
  private readonly usernames: FailureTable;
  private readonly addresses: FailureTable;
  private checksInFlight = 0;

  constructor(
    private readonly settings: LoginThrottleSettings,
    private readonly clock: Clock,
    maxTracked = MAX_TRACKED,
  ) {
    this.usernames = new FailureTable(settings.failuresPerUsername, settings, maxTracked, true);
    this.addresses = new FailureTable(settings.failuresPerAddress, settings, maxTracked, false);
  }

  /** Records held, to show they stay bounded. */
  tracked(): { usernames: number; addresses: number } {
    return { usernames: this.usernames.size, addresses: this.addresses.size };
  }

  /** Starts a check of `username`'s secret from `address`, or says why it must not run now. */
  begin(username: string, address: string): LoginCheck | LoginRefusal {
    const now = this.clock.now();
    const byUsername = this.usernames.waitMs(username, now);
    const byAddress = this.addresses.waitMs(address, now);
    if (byUsername > 0 || byAddress > 0) {
      return {
        limitedBy: byAddress >= byUsername ? 'address' : 'username',
        retryAfterSeconds: Math.ceil(Math.max(byUsername, byAddress) / 1000),
      };
    }
    if (this.checksInFlight >= this.settings.maxChecksInFlight) {
      return { limitedBy: 'busy', retryAfterSeconds: 1 };
    }
    this.checksInFlight++;
    this.usernames.started(username, now);
    this.addresses.started(address, now);
    let settled = false;
    return {
      settle: (outcome) => {
        if (settled) return;
        settled = true;
        this.checksInFlight--;
        if (outcome === 'failed') {
          const at = this.clock.now();
          this.usernames.failed(username, at);
          this.addresses.failed(address, at);
        } else {
          this.usernames.ended(username, outcome === 'passed');
          this.addresses.ended(address, outcome === 'passed');
        }
      },
    };
  }
}
