import type { AedesPublishPacket, AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';
import type { Clock } from '../clock.js';
import {
  findPublishRoute,
  findSubscribeRoute,
  isSubscriptionAllowed,
  payloadField,
} from '../devices/profiles.js';
import type { Device, DeviceRegistry } from '../devices/registry.js';
import type { Logger } from '../logger.js';
import { type LoginRefusal, LoginThrottle, type LoginThrottleSettings } from './login-throttle.js';
import { TokenBucket } from './rate-limit.js';

export interface BrokerHookContext {
  registry: DeviceRegistry;
  logger: Logger;
  clock: Clock;
  rateLimit: { messagesPerSecond: number; burst: number };
  loginThrottle: LoginThrottleSettings;
  /** The address a client connected from (aedes sees only the stream the hub wraps the socket in). */
  remoteAddress?: (client: Client) => string | undefined;
  /** The device named by a verified client certificate on this connection (MQTT over TLS). */
  certificateDeviceId?: (client: Client) => string | undefined;
}

/** Hermes sessions remembered for `payloadSession` forwarding; the oldest go first. */
const MAX_SESSIONS = 2000;

/** CONNACK return codes (MQTT 3.1.1 section 3.2.2.3): clients retry after 3, "server unavailable". */
const SERVER_UNAVAILABLE = 3;
const NOT_AUTHORIZED = 5;

/**
 * The broker's only gate, deny by default: a client must log in as a registered device, and may
 * then publish and subscribe only on the topics its profile declares for its own identity. Hooks
 * decide; they never rewrite packets. Every refusal is logged with client, topic and reason.
 */
export class BrokerGate {
  private readonly devices = new WeakMap<Client, Device>();
  private readonly buckets = new WeakMap<Client, TokenBucket>();
  /** Connected clients per device id, to disconnect a removed or rotated device at once. */
  private readonly clientsByDevice = new Map<string, Set<Client>>();
  /** Hermes sessionId -> the device (satellite or base child) the hub saw it on. */
  private readonly sessions = new Map<string, string>();
  private readonly logins: LoginThrottle;

  constructor(private readonly ctx: BrokerHookContext) {
    this.logins = new LoginThrottle(ctx.loginThrottle, ctx.clock);
  }

  /** The device a connected client logged in as. */
  deviceOf(client: Client | null): Device | undefined {
    return client ? this.devices.get(client) : undefined;
  }

  readonly authenticate = (
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void => {
    const address = this.ctx.remoteAddress?.(client) ?? 'unknown';
    const refuse = (reason: string, returnCode = NOT_AUTHORIZED) => {
      const error = Object.assign(new Error(reason), { returnCode }) as AuthenticateError;
      done(error, false);
    };
    const refuseLogged = (reason: string) => {
      this.ctx.logger.warn({ clientId: client.id, username, address, reason }, 'mqtt connection refused');
      refuse(reason);
    };
    const certified = this.ctx.certificateDeviceId?.(client);
    if (certified && (!username || username === certified)) {
      // A client certificate from the hub's CA names the device; no password is needed. A removed
      // device is gone from the registry, so its certificate stops working with it.
      const device = this.ctx.registry.get(certified);
      if (!device || device.parentId) {
        refuseLogged('client certificate names no registered device');
        return;
      }
      this.admit(client, device);
      done(null, true);
      return;
    }
    if (!username || !password) {
      refuseLogged('anonymous clients are not allowed');
      return;
    }
    const known = this.ctx.registry.knownLogin(username, password.toString('utf8'));
    if (known) {
      this.admit(client, known);
      done(null, true);
      return;
    }
    const check = this.logins.begin(username, address);
    if ('limitedBy' in check) {
      this.logThrottled(client, username, address, check);
      if (check.limitedBy === 'busy') refuse('too many logins being checked, retry', SERVER_UNAVAILABLE);
      else refuse(`too many failed logins, retry in ${check.retryAfterSeconds} s`);
      return;
    }
    this.ctx.registry
      .authenticate(username, password.toString('utf8'))
      .then((device) => {
        check.settle(device ? 'passed' : 'failed');
        if (!device) {
          refuseLogged('unknown device or wrong secret');
          return;
        }
        this.admit(client, device);
        done(null, true);
      })
      .catch((err: unknown) => {
        check.settle('errored');
        this.ctx.logger.error({ err, clientId: client.id }, 'mqtt authentication failed');
        refuseLogged('authentication error');
      });
  };

  /** Never the password: the username, where from, and when it may try again. */
  private logThrottled(client: Client, username: string, address: string, refusal: LoginRefusal): void {
    this.ctx.logger.warn(
      {
        clientId: client.id,
        username,
        address,
        limitedBy: refusal.limitedBy,
        retryAfterSeconds: refusal.retryAfterSeconds,
      },
      refusal.limitedBy === 'busy' ? 'mqtt login deferred: too many checks at once' : 'mqtt login throttled',
    );
  }

  private admit(client: Client, device: Device): void {
    this.devices.set(client, device);
    const clients = this.clientsByDevice.get(device.id) ?? new Set<Client>();
    clients.add(client);
    this.clientsByDevice.set(device.id, clients);
    this.buckets.set(
      client,
      new TokenBucket(this.ctx.rateLimit.messagesPerSecond, this.ctx.rateLimit.burst, this.ctx.clock.now()),
    );
  }

  /** Forgets a client that left. */
  released(client: Client): void {
    const device = this.devices.get(client);
    if (!device) return;
    const clients = this.clientsByDevice.get(device.id);
    clients?.delete(client);
    if (clients?.size === 0) this.clientsByDevice.delete(device.id);
  }

  /** Closes every connection of a device whose credentials no longer hold. */
  disconnect(deviceId: string, reason: string): void {
    for (const client of this.clientsByDevice.get(deviceId) ?? []) {
      this.ctx.logger.info({ deviceId, clientId: client.id, reason }, 'mqtt client disconnected');
      this.devices.delete(client);
      client.close();
    }
    this.clientsByDevice.delete(deviceId);
    // The mapping is gone, so clientDisconnect will not know whose client it was.
    this.ctx.registry.setOnline(deviceId, false);
  }

  readonly authorizePublish = (
    client: Client | null,
    packet: PublishPacket,
    done: (error?: Error | null) => void,
  ): void => {
    // The hub's own messages come through aedes.publish with no client and never reach this hook;
    // a packet from a client we did not authenticate is refused.
    done(this.publishRefusal(client, packet.topic));
  };

  /** Why a client may not publish on `topic` (an error that makes aedes close it), or null. */
  private publishRefusal(client: Client | null, topic: string): Error | null {
    const device = this.deviceOf(client);
    if (!device || !client) return this.refusal(client, topic, 'publish', 'not authenticated');
    if (!this.buckets.get(client)?.take(this.ctx.clock.now())) {
      return this.refusal(client, topic, 'publish', 'rate limit exceeded, disconnecting');
    }
    const profile = this.ctx.registry.profile(device.profile);
    if (!profile || !findPublishRoute(profile, device.identity, topic)) {
      return this.refusal(client, topic, 'publish', `not a topic of profile ${device.profile}`);
    }
    return null;
  }

  /** A Hermes session was seen on a device: replies naming it (endSession) may go there only. */
  rememberSession(sessionId: string, deviceId: string): void {
    this.sessions.delete(sessionId);
    this.sessions.set(sessionId, deviceId);
    if (this.sessions.size > MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
  }

  /**
   * What a subscriber receives on a topic every device of its kind shares (Hermes replies): only a
   * message its payload addresses to this device. `confinedBy.payloadField` (siteId) must be the
   * device's identity or, for a bridge, one of its children; `confinedBy.payloadSession` must be a
   * session the hub saw on it. Anything else was settled by the subscription check.
   */
  readonly authorizeForward = (client: Client, packet: AedesPublishPacket): AedesPublishPacket | null => {
    const device = this.deviceOf(client);
    const profile = device && this.ctx.registry.profile(device.profile);
    if (!device || !profile) return null;
    const confinedBy = findSubscribeRoute(profile, device.identity, packet.topic)?.confinedBy;
    if (!confinedBy || 'hubEvents' in confinedBy) return packet;
    const name = 'payloadField' in confinedBy ? confinedBy.payloadField : confinedBy.payloadSession;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const field = payloadField(payload, name);
    let reason: string | undefined;
    if ('problem' in field) reason = field.problem;
    else if ('payloadField' in confinedBy && !this.isOrOwns(device, profile.kind, field.value)) {
      reason = `${name} "${field.value}" is not this device's`;
    } else if ('payloadSession' in confinedBy && !this.sawSessionOn(device, field.value)) {
      reason = `session "${field.value}" was not seen on this device`;
    }
    if (reason === undefined) return packet;
    // Every other satellite is refused each Hermes reply: expected, so not a warning.
    this.ctx.logger.debug(
      { clientId: client.id, deviceId: device.id, topic: packet.topic, reason },
      'mqtt not forwarded',
    );
    return null;
  };

  private isOrOwns(device: Device, kind: 'single' | 'bridge', identity: string): boolean {
    if (kind === 'single') return device.identity === identity;
    return this.ctx.registry.children(device.id).some((child) => child.identity === identity);
  }

  private sawSessionOn(device: Device, sessionId: string): boolean {
    const seenOn = this.sessions.get(sessionId);
    if (seenOn === undefined) return false;
    return seenOn === device.id || this.ctx.registry.get(seenOn)?.parentId === device.id;
  }

  readonly authorizeSubscribe = (
    client: Client,
    subscription: Subscription,
    done: (error: Error | null, subscription?: Subscription | null) => void,
  ): void => {
    const device = this.deviceOf(client);
    const profile = device && this.ctx.registry.profile(device.profile);
    if (!device || !profile || !isSubscriptionAllowed(profile, device.identity, subscription.topic)) {
      this.refusal(
        client,
        subscription.topic,
        'subscribe',
        `not a topic of profile ${device?.profile ?? '(none)'}`,
      );
      // A null subscription makes aedes answer SUBACK 0x80 (failure) and keep the connection.
      done(null, null);
      return;
    }
    done(null, subscription);
  };

  private refusal(
    client: Client | null,
    topic: string,
    action: 'publish' | 'subscribe',
    reason: string,
  ): Error {
    const device = this.deviceOf(client);
    this.ctx.logger.warn(
      { clientId: client?.id, deviceId: device?.id, topic, action, reason },
      'mqtt refused',
    );
    return new Error(`${action} to ${topic} refused: ${reason}`);
  }
}
