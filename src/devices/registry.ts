import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import { HubError } from '../errors.js';
import type { EventBus } from '../events.js';
import { newId, newSecret } from '../ids.js';
import { type Db, inTransaction, prepared } from '../store/database.js';
import { checkIdentity, topicConflicts } from './profiles.js';
import { hashSecret, verifySecret } from './secrets.js';
import type { DeviceProfile } from './types.js';

export interface Device {
  id: string;
  profile: string;
  name: string;
  identity: string;
  /** Set for a bridge's child (a Zigbee2MQTT friendly name, a Hermes siteId). */
  parentId: string | null;
  online: boolean;
  lastSeen: string | null;
  createdAt: string;
}

export interface NewDevice {
  profile: string;
  name: string;
  identity?: string;
}

interface DeviceRow {
  id: string;
  profile: string;
  name: string;
  identity: string;
  secret_hash: string | null;
  parent_id: string | null;
  online: number;
  last_seen: string | null;
  created_at: string;
}

/** `lastSeen` is kept exact in memory but written at most this often per device, to spare the disk. */
const LAST_SEEN_WRITE_INTERVAL_MS = 30_000;

/**
 * The devices the hub knows, their credentials and their presence. Secrets leave this class only
 * once, as the return value of `add` or `rotate`; only scrypt hashes are stored.
 */
export class DeviceRegistry {
  /** deviceId -> the stored hash it was checked against and a fast digest of the secret that passed. */
  private readonly verified = new Map<string, { storedHash: string; digest: Buffer }>();
  private readonly lastSeenWritten = new Map<string, number>();
  private readonly lastSeen = new Map<string, string>();
  /** Rows read by `get`, until a write here changes them (their `lastSeen` is the map above). */
  private readonly rows = new Map<string, DeviceRow>();
  private identities: Array<{ id: string; profile: string; identity: string }> | undefined;

