import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { PushChannel, PushNotification } from '../../src/confirm/push/channel.js';
import { PushNotifier } from '../../src/confirm/push/notifier.js';
import { NtfyChannel } from '../../src/confirm/push/ntfy.js';
import { SseChannel } from '../../src/confirm/push/sse.js';
import { EventBus } from '../../src/events.js';
import { createLogger } from '../../src/logger.js';
import {
  type EventStream,
  notificationFor,
  openEventStream,
  type PushHarness,
  pushChannelContract,
  realisticIntent,
} from '../contracts/push-channel.js';
import { eventually } from '../helpers/mqtt.js';

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

function shut(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** RFC 2047 encoded words (`=?UTF-8?B?...?=`, `Q` too), as ntfy decodes its Title header. */
function decodeEncodedWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(
      /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g,
      (_word, charset: string, encoding: string, text: string) => {
        const bytes =
          encoding.toUpperCase() === 'B'
            ? Buffer.from(text, 'base64')
            : Buffer.from(
                text
                  .replace(/_/g, ' ')
                  .replace(/=([0-9A-Fa-f]{2})/g, (_hex, hex: string) =>
                    String.fromCharCode(Number.parseInt(hex, 16)),
                  ),
                'latin1',
              );
        return new TextDecoder(charset, { fatal: true }).decode(bytes);
      },
    );
}

interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/** A stand-in ntfy server on a free port: records every request and answers `status`. */
async function startNtfyServer() {
  const requests: RecordedRequest[] = [];
  let status = 200;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        rawHeaders: request.rawHeaders,
        body: Buffer.concat(chunks),
      });
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(
        status === 200
          ? JSON.stringify({ id: 'hQ3kXo9v', event: 'message', topic: request.url?.slice(1) })
          : JSON.stringify({ code: 50001, http: status, error: 'internal server error' }),
      );
    });
  });
  const url = await listen(server);
  return {
    url,
    requests,
    answer(code: number) {
      status = code;
    },
    close: () => shut(server),
  };
}

function asNtfyPush(request: RecordedRequest) {
  const title = request.headers.title;
  return {
    title: typeof title === 'string' ? decodeEncodedWords(title) : undefined,
    body: request.body.toString('utf8'),
    url: request.headers.click as string | undefined,
  };
}

pushChannelContract('NtfyChannel', async (): Promise<PushHarness> => {
  const ntfy = await startNtfyServer();
  const channel = new NtfyChannel({ url: ntfy.url, topic: 'homepay_contract' });
  return {
    channel,
    received: async () => ntfy.requests.map(asNtfyPush),
    raw: async () =>
      ntfy.requests
        .map((request) => {
          const headers: string[] = [];
          for (let i = 0; i < request.rawHeaders.length; i += 2) {
            headers.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
          }
          const title =
            typeof request.headers.title === 'string' ? decodeEncodedWords(request.headers.title) : '';
          return `${request.method} ${request.path}\n${headers.join('\n')}\n(title) ${title}\n\n${request.body.toString('utf8')}`;
        })
        .join('\n\n'),
    failReceiver: () => ntfy.answer(500),
    close: () => ntfy.close(),
  };
});

pushChannelContract('SseChannel', async (): Promise<PushHarness> => {
  const channel = new SseChannel();
  const responses: ServerResponse[] = [];
  const server = createServer((_request, response) => {
    responses.push(response);
    channel.attach(response);
  });
  const url = await listen(server);
  const stream = await openEventStream(`${url}/api/events`);
  return {
    channel,
    received: async () =>
      stream.events.map((event) => ({ kind: event.event, data: JSON.parse(event.data) as unknown })),
    raw: async () => stream.text(),
    // The phone's connection resets: the server's socket is gone while the stream is still listed.
    // A phone that simply leaves closes its stream (no failure: nobody to tell). A failure is a
    // stream still open whose write errors, as on a connection reset mid-write.
    failReceiver: () => {
      for (const response of responses) {
        response.write = ((_chunk: unknown, callback?: (err?: Error) => void) => {
          callback?.(new Error('connection reset'));
          return false;
        }) as typeof response.write;
      }
    },
    close: async () => {
      stream.close();
      channel.close();
      await shut(server);
    },
  };
});

