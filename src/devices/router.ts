import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../logger.js';
import type { InboundMessage } from '../mqtt/topics.js';
import { converters } from './converters/index.js';
import { checkPublish } from './profiles.js';
import type { Device, DeviceRegistry } from './registry.js';
import { ConvertError, type DeviceMessage, type DeviceProfile, type TopicDeclaration } from './types.js';

interface Route {
  device: Device;
  profile: DeviceProfile;
  declaration: TopicDeclaration;
  params: Record<string, string>;
  /** The bridge child the message is about, from a topic level or the payload. */
  child?: string;
}

/**
 * Turns raw MQTT messages from devices into `device.message` events: finds the device and the
 * profile topic it used (`checkPublish`, which also checks that a Hermes `siteId` belongs to the
 * client that sent it), decodes the payload with the topic's converter, and registers a bridge's
 * child when first heard. A malformed payload is logged with its topic and dropped; nothing here
 * throws back into the broker.
 */
export class DeviceMessageRouter {
  constructor(
    private readonly registry: DeviceRegistry,
    private readonly events: EventBus,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  readonly handle = (message: InboundMessage): void => {
    try {
      this.route(message);
    } catch (err) {
      this.logger.error({ err, topic: message.topic }, 'device message failed');
    }
  };

  private route(message: InboundMessage): void {
    const route = message.publisherId ? this.routeFromPublisher(message) : this.routeFromTopic(message);
    if (!route) return;
    this.registry.touch(route.device.id);
    const target =
      route.child === undefined ? route.device : this.registry.ensureChild(route.device, route.child);
    if (target !== route.device) this.registry.touch(target.id);
    const converterName = route.declaration.converter;
    const convert = converterName ? converters[converterName] : undefined;
    if (!convert) return;

    let decoded: DeviceMessage[];
    try {
      decoded = convert({ topic: message.topic, params: route.params, payload: message.payload });
    } catch (err) {
      if (!(err instanceof ConvertError)) throw err;
      this.logger.warn(
        { topic: message.topic, deviceId: target.id, reason: err.message },
        'malformed device payload dropped',
      );
      return;
    }
    const receivedAt = new Date(this.clock.now()).toISOString();
    for (const item of decoded) {
      if (item.kind === 'availability') {
        this.registry.setOnline(target.id, item.online);
        continue;
      }
      this.events.emit('device.message', {
        deviceId: target.id,
        profile: route.profile.id,
        topic: message.topic,
        message: item,
        receivedAt,
      });
    }
  }

  /** Embedded broker: the client is known, and the broker already checked the topic. */
  private routeFromPublisher(message: InboundMessage): Route | undefined {
    const device = this.registry.get(message.publisherId as string);
    const profile = device && this.registry.profile(device.profile);
    if (!device || !profile) return undefined;
    const check = checkPublish(profile, device.identity, message.topic, message.payload);
    if (!check.allowed) {
      this.logger.warn(
        { topic: message.topic, deviceId: device.id, reason: check.reason },
        'device message dropped',
      );
      return undefined;
    }
    return { device, profile, ...check.route, child: check.child };
  }

  /**
   * External broker: the publisher is unknown, so the topic (and for shared Hermes topics the
   * payload's siteId) must name the device.
   */
  private routeFromTopic(message: InboundMessage): Route | undefined {
    for (const client of this.registry.clientIdentities()) {
      const profile = this.registry.profile(client.profile);
      if (!profile) continue;
      const check = checkPublish(profile, client.identity, message.topic, message.payload);
      if (!check.allowed) continue;
      const device = this.registry.get(client.id);
      if (device) return { device, profile, ...check.route, child: check.child };
    }
    this.logger.debug({ topic: message.topic }, 'message from no known device, dropped');
    return undefined;
  }
}
