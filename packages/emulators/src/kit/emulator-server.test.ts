import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createClock } from './clock.ts';
import { createConcurrencyLimiter } from './concurrency-limiter.ts';
import { EmulatorHttpError } from './emulator-http-error.ts';
import {
  createEmulatorServer,
  type EmulatorServer,
  type EmulatorServerOptions,
} from './emulator-server.ts';
import type { FaultConfigInput } from './fault-config.ts';
import type { Route } from './router.ts';

const servers: EmulatorServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const echo: Route = {
  method: '*',
  path: '/v1/*',
  handler: (req) => ({ status: 200, body: { path: req.path, body: req.body ?? null } }),
};

async function start(options: Partial<EmulatorServerOptions> = {}): Promise<EmulatorServer> {
  const server = await createEmulatorServer({ name: 'test', routes: [echo], ...options });
  servers.push(server);
  return server;
}

async function call(
  server: EmulatorServer,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const res = await fetch(server.url + path, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json', ...init.headers },
    ...(init.body !== undefined && {
      body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as unknown) : undefined,
  };
}

describe('createEmulatorServer: requests and errors', () => {
  it('listens on an ephemeral port and parses JSON and form bodies', async () => {
    const server = await start();
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect((await call(server, '/v1/a', { body: { x: [1] } })).body).toEqual({
      path: '/v1/a',
      body: { x: [1] },
    });
    const form = await call(server, '/v1/a', {
      body: 'items[0][price]=p',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.body).toEqual({ path: '/v1/a', body: { items: [{ price: 'p' }] } });
  });

  it('answers EmulatorHttpError as is and anything else through formatError', async () => {
    const server = await start({
      routes: [
        {
          method: 'GET',
          path: '/v1/known',
          handler: () => {
            throw new EmulatorHttpError(404, [{ errorCode: 'NOT_FOUND' }], { 'x-vendor': '1' });
          },
        },
        {
          method: 'GET',
          path: '/v1/boom',
          handler: () => {
            throw new Error('kaboom');
          },
        },
        { method: 'POST', path: '/v1/json', handler: (req) => ({ status: 200, body: req.body }) },
      ],
      formatError: (e) => ({
        status: e.status,
        body: { error: { type: 'api_error', code: e.code, message: e.message } },
      }),
    });
    const known = await call(server, '/v1/known');
    expect(known.status).toBe(404);
    expect(known.body).toEqual([{ errorCode: 'NOT_FOUND' }]);
    expect(known.headers.get('x-vendor')).toBe('1');
    expect(await call(server, '/v1/boom')).toMatchObject({
      status: 500,
      body: { error: { type: 'api_error', code: 'internal_error', message: 'kaboom' } },
    });
    expect(await call(server, '/v1/missing')).toMatchObject({
      status: 404,
      body: { error: { code: 'route_not_found' } },
    });
    const wrong = await call(server, '/v1/json', { method: 'DELETE' });
    expect(wrong).toMatchObject({ status: 405, body: { error: { code: 'method_not_allowed' } } });
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(await call(server, '/v1/json', { body: '{"a":' })).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_json' } },
    });
  });

  it('sends strings, Buffers and empty bodies', async () => {
    const server = await start({
      routes: [
        { method: 'GET', path: '/text', handler: () => ({ status: 200, body: 'hi' }) },
        {
          method: 'GET',
          path: '/bin',
          handler: () => ({ status: 200, body: Buffer.from([1, 2]) }),
        },
        { method: 'DELETE', path: '/gone', handler: () => ({ status: 204 }) },
      ],
    });
    const text = await fetch(`${server.url}/text`);
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await text.text()).toBe('hi');
    const bin = await fetch(`${server.url}/bin`);
    expect(Buffer.from(await bin.arrayBuffer())).toEqual(Buffer.from([1, 2]));
    const gone = await fetch(`${server.url}/gone`, { method: 'DELETE' });
    expect(gone.status).toBe(204);
  });

  it('refuses bodies over the limit with 413', async () => {
    const server = await start({ bodyLimitBytes: 10 });
    expect(await call(server, '/v1/a', { body: 'x'.repeat(100) })).toMatchObject({
      status: 413,
      body: { error: { code: 'body_too_large' } },
    });
  });

  it('runs middleware around vendor routes only', async () => {
    const pool = createConcurrencyLimiter({ max: 1 });
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    const server = await start({
      routes: [
        {
          method: 'GET',
          path: '/slow',
          handler: async () => {
            entered();
            await blocked;
            return { status: 200, body: { ok: true } };
          },
        },
        echo,
      ],
      middleware: [
        (req, next) => {
          if (req.headers.authorization !== 'Bearer good') {
            throw new EmulatorHttpError(401, { error: 'INVALID_SESSION_ID' });
          }
          return next();
        },
        async (_req, next) => {
          const done = pool.tryAcquire('acct');
          if (!done) throw new EmulatorHttpError(429, { error: 'CONCURRENCY' });
          try {
            return await next();
          } finally {
            done();
          }
        },
      ],
    });
    const auth = { authorization: 'Bearer good' };
    expect((await call(server, '/v1/a')).status).toBe(401);
    expect((await call(server, '/_emulator/health')).status).toBe(200);
    const slow = call(server, '/slow', { headers: auth });
    await inHandler;
    expect(await call(server, '/v1/a', { headers: auth })).toMatchObject({
      status: 429,
      body: { error: 'CONCURRENCY' },
    });
    release();
    expect((await slow).status).toBe(200);
    expect((await call(server, '/v1/a', { headers: auth })).status).toBe(200);
  });
});

