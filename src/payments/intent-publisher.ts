import type { EventBus } from '../events.js';
import type { Logger } from '../logger.js';
import { hubTopics, type MqttTransport } from '../mqtt/topics.js';

/** Publishes every intent state change on `homepay/intent/{id}` (QoS 1), as SPEC says. */
export class IntentPublisher {
  constructor(
    private readonly events: EventBus,
    private readonly transport: MqttTransport,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.events.on(this, 'intent.changed', async ({ intent }) => {
      try {
        await this.transport.publish(hubTopics.intent(intent.id), JSON.stringify(intent), { qos: 1 });
      } catch (err) {
        this.logger.warn(
          { intentId: intent.id, err: (err as Error).message },
          'could not publish intent state',
        );
      }
    });
  }

  stop(): void {
    this.events.removeAllOf(this);
  }
}
