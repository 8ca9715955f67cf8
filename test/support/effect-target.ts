import { createServer, type Server } from 'node:http';

/** One effect as the target saw it. */
export interface AppliedEffect {
  key: string;
  worker: string;
  entityKey: string;
  seq: number;
  body: Record<string, unknown>;
}

/**
 * A counting, idempotent stand-in for an external system, served over HTTP so it outlives the
 * worker processes the tests kill. `POST /effects` with `Idempotency-Key` applies an effect once;
 * a repeated key is answered from memory and counted as an idempotent replay. It also records the
 * order in which each entity key's effects were first applied.
 */
export class EffectTarget {
  readonly applied = new Map<string, AppliedEffect>();
  readonly order = new Map<string, number[]>();
  replays = 0;
  /** Delay before answering, so killed workers die with requests in flight. */
  latencyMs = 0;
  requests = 0;
  #server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        this.requests += 1;
        const key = req.headers['idempotency-key'];
        if (req.method !== 'POST' || typeof key !== 'string') {
          res.writeHead(400).end('{"error":"POST with Idempotency-Key"}');
          return;
        }
        const parsed = JSON.parse(body || '{}') as Record<string, unknown>;
        if (this.applied.has(key)) {
          this.replays += 1;
        } else {
          const entityKey = String(parsed.entityKey ?? '');
          const seq = Number(parsed.seq ?? 0);
          const worker = String(req.headers['x-worker'] ?? '');
          this.applied.set(key, { key, worker, entityKey, seq, body: parsed });
          const list = this.order.get(entityKey) ?? [];
          list.push(seq);
          this.order.set(entityKey, list);
        }
        const reply = () =>
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ ok: true, key }));
        if (this.latencyMs > 0) setTimeout(reply, this.latencyMs);
        else reply();
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    const addr = this.#server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}
