// The baseline the hub is measured against, in its own process like the hub: a bare aedes with
// TCP_NODELAY (as ARCHITECTURE.md measured it) and, in `echo` and `startup` modes, a bare fastify.
// No authentication, no ACL, no database. Plain JavaScript, so nothing compiles at start.
//   broker   aedes only (fleet load)
//   echo     aedes + fastify: an utterance on homepay/speaker/<id>/utterance becomes an SSE event
//            at once, POST /api/intents/<id>/approve answers at once (voice latency floor)
//   startup  aedes + fastify listening (start-to-ready floor)
// Prints one JSON line {"mqttPort", "httpPort"?} when ready.
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const mode = process.argv[2] ?? 'broker';
const aedes = await Aedes.createBroker({ drainTimeout: 5000 });
const broker = createServer({ noDelay: true }, aedes.handle);
await new Promise((resolve) => broker.listen(0, '127.0.0.1', resolve));
const ready = { mqttPort: broker.address().port };

let http;
if (mode !== 'broker') {
  const { default: Fastify } = await import('fastify');
  http = Fastify();
  http.get('/health', async () => ({ status: 'ok' }));
  if (mode === 'echo') {
    const streams = new Set();
    http.get('/api/events', (request, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      reply.raw.write(': connected\n\n');
      streams.add(reply.raw);
      reply.raw.on('close', () => streams.delete(reply.raw));
    });
    http.post('/api/intents/:id/approve', async (request) => ({ id: request.params.id, status: 'succeeded' }));
    aedes.on('publish', (packet, client) => {
      if (!client || !packet.topic.endsWith('/utterance')) return;
      const deviceId = packet.topic.split('/')[2];
      const data = JSON.stringify({ id: `pi_${deviceId}`, status: 'requires_approval', source: { kind: 'voice', deviceId } });
      for (const stream of streams) stream.write(`event: approval_needed\ndata: ${data}\n\n`);
    });
  }
  await http.listen({ host: '127.0.0.1', port: 0 });
  ready.httpPort = http.server.address().port;
}
process.stdout.write(`${JSON.stringify(ready)}\n`);

const stop = () => {
  aedes.close(() => broker.close(() => (http ? http.close().then(() => process.exit(0)) : process.exit(0))));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
