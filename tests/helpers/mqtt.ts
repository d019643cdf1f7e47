import { connect } from 'node:net';
import mqtt, { ErrorWithSubackPacket, type IClientOptions, MqttClient } from 'mqtt';

/** A real MQTT client on the test hub's broker; no reconnects, so a refusal stays visible. */
export function connectClient(port: number, options: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  });
}

/**
 * The same from another loopback address (Linux answers on all of 127.0.0.0/8), to play a guest
 * on another host: the hub counts failed logins per remote address.
 */
export function connectClientFrom(
  localAddress: string,
  port: number,
  options: IClientOptions = {},
): Promise<MqttClient> {
  const client = new MqttClient(() => connect({ port, host: '127.0.0.1', localAddress }), {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

/** Waits for the first message on `topic` (subscribing first), or fails after `timeoutMs`. */
export function nextMessage(
  client: MqttClient,
  topic: string,
  timeoutMs = 5000,
): Promise<{ topic: string; payload: Buffer }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no message on ${topic} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    client.on('message', function onMessage(received, payload) {
      if (!topicMatches(topic, received)) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve({ topic: received, payload });
    });
    client.subscribe(topic, { qos: 1 });
  });
}

/** MQTT filter matching, for tests that wait on wildcard subscriptions. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Resolves once `predicate` holds, polling; for effects that happen after an MQTT round trip. */
export async function eventually(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/**
 * The granted QoS per filter, 128 meaning refused. mqtt.js rejects a SUBACK holding a refusal, so
 * the grants are read from the packet it attaches to the error.
 */
export async function subscribeGrants(
  client: MqttClient,
  filters: string[],
): Promise<Record<string, number>> {
  let granted: Array<number | { qos: number }>;
  try {
    granted = (await client.subscribeAsync(filters)).map((grant) => grant.qos);
  } catch (err) {
    if (!(err instanceof ErrorWithSubackPacket)) throw err;
    granted = err.packet.granted as Array<number | { qos: number }>;
  }
  return Object.fromEntries(filters.map((filter, i) => [filter, toQos(granted[i])]));
}

function toQos(grant: number | { qos: number } | undefined): number {
  return typeof grant === 'object' ? grant.qos : (grant ?? -1);
}
