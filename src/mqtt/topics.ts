/**
 * The hub's own topics (SPEC "Hub events over MQTT"): one place that spells them, so no domain
 * builds a topic string by hand.
 */
export const hubTopics = {
  status: 'homepay/status',
  intent: (intentId: string) => `homepay/intent/${intentId}`,
  alert: (ruleId: string) => `homepay/alert/${ruleId}`,
  energyState: (deviceId: string) => `homepay/energy/${deviceId}/state`,
  speakerSay: (deviceId: string) => `homepay/speaker/${deviceId}/say`,
} as const;

export type QoS = 0 | 1 | 2;

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
}

/** A message from a device, as the transport received it. */
export interface InboundMessage {
  topic: string;
  payload: Buffer;
  /**
   * The device whose client published it, when the broker is embedded and knows the client.
   * With an external broker it is `null` and the topic alone says which device it is.
   */
  publisherId: string | null;
}

/**
 * How the hub talks MQTT, whether it embeds the broker or is a client of an external one.
 * Domains only see this interface.
 */
export interface MqttTransport {
  start(): Promise<void>;
  stop(): Promise<void>;
  publish(topic: string, payload: string | Buffer, options?: PublishOptions): Promise<void>;
  onMessage(handler: (message: InboundMessage) => void): void;
  /** Where devices connect: the bound port of the embedded broker, or the external broker's URL. */
  describe(): { port: number } | { url: string };
}