describe('the ntfy channel on the wire', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function ntfyServer() {
    const ntfy = await startNtfyServer();
    cleanups.push(ntfy.close);
    return ntfy;
  }

  it('posts the body as UTF-8 text to /<topic>, with the approval link in Click and a high-priority moneybag tag', async () => {
    const ntfy = await ntfyServer();
    const sent = notificationFor(realisticIntent(), null);
    await new NtfyChannel({ url: ntfy.url, topic: 'homepay_family' }).send(sent);

    expect(ntfy.requests).toHaveLength(1);
    const [request] = ntfy.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/homepay_family');
    expect(request?.headers.click).toBe(sent.url);
    expect(request?.headers.click).toMatch(/\/approve\/pi_/);
    expect(request?.headers.tags).toBe('moneybag');
    expect(request?.headers.priority).toBe('high');
    expect(request?.headers['content-type']).toMatch(/charset=utf-8/i);
    expect(request?.body.toString('utf8')).toBe(sent.body);
  });

  it('sends the title as one ASCII RFC 2047 encoded word that decodes to the Chinese title', async () => {
    const ntfy = await ntfyServer();
    const sent = notificationFor(realisticIntent({ payee: { id: 'hema', name: '盒马鲜生' } }), null);
    await new NtfyChannel({ url: ntfy.url, topic: 'homepay_family' }).send(sent);

    const title = ntfy.requests[0]?.headers.title as string;
    expect(title).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/]+=*\?=$/);
    expect(decodeEncodedWords(title)).toBe('Approve ¥38.70 to 盒马鲜生?');
  });

  it('tags an ended intent with a check mark at default priority', async () => {
    const ntfy = await ntfyServer();
    const sent = notificationFor(realisticIntent({ status: 'succeeded' }), 'processing');
    await new NtfyChannel({ url: ntfy.url, topic: 'homepay_family' }).send(sent);

    expect(ntfy.requests[0]?.headers.tags).toBe('white_check_mark');
    expect(ntfy.requests[0]?.headers.priority).toBe('default');
    expect(asNtfyPush(ntfy.requests[0] as RecordedRequest).title).toBe('¥38.70 to 小米商城: succeeded');
  });

  it('keeps a self-hosted path prefix, drops a trailing slash, and escapes the topic', async () => {
    const ntfy = await ntfyServer();
    await new NtfyChannel({ url: `${ntfy.url}/ntfy/`, topic: 'home pay/家' }).send(
      notificationFor(realisticIntent(), null),
    );
    expect(ntfy.requests[0]?.path).toBe(`/ntfy/${encodeURIComponent('home pay/家')}`);
  });

  it('rejects with the status when the ntfy server answers HTTP 500', async () => {
    const ntfy = await ntfyServer();
    ntfy.answer(500);
    await expect(
      new NtfyChannel({ url: ntfy.url, topic: 'homepay_family' }).send(
        notificationFor(realisticIntent(), null),
      ),
    ).rejects.toThrow(/HTTP 500/);
    expect(ntfy.requests).toHaveLength(1);
  });

  it('rejects promptly when nothing listens at the ntfy address', async () => {
    const ntfy = await startNtfyServer();
    await ntfy.close();
    const started = Date.now();
    await expect(
      new NtfyChannel({ url: ntfy.url, topic: 'homepay_family' }).send(
        notificationFor(realisticIntent(), null),
      ),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('lets the notifier log a failing ntfy server as "push failed" while the other channels still deliver', async () => {
    const ntfy = await ntfyServer();
    ntfy.answer(500);
    const logs: Array<Record<string, unknown>> = [];
    const logger = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _encoding, callback) {
          for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line));
          callback();
        },
      }),
    });
    const delivered: PushNotification[] = [];
    const other: PushChannel = {
      name: 'other',
      async send(notification) {
        delivered.push(notification);
      },
    };
    const events = new EventBus(logger);
    const notifier = new PushNotifier(
      [new NtfyChannel({ url: ntfy.url, topic: 'homepay_family' }), other],
      events,
      logger,
      () => 'https://homepay.example.cn',
    );
    notifier.start();
    const intent = realisticIntent();
    events.emit('intent.changed', { intent, from: null });
    await eventually(() => logs.some((line) => line.msg === 'push failed'));
    notifier.stop();

    expect(delivered.map((n) => n.intentId)).toEqual([intent.id]);
    expect(logs.find((line) => line.msg === 'push failed')).toMatchObject({
      channel: 'ntfy',
      intentId: intent.id,
      err: expect.stringMatching(/HTTP 500/),
    });
  });
});

describe('the SSE channel on the wire', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function sseServer() {
    const channel = new SseChannel();
    const server = createServer((_request, response) => channel.attach(response));
    const url = await listen(server);
    cleanups.push(
      () => shut(server),
      () => channel.close(),
    );
    const connect = async (): Promise<EventStream> => {
      const stream = await openEventStream(url);
      cleanups.push(() => stream.close());
      return stream;
    };
    return { channel, connect };
  }

  it('answers text/event-stream, uncached and unbuffered, and starts with a comment so the client sees it open', async () => {
    const { connect } = await sseServer();
    const stream = await connect();
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers.get('cache-control')).toContain('no-cache');
    expect(stream.headers.get('x-accel-buffering')).toBe('no');
    await eventually(() => stream.text().startsWith(': connected\n\n'));
    expect(stream.events).toEqual([]);
  });

  it('sends each notification as an event named by its kind with the intent JSON, to every open stream', async () => {
    const { channel, connect } = await sseServer();
    const kitchen = await connect();
    const bedroom = await connect();
    await eventually(() => channel.connections === 2);
    const sent = notificationFor(realisticIntent(), null);
    await channel.send(sent);

    for (const stream of [kitchen, bedroom]) {
      const event = await stream.next((e) => e.event === 'approval_needed');
      expect(JSON.parse(event.data)).toEqual(sent.data);
    }
  });

  it('forgets a stream whose client left and keeps sending to the others', async () => {
    const { channel, connect } = await sseServer();
    const leaving = await connect();
    const staying = await connect();
    await eventually(() => channel.connections === 2);
    leaving.close();
    await eventually(() => channel.connections === 1);

    await channel.send(notificationFor(realisticIntent(), null));
    await staying.next((e) => e.event === 'approval_needed');
    expect(leaving.events).toEqual([]);
  });

  it('ends every open stream on close', async () => {
    const { channel, connect } = await sseServer();
    const stream = await connect();
    await eventually(() => channel.connections === 1);
    channel.close();
    await stream.ended;
    expect(channel.connections).toBe(0);
  });
});