  constructor(
    private readonly db: Db,
    private readonly profiles: ReadonlyMap<string, DeviceProfile>,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  profile(id: string): DeviceProfile | undefined {
    return this.profiles.get(id);
  }

  async add(input: NewDevice): Promise<{ device: Device; secret: string }> {
    const profile = this.profiles.get(input.profile);
    if (!profile) {
      throw new HubError(
        'unknown_profile',
        `Unknown profile "${input.profile}". Known: ${[...this.profiles.keys()].join(', ')}`,
      );
    }
    const name = input.name.trim();
    if (name.length === 0 || name.length > 100)
      throw new HubError('invalid_request', 'name must be 1 to 100 characters');
    const id = newId('dev');
    const identity = this.resolveIdentity(profile, id, input.identity);
    const secret = newSecret(24);
    const secretHash = await hashSecret(secret);
    const createdAt = new Date(this.clock.now()).toISOString();
    try {
      prepared(
        this.db,
        `INSERT INTO devices (id, profile, name, identity, secret_hash, created_at)
           VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(id, profile.id, name, identity, secretHash, createdAt);
      this.identities = undefined;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new HubError(
          'identity_taken',
          `A ${profile.id} device with identity "${identity}" already exists`,
        );
      }
      throw err;
    }
    this.events.emit('device.added', { deviceId: id });
    return { device: this.require(id), secret };
  }

  /**
   * The identity a new device gets: its id for native profiles, else the one given (or the
   * profile's default), which must be valid for the profile and must not let its topics meet the
   * hub's own topics or another registered device's.
   */
  private resolveIdentity(profile: DeviceProfile, deviceId: string, given: string | undefined): string {
    if (profile.identity.source === 'deviceId') {
      if (given !== undefined && given !== '' && given !== deviceId) {
        throw new HubError(
          'invalid_identity',
          `Profile ${profile.id} uses the device id as identity; omit identity`,
        );
      }
      return deviceId;
    }
    const identity = given ?? profile.identity.default;
    if (!identity) {
      throw new HubError(
        'invalid_identity',
        `Profile ${profile.id} needs an identity: ${profile.identity.description}`,
      );
    }
    const problem = checkIdentity(profile, identity, this.profiles.values());
    if (problem) throw new HubError('invalid_identity', problem);
    for (const other of this.clients()) {
      const otherProfile = this.profiles.get(other.profile);
      if (!otherProfile || (other.profile === profile.id && other.identity === identity)) continue;
      const conflicts = topicConflicts(
        { profile, identity },
        { profile: otherProfile, identity: other.identity },
      );
      if (conflicts.length > 0) {
        throw new HubError(
          'identity_taken',
          `Its topics would meet those of ${other.name} (${other.id}): ${conflicts[0]}`,
        );
      }
    }
    return identity;
  }

  /** A new secret; the old one stops working for every new connection at once. */
  async rotate(id: string): Promise<string> {
    const device = this.require(id);
    if (device.parentId)
      throw new HubError('invalid_request', 'A bridge child has no credentials of its own');
    const secret = newSecret(24);
    const hash = await hashSecret(secret);
    inTransaction(this.db, () => {
      prepared(this.db, 'UPDATE devices SET secret_hash = ? WHERE id = ?').run(hash, id);
      this.rows.delete(id);
      // Whoever had the old secret may have had the certificate's key too.
      prepared(
        this.db,
        'UPDATE device_certificates SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL',
      ).run(new Date(this.clock.now()).toISOString(), id);
    });
    this.verified.delete(id);
    this.events.emit('device.secretRotated', { deviceId: id });
    return secret;
  }

  /** Puts a client certificate the hub just issued to a device on record (src/tls/hub-tls.ts). */
  recordCertificate(deviceId: string, serial: string): void {
    prepared(this.db, 'INSERT INTO device_certificates (serial, device_id, issued_at) VALUES (?, ?, ?)').run(
      serial.toUpperCase(),
      deviceId,
      new Date(this.clock.now()).toISOString(),
    );
  }

  /** Whether a certificate (the CA already verified it) was issued to this device and still holds. */
  certificateInForce(deviceId: string, serial: string): boolean {
    const row = prepared(
      this.db,
      'SELECT 1 FROM device_certificates WHERE serial = ? AND device_id = ? AND revoked_at IS NULL',
    ).get(serial.toUpperCase(), deviceId);
    return row !== undefined;
  }

  remove(id: string): Device {
    const device = this.require(id);
    const children = this.children(id);
    prepared(this.db, 'DELETE FROM devices WHERE id = ?').run(id);
    this.rows.clear();
    this.identities = undefined;
    this.verified.delete(id);
    for (const child of children) this.events.emit('device.removed', { deviceId: child.id });
    this.events.emit('device.removed', { deviceId: id });
    return device;
  }

  get(id: string): Device | undefined {
    // Asked for every message: rows are kept in memory, and every write below forgets its row.
    let row = this.rows.get(id);
    if (!row) {
      row = prepared(this.db, 'SELECT * FROM devices WHERE id = ?').get(id) as DeviceRow | undefined;
      if (row) this.rows.set(id, row);
    }
    return row ? this.toDevice(row) : undefined;
  }

  require(id: string): Device {
    const device = this.get(id);
    if (!device) throw new HubError('device_not_found', `No device with id ${id}`);
    return device;
  }

  list(): Device[] {
    const rows = prepared(this.db, 'SELECT * FROM devices ORDER BY created_at, id').all() as DeviceRow[];
    return rows.map((row) => this.toDevice(row));
  }

  /** Top-level devices (those with their own MQTT client), for routing incoming topics. */
  clients(): Device[] {
    return this.list().filter((device) => device.parentId === null);
  }

  /**
   * Who each device with an MQTT client of its own is, for finding a message's device by its topic
   * (external broker mode, every message): kept in memory until a device is added or removed, the
   * only changes to a device's profile or identity.
   */
  clientIdentities(): ReadonlyArray<{ id: string; profile: string; identity: string }> {
    this.identities ??= prepared(
      this.db,
      'SELECT id, profile, identity FROM devices WHERE parent_id IS NULL ORDER BY created_at, id',
    ).all() as Array<{ id: string; profile: string; identity: string }>;
    return this.identities;
  }

  children(parentId: string): Device[] {
    const rows = prepared(this.db, 'SELECT * FROM devices WHERE parent_id = ? ORDER BY id').all(
      parentId,
    ) as DeviceRow[];
    return rows.map((row) => this.toDevice(row));
  }

  findByIdentity(profile: string, identity: string): Device | undefined {
    const row = prepared(
      this.db,
      'SELECT * FROM devices WHERE profile = ? AND identity = ? AND parent_id IS NULL',
    ).get(profile, identity) as DeviceRow | undefined;
    return row ? this.toDevice(row) : undefined;
  }

  /** A bridge's child, registered the first time the bridge speaks for it. */
  ensureChild(parent: Device, childIdentity: string): Device {
    const existing = prepared(this.db, 'SELECT * FROM devices WHERE parent_id = ? AND identity = ?').get(
      parent.id,
      childIdentity,
    ) as DeviceRow | undefined;
    if (existing) return this.toDevice(existing);
    const id = newId('dev');
    prepared(
      this.db,
      `INSERT INTO devices (id, profile, name, identity, parent_id, online, created_at)
         VALUES (?, ?, ?, ?, ?, 1, ?)`,
    ).run(
      id,
      parent.profile,
      childIdentity,
      childIdentity,
      parent.id,
      new Date(this.clock.now()).toISOString(),
    );
    this.events.emit('device.added', { deviceId: id });
    return this.require(id);
  }

  /**
   * Checks MQTT credentials. The scrypt check runs once per secret; later connections with the same
   * secret compare a SHA-256 digest in constant time, so a reconnect storm does not burn the CPU.
   */
  async authenticate(username: string, password: string): Promise<Device | null> {
    const row = this.loginRow(username);
    if (!row?.secret_hash) return null;
    const digest = createHash('sha256').update(password).digest();
    const cached = this.verified.get(row.id);
    if (cached && cached.storedHash === row.secret_hash) {
      return timingSafeEqual(cached.digest, digest) ? this.toDevice(row) : null;
    }
    if (!(await verifySecret(password, row.secret_hash))) return null;
    this.verified.set(row.id, { storedHash: row.secret_hash, digest });
    return this.toDevice(row);
  }

  /**
   * The device, when this is the secret it already logged in with since the hub started: a
   * SHA-256 comparison, no scrypt. The broker admits such a login before its failed-login
   * throttle, so guesses at a device's id cannot keep the device itself from reconnecting.
   */
  knownLogin(username: string, password: string): Device | undefined {
    const cached = this.verified.get(username);
    const row = cached && this.loginRow(username);
    if (!cached || !row || cached.storedHash !== row.secret_hash) return undefined;
    const digest = createHash('sha256').update(password).digest();
    return timingSafeEqual(cached.digest, digest) ? this.toDevice(row) : undefined;
  }

  private loginRow(username: string): DeviceRow | undefined {
    return prepared(this.db, 'SELECT * FROM devices WHERE id = ? AND parent_id IS NULL').get(username) as
      | DeviceRow
      | undefined;
  }

  setOnline(id: string, online: boolean): void {
    const at = new Date(this.clock.now()).toISOString();
    const changed = prepared(
      this.db,
      'UPDATE devices SET online = ?, last_seen = ? WHERE id = ? AND online != ?',
    ).run(online ? 1 : 0, at, id, online ? 1 : 0);
    this.rows.delete(id);
    this.lastSeen.set(id, at);
    this.lastSeenWritten.set(id, this.clock.now());
    if (changed.changes > 0) this.events.emit('device.availability', { deviceId: id, online, at });
  }

  /** Notes that a device was heard from now. */
  touch(id: string): void {
    const now = this.clock.now();
    const at = new Date(now).toISOString();
    this.lastSeen.set(id, at);
    if (now - (this.lastSeenWritten.get(id) ?? 0) >= LAST_SEEN_WRITE_INTERVAL_MS) {
      prepared(this.db, 'UPDATE devices SET last_seen = ? WHERE id = ?').run(at, id);
      this.lastSeenWritten.set(id, now);
    }
  }

  /** Every device offline: at start (nothing is connected yet) and at stop. */
  markAllOffline(): void {
    prepared(this.db, 'UPDATE devices SET online = 0 WHERE online = 1').run();
    this.rows.clear();
  }

  /** Writes the in-memory `lastSeen` times, on stop. */
  flushLastSeen(): void {
    const update = prepared(this.db, 'UPDATE devices SET last_seen = ? WHERE id = ?');
    this.db.transaction(() => {
      for (const [id, at] of this.lastSeen) update.run(at, id);
    })();
  }

  private toDevice(row: DeviceRow): Device {
    return {
      id: row.id,
      profile: row.profile,
      name: row.name,
      identity: row.identity,
      parentId: row.parent_id,
      online: row.online === 1,
      lastSeen: this.lastSeen.get(row.id) ?? row.last_seen,
      createdAt: row.created_at,
    };
  }
}
