import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

/**
 * aedes's parser (mqtt-packet) buffers a packet until it is complete, whatever length its header
 * announces, so one client could make the hub hold hundreds of megabytes. This reads only the MQTT
 * fixed headers of the byte stream going by and closes the connection as soon as a header announces
 * a packet larger than the limit, before its body is buffered.
 */
export class PacketSizeMeter {
  private stage: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private lengthBytes = 0;
  private bodyLeft = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /** Returns a reason when the stream breaks the limit (or is not MQTT), `null` while it is fine. */
  feed(chunk: Buffer): string | null {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.stage === 'body') {
        const take = Math.min(this.bodyLeft, chunk.length - offset);
        this.bodyLeft -= take;
        offset += take;
        if (this.bodyLeft === 0) this.stage = 'type';
        continue;
      }
      const byte = chunk[offset++] as number;
      if (this.stage === 'type') {
        this.stage = 'length';
        this.length = 0;
        this.lengthBytes = 0;
        continue;
      }
      // Remaining Length: up to four bytes, seven bits each, least significant first.
      this.length += (byte & 0x7f) * 128 ** this.lengthBytes;
      this.lengthBytes++;
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return 'malformed remaining length';
        continue;
      }
      const packetBytes = 1 + this.lengthBytes + this.length;
      if (packetBytes > this.maxPacketBytes) {
        return `packet of ${packetBytes} bytes exceeds the limit of ${this.maxPacketBytes}`;
      }
      this.bodyLeft = this.length;
      this.stage = this.length === 0 ? 'type' : 'body';
    }
    return null;
  }
}

/**
 * Wraps a socket in a stream that aedes can handle, passing bytes through while a
 * `PacketSizeMeter` watches them. Backpressure is kept: the socket pauses while aedes is not reading.
 */
export function guardPacketSize(
  socket: Socket,
  maxPacketBytes: number,
  onViolation: (reason: string) => void,
): Duplex {
  const meter = new PacketSizeMeter(maxPacketBytes);
  const guarded = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (socket.destroyed) return callback();
      socket.write(chunk, (err) => callback(err ?? null));
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(err, callback) {
      socket.destroy();
      callback(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    const violation = meter.feed(chunk);
    if (violation) {
      onViolation(violation);
      guarded.destroy();
      return;
    }
    if (!guarded.push(chunk)) socket.pause();
  });
  socket.on('end', () => guarded.push(null));
  socket.on('error', (err) => guarded.destroy(err));
  socket.on('close', () => guarded.destroy());
  return guarded;
}
