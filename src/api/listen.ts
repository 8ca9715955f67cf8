import type { FastifyInstance } from 'fastify';

/** Where the API listens: revsync's default is `127.0.0.1:4000`. */
export interface ListenOptions {
  host?: string;
  port?: number;
}

/** Starts listening and resolves with the base URL (port 0 picks a free port). */
export async function listen(app: FastifyInstance, options: ListenOptions = {}): Promise<string> {
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 4000 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
