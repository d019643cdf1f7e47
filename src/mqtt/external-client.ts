import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../logger.js';
import { hubTopics, type InboundMessage, type MqttTransport, type PublishOptions } from './topics.js';

export interface ExternalClientContext {
  url: string;
  username?: string;
  password?: string;
  /** Subscription filters for every device -> hub topic the profiles declare. */
  deviceFilters: string[];
  logger: Logger;
}

/**
 * The hub as a client of an external broker (Mosquitto, EMQX). Device authentication and topic
 * ACLs are then that broker's job: docs/mqtt.md says how to configure them. The hub announces
 * itself with a retained `online` and leaves `offline` as its Last Will.
 */
export class ExternalMqttClient implements MqttTransport {
  private client: MqttClient | undefined;
  private readonly handlers: Array<(message: InboundMessage) => void> = [];

  constructor(private readonly ctx: ExternalClientContext) {}

  async start(): Promise<void> {
    const { url, username, password, logger } = this.ctx;
    const client = await mqtt.connectAsync(url, {
      username,
      password,
      // aedes and most home brokers speak 3.1.1; it is also what Tasmota and Shelly use.
      protocolVersion: 4,
      clientId: `homepay-hub-${process.pid}`,
      clean: true,
      reconnectPeriod: 2000,
      will: { topic: hubTopics.status, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client = client;
    client.on('message', (topic, payload) => {
      for (const handler of this.handlers) handler({ topic, payload, publisherId: null });
    });
    client.on('error', (err) => logger.warn({ err: err.message, url }, 'external mqtt broker error'));
    client.on('reconnect', () => logger.info({ url }, 'reconnecting to external mqtt broker'));
    // After a reconnect with a clean session the subscriptions are gone; mqtt.js resubscribes
    // (resubscribe: true by default), and the retained status must be said again.
    let lost = false;
    client.on('offline', () => {
      lost = true;
      logger.warn({ url }, 'lost the external mqtt broker; publishes wait until it is back');
    });
    client.on('connect', () => {
      if (lost) logger.info({ url }, 'reconnected to the external mqtt broker');
      lost = false;
      client.publish(hubTopics.status, 'online', { qos: 1, retain: true });
    });
    if (this.ctx.deviceFilters.length > 0) {
      await client.subscribeAsync(this.ctx.deviceFilters, { qos: 1 });
    }
    await client.publishAsync(hubTopics.status, 'online', { qos: 1, retain: true });
  }

  describe(): { url: string } {
    return { url: this.ctx.url };
  }

  onMessage(handler: (message: InboundMessage) => void): void {
    this.handlers.push(handler);
  }

  async publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    if (!this.client) throw new Error('not connected to the external broker');
    await this.client.publishAsync(topic, payload, {
      qos: options.qos ?? 0,
      retain: options.retain ?? false,
    });
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    // With the broker gone, a QoS 1 publish would wait for it forever and the hub would never stop
    // (issue 10's broker-restart test): say offline only while connected, and then not for long;
    // the Last Will says it otherwise.
    let said = false;
    if (client.connected) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        client
          .publishAsync(hubTopics.status, 'offline', { qos: 1, retain: true })
          .then(() => {
            said = true;
          })
          .catch(() => {}),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000))),
      ]);
      clearTimeout(timer);
    }
    // Acknowledged: what was sent before it is through, end gracefully. Otherwise do not wait.
    await client.endAsync(!said);
    this.client = undefined;
  }
}