describe('createEmulatorServer: injected faults', () => {
  it('is replayable: the same seed gives the same statuses', async () => {
    const faults: FaultConfigInput = { rules: [{ error: { p: 0.3, statuses: [500, 503] } }] };
    const run = async (seed: string) => {
      const server = await start({ faults, rng: (await import('./rng.ts')).createRng(seed) });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await call(server, '/v1/a')).status);
      return statuses;
    };
    const a = await run('s1');
    expect(a).toEqual(await run('s1'));
    expect(a).toContain(500);
    expect(a).toContain(200);
  });

  it('answers a 429 burst with Retry-After through the vendor faultResponse', async () => {
    const server = await start({
      faults: {
        rules: [{ match: 'POST /v1/*', rateLimitBurst: { p: 1, length: 2, retryAfterSeconds: 3 } }],
      },
      faultResponse: (kind, status) => ({
        status,
        body: { error: { type: kind === 'rate_limited' ? 'rate_limit_error' : 'api_error' } },
      }),
    });
    const res = await call(server, '/v1/a', { body: {}, headers: { 'idempotency-key': 'k1' } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(res.body).toEqual({ error: { type: 'rate_limit_error' } });
    expect((await call(server, '/v1/a')).status).toBe(200); // GET is not matched
    const log = await call(server, '/_emulator/requests');
    expect(log.body).toMatchObject({
      data: [
        { method: 'POST', path: '/v1/a', status: 429, idempotencyKey: 'k1', fault: 'rate_limited' },
        { method: 'GET', status: 200 },
      ],
    });
  });

  it('answers 503 during an outage window, and resets connections in reset mode', async () => {
    const clock = createClock({ start: 1_000_000, frozen: true });
    const server = await start({
      clock,
      faults: { rules: [{ match: '/v1/*', outage: { forMs: 60_000 } }] },
    });
    const down = await call(server, '/v1/a');
    expect(down).toMatchObject({ status: 503, body: { error: { code: 'outage' } } });
    expect(down.headers.get('retry-after')).toBe('60');
    expect((await call(server, '/_emulator/health')).status).toBe(200);
    await call(server, '/_emulator/clock/advance', { body: { seconds: 60 } });
    expect((await call(server, '/v1/a')).status).toBe(200);

    await call(server, '/_emulator/faults', {
      method: 'PUT',
      body: { rules: [{ outage: { forMs: 1000, mode: 'reset' } }] },
    });
    await expect(fetch(`${server.url}/v1/a`)).rejects.toThrow();
    const log = (await call(server, '/_emulator/requests?limit=1')).body as { data: unknown[] };
    expect(log.data).toEqual([expect.objectContaining({ status: null, fault: 'outage' })]);
  });

  it('holds a request for hang.ms, then handles it', async () => {
    const server = await start({ faults: { rules: [{ hang: { p: 1, ms: 30 } }] } });
    expect((await call(server, '/v1/a')).status).toBe(200);
    const log = (await call(server, '/_emulator/requests')).body as {
      data: { latencyMs: number }[];
    };
    expect(log.data[0]?.latencyMs).toBeGreaterThanOrEqual(25);
  });

  it('holds a request forever until close, then drops it', async () => {
    const server = await createEmulatorServer({
      name: 'hang',
      routes: [echo],
      faults: { rules: [{ hang: { p: 1 } }] },
    });
    const arrived = once(server.app.server, 'request');
    const pending = fetch(`${server.url}/v1/a`);
    await arrived;
    await server.close();
    await expect(pending).rejects.toThrow();
    // Dropped unanswered (marked `fault: 'hang'` unless close beat the body read).
    expect(server.app.requests.list()).toEqual([expect.objectContaining({ status: null })]);
  });
});

