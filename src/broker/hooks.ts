import type { AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';
import type { Clock } from '../clock.js';
import { findPublishRoute, isSubscriptionAllowed } from '../devices/profiles.js';
import type { Device, DeviceRegistry } from '../devices/registry.js';
import type { Logger } from '../logger.js';
import { TokenBucket } from './rate-limit.js';

export interface BrokerHookContext {
  registry: DeviceRegistry;
  logger: Logger;
  clock: Clock;
  rateLimit: { messagesPerSecond: number; burst: number };
}

/** aedes's CONNACK return code 5, "not authorized" (MQTT 3.1.1 section 3.2.2.3). */
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

  constructor(private readonly ctx: BrokerHookContext) {}

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
    const refuse = (reason: string) => {
      this.ctx.logger.warn({ clientId: client.id, username, reason }, 'mqtt connection refused');
      const error = Object.assign(new Error(reason), { returnCode: NOT_AUTHORIZED }) as AuthenticateError;
      done(error, false);
    };
    if (!username || !password) {
      refuse('anonymous clients are not allowed');
      return;
    }
    this.ctx.registry
      .authenticate(username, password.toString('utf8'))
      .then((device) => {
        if (!device) {
          refuse('unknown device or wrong secret');
          return;
        }
        this.devices.set(client, device);
        const clients = this.clientsByDevice.get(device.id) ?? new Set<Client>();
        clients.add(client);
        this.clientsByDevice.set(device.id, clients);
        this.buckets.set(
          client,
          new TokenBucket(
            this.ctx.rateLimit.messagesPerSecond,
            this.ctx.rateLimit.burst,
            this.ctx.clock.now(),
          ),
        );
        done(null, true);
      })
      .catch((err: unknown) => {
        this.ctx.logger.error({ err, clientId: client.id }, 'mqtt authentication failed');
        refuse('authentication error');
      });
  };

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
