import type { ServerResponse } from 'node:http';
import type { PushChannel, PushNotification } from './channel.js';

/**
 * The open web app's live channel: Server-Sent Events on `GET /api/events`. Each connected phone
 * (or admin page) gets every notification as an `event: <kind>` with the intent JSON as data.
 */
export class SseChannel implements PushChannel {
  readonly name = 'sse';
  /** Open streams, each with who opened it (e.g. `phone:ph_...`), so a revoked phone can be cut off. */
  private readonly streams = new Map<ServerResponse, string | undefined>();
  private heartbeat: NodeJS.Timeout | undefined;

  /** Takes over a raw HTTP response as an event stream until the client leaves. */
  attach(response: ServerResponse, owner?: string): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Proxies such as nginx buffer responses unless told not to.
      'x-accel-buffering': 'no',
    });
    response.write(': connected\n\n');
    this.streams.set(response, owner);
    response.on('close', () => this.streams.delete(response));
    // A reset connection must not become an uncaught error; the stream is simply dropped.
    response.on('error', () => this.streams.delete(response));
    if (!this.heartbeat) {
      // A comment line now and then keeps idle connections open through proxies and NAT.
      this.heartbeat = setInterval(() => void this.broadcast(': keep-alive\n\n'), 20_000);
      this.heartbeat.unref();
    }
  }

  get connections(): number {
    return this.streams.size;
  }

  /** Delivers to every open stream; rejects when any of them could not take it (it is dropped). */
  async send(notification: PushNotification): Promise<void> {
    const failed = await this.broadcast(
      `event: ${notification.kind}\ndata: ${JSON.stringify(notification.data)}\n\n`,
    );
    if (failed > 0) throw new Error(`${failed} event stream(s) were gone`);
  }

  /** Ends the streams a principal opened, e.g. when a phone is revoked. */
  disconnect(owner: string): void {
    for (const [stream, streamOwner] of this.streams) {
      if (streamOwner !== owner) continue;
      this.streams.delete(stream);
      stream.end();
    }
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const stream of this.streams.keys()) stream.end();
    this.streams.clear();
  }

  /** Writes to every stream; returns how many were gone (and drops them). */
  private async broadcast(chunk: string): Promise<number> {
    const writes = [...this.streams.keys()].map(
      (stream) =>
        new Promise<boolean>((resolve) => {
          if (stream.destroyed || stream.writableEnded) return resolve(false);
          stream.write(chunk, (err) => resolve(!err));
        }),
    );
    const results = await Promise.all(writes);
    const streams = [...this.streams.keys()];
    results.forEach((ok, i) => {
      if (!ok) this.streams.delete(streams[i] as ServerResponse);
    });
    return results.filter((ok) => !ok).length;
  }
}