describe('createEmulatorServer: admin routes', () => {
  it('reads and changes faults, with clear errors', async () => {
    const server = await start();
    expect((await call(server, '/_emulator/faults')).body).toEqual({
      rules: [],
      webhooks: { duplicate: 0 },
    });
    const bad = await call(server, '/_emulator/faults', {
      method: 'PUT',
      body: { rules: [{ eror: {} }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      error: {
        code: 'invalid_fault_config',
        details: [{ path: 'rules.0', message: expect.stringContaining('eror') }],
      },
    });
    await call(server, '/_emulator/faults', { method: 'PUT', body: { preset: 'heavy' } });
    expect(server.app.faults.config().webhooks.duplicate).toBe(0.1);
    const patched = await call(server, '/_emulator/faults', {
      method: 'PATCH',
      body: { rules: [] },
    });
    expect(patched.body).toMatchObject({ rules: [], webhooks: { duplicate: 0.1 } });
  });

  it('shows and advances the clock', async () => {
    const clock = createClock({ start: Date.UTC(2030, 0, 1), frozen: true });
    const server = await start({ clock });
    expect((await call(server, '/_emulator/clock')).body).toMatchObject({
      iso: '2030-01-01T00:00:00.000Z',
      frozen: true,
    });
    const advanced = await call(server, '/_emulator/clock/advance', { body: { ms: 86_400_000 } });
    expect(advanced.body).toMatchObject({ iso: '2030-01-02T00:00:00.000Z' });
    await call(server, '/_emulator/clock/set', { body: { ms: Date.UTC(2031, 0, 1) } });
    expect(clock.now()).toBe(Date.UTC(2031, 0, 1));
    expect((await call(server, '/_emulator/clock/advance', { body: { ms: -5 } })).status).toBe(400);
  });

  it('dumps state, resets through the emulator hook, and mounts the emulator’s own admin routes', async () => {
    let customers = ['cus_1'];
    let resetWith: unknown;
    const server = await start({
      routes: [
        echo,
        {
          method: 'POST',
          path: '/_emulator/custom',
          handler: () => ({ status: 200, body: { custom: true } }),
        },
      ],
      admin: {
        dumpState: () => ({ customers }),
        reset: (body) => {
          resetWith = body;
          customers = [];
        },
      },
      faults: { rules: [{ error: { p: 1 } }] },
    });
    expect((await call(server, '/_emulator/custom', { body: {} })).body).toEqual({ custom: true });
    expect((await call(server, '/v1/a')).status).toBeGreaterThanOrEqual(500);
    expect((await call(server, '/_emulator/state')).body).toMatchObject({
      name: 'test',
      state: { customers: ['cus_1'] },
    });
    expect((await call(server, '/_emulator/reset', { body: { seed: 5 } })).status).toBe(200);
    expect(resetWith).toEqual({ seed: 5 });
    expect((await call(server, '/_emulator/state')).body).toMatchObject({
      state: { customers: [] },
    });
    expect((await call(server, '/_emulator/requests')).body).toEqual({ data: [] });
  });
});
