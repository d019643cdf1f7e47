import type { ServerResponse } from 'node:http';
import type { PushChannel, PushNotification } from './channel.js';

/**
 * The open web app's live channel: Server-Sent Events on `GET /api/events`. Each connected phone
 * (or admin page) gets every notification as an `event: <kind>` with the intent JSON as data.
 */
export class SseChannel implements PushChannel {
  readonly name = 'sse';
  private readonly streams = new Set<ServerResponse>();
  private heartbeat: NodeJS.Timeout | undefined;

  /** Takes over a raw HTTP response as an event stream until the client leaves. */
  attach(response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Proxies such as nginx buffer responses unless told not to.
      'x-accel-buffering': 'no',
    });
    response.write(': connected\n\n');
    this.streams.add(response);
    response.on('close', () => this.streams.delete(response));
    if (!this.heartbeat) {
      // A comment line now and then keeps idle connections open through proxies and NAT.
      this.heartbeat = setInterval(() => this.broadcast(': keep-alive\n\n'), 20_000);
      this.heartbeat.unref();
    }
  }

  get connections(): number {
    return this.streams.size;
  }

  async send(notification: PushNotification): Promise<void> {
    this.broadcast(`event: ${notification.kind}\ndata: ${JSON.stringify(notification.data)}\n\n`);
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  private broadcast(chunk: string): void {
    for (const stream of this.streams) stream.write(chunk);
  }
}
