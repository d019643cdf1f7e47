import { connect } from 'node:net';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PacketSizeMeter } from '../../src/broker/packet-size-guard.js';
import { TokenBucket } from '../../src/broker/rate-limit.js';
import { addDevice, startHub, type TestHub } from '../helpers/hub.js';
import { connectClient, eventually, nextMessage } from '../helpers/mqtt.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await startHub({
    overrides: { mqtt: { maxPacketBytes: 4096, rateLimit: { messagesPerSecond: 5, burst: 20 } } },
  });
});
afterAll(async () => {
  await hub.stop();
});

async function plugClient(identity: string): Promise<{ client: MqttClient; id: string }> {
  const plug = await addDevice(hub, { profile: 'tasmota-plug', name: identity, identity });
  return {
    client: await connectClient(hub.mqttPort, { username: plug.username, password: plug.password }),
    id: plug.id,
  };
}

describe('broker limits', () => {
  it('pins the aedes options that protect the hub (drain timeout, inflight, topic depth)', () => {
    // Defaults from the settings schema: a stalled reader is dropped after 5 s, not aedes's 60 s.
    const broker = hub.hub.transport as unknown as { aedesOptions(): Record<string, unknown> };
    expect(broker.aedesOptions()).toMatchObject({
      drainTimeout: 5000,
      maxInflightInbound: 100,
      maxTopicLevels: 16,
    });
  });

  it('closes the connection of a client that sends a packet over the size limit, others keep working', async () => {
    const big = await plugClient('tasmota_BIG001');
    const small = await plugClient('tasmota_SMALL1');
    const closed = new Promise<void>((resolve) => big.client.once('close', () => resolve()));
    big.client.publish('tele/tasmota_BIG001/SENSOR', `{"pad":"${'x'.repeat(8000)}"}`);
    await closed;
    expect(hub.logs.some((l) => l.msg === 'mqtt connection closed: packet too large')).toBe(true);
    const echo = nextMessage(small.client, 'cmnd/tasmota_SMALL1/POWER');
    await new Promise((r) => setTimeout(r, 50));
    await hub.hub.transport.publish('cmnd/tasmota_SMALL1/POWER', 'ON');
    expect((await echo).payload.toString()).toBe('ON');
    await small.client.endAsync();
  });

  it('refuses a header that announces a huge packet before any body arrives', async () => {
    // CONNECT fixed header announcing 200 MB; the hub must hang up without waiting for the body.
    const socket = connect(hub.mqttPort, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
    await closed;
  });

  it('disconnects a client that floods past its rate limit, and does not pass the flood on', async () => {
    const noisy = await plugClient('tasmota_NOISY1');
    const received: string[] = [];
    hub.hub.events.on(received, 'device.message', (e) => {
      if (e.deviceId === noisy.id) received.push(e.topic);
    });
    const closed = new Promise<void>((resolve) => noisy.client.once('close', () => resolve()));
    for (let i = 0; i < 200; i++)
      noisy.client.publish('tele/tasmota_NOISY1/SENSOR', '{"ENERGY":{"Total":1}}');
    await closed;
    await eventually(() => hub.logs.some((l) => l.reason === 'rate limit exceeded, disconnecting'));
    expect(received.length).toBeLessThanOrEqual(21);
    hub.hub.events.removeAllOf(received);
  });
});

describe('packet size meter', () => {
  it('follows packets split across chunks and several packets in one chunk', () => {
    const meter = new PacketSizeMeter(10);
    // Two packets of 1+1+3 bytes, then one split header: fine.
    expect(meter.feed(Buffer.from([0x30, 3, 1, 2, 3, 0x30, 3, 1]))).toBeNull();
    expect(meter.feed(Buffer.from([2, 3, 0x30]))).toBeNull();
    expect(meter.feed(Buffer.from([0x8a]))).toBeNull();
    // Remaining length 0x8a 0x01 = 138: over the limit once the header is complete.
    expect(meter.feed(Buffer.from([0x01]))).toMatch(/exceeds the limit/);
  });

  it('calls a five-byte remaining length malformed', () => {
    expect(new PacketSizeMeter(1e9).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff]))).toBe(
      'malformed remaining length',
    );
  });
});

describe('token bucket', () => {
  it('allows a burst, then refills at the sustained rate', () => {
    const bucket = new TokenBucket(2, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(bucket.take(499)).toBe(false);
    expect(bucket.take(500)).toBe(true);
  });
});
