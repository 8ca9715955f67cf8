/**
 * The ceiling for accepted webhooks/s: a bare Fastify server that answers every POST
 * `/webhooks/:system` with 200 after reading the raw body, nothing else. Run in a process of its
 * own by bench/load/run.ts; prints its URL on stdout.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.post('/webhooks/:system', async () => ({ received: true }));
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${url}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
