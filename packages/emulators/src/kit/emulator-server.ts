import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAdminRoutes, type EmulatorAdmin } from './admin-routes.ts';
import { createClock, type Clock } from './clock.ts';
import { EmulatorHttpError } from './emulator-http-error.ts';
import { createEmulatorRequest, EmulatorRequestError } from './emulator-request.ts';
import type { FaultConfigInput, FaultPreset } from './fault-config.ts';
import { createFaultInjector, type FaultAction, type FaultInjector } from './fault-injector.ts';
import { createRequestLog, type RequestLog, type RequestLogEntry } from './request-log.ts';
import { createRng, type Rng } from './rng.ts';
import { createRouter, type EmulatorRequest, type EmulatorResponse, type Route } from './router.ts';
import type { WebhookDelivery } from './webhook-dispatcher.ts';

/** Wraps every vendor route (not `/_emulator/*`): auth, rate limits, idempotency replay… */
export type Middleware = (
  req: EmulatorRequest,
  next: () => Promise<EmulatorResponse>,
) => EmulatorResponse | Promise<EmulatorResponse>;

/** A failure the kit itself answers (no route, bad body, a handler's unexpected exception). */
export interface EmulatorErrorInfo {
  status: number;
  code:
    'route_not_found' | 'method_not_allowed' | 'invalid_json' | 'body_too_large' | 'internal_error';
  message: string;
  /** The thrown value, for `internal_error`. */
  cause?: unknown;
}

/** The kind of an injected fault, as passed to `faultResponse`. */
export type FaultResponseKind = 'server_error' | 'rate_limited' | 'outage';

/** Options for {@link createEmulatorServer}. */
export interface EmulatorServerOptions {
  /** Short name, e.g. `stripe` (health, state, logs). */
  name: string;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  routes: readonly Route[];
  /** Run in order around every vendor route's handler, after routing. */
  middleware?: readonly Middleware[];
  clock?: Clock;
  /** Default: `createRng(name)`. */
  rng?: Rng;
  /** An injector shared with a webhook dispatcher, or a config/preset to build one from `rng.fork('faults')`. */
  faults?: FaultInjector | FaultConfigInput | FaultPreset;
  admin?: EmulatorAdmin;
  /** Shown in `/_emulator/state`, cleared on reset, stopped on close. */
  webhooks?: { deliveries(): WebhookDelivery[]; clear(): void; stop(): Promise<void> };
  /** Vendor-shaped answer for kit-level failures. Default `{error:{code,message}}`. */
  formatError?: (error: EmulatorErrorInfo, req: EmulatorRequest | undefined) => EmulatorResponse;
  /** Vendor-shaped answer for injected faults; the kit adds `Retry-After` if absent. */
  faultResponse?: (
    kind: FaultResponseKind,
    status: number,
    retryAfterSeconds?: number,
  ) => EmulatorResponse;
  /** Entries kept by `GET /_emulator/requests` (default 500). */
  requestLogSize?: number;
  /** Larger bodies get 413 (default 10 MiB). */
  bodyLimitBytes?: number;
}

/** The parts of a running emulator that tests and the emulator itself reach for. */
export interface EmulatorApp {
  name: string;
  server: Server;
  clock: Clock;
  rng: Rng;
  faults: FaultInjector;
  requests: RequestLog;
}

/** A listening emulator. */
export interface EmulatorServer {
  /** `http://host:port`, no trailing slash. */
  url: string;
  port: number;
  /** Stops listening, releases held requests (their sockets are destroyed), stops webhooks. */
  close(): Promise<void>;
  app: EmulatorApp;
}

const defaultFormatError = (e: EmulatorErrorInfo): EmulatorResponse => ({
  status: e.status,
  body: { error: { code: e.code, message: e.message } },
});

const FAULT_KIND: Record<FaultAction['kind'], FaultResponseKind | undefined> = {
  error: 'server_error',
  rate_limited: 'rate_limited',
  outage: 'outage',
  hang: undefined,
};

const defaultFaultResponse = (
  kind: FaultResponseKind,
  status: number,
  retryAfterSeconds?: number,
): EmulatorResponse => ({
  status,
  body: {
    error: {
      code: kind,
      message: `injected fault: ${kind}${retryAfterSeconds !== undefined ? `, retry after ${retryAfterSeconds}s` : ''}`,
    },
  },
});

function isFaultInjector(f: unknown): f is FaultInjector {
  return typeof f === 'object' && f !== null && typeof (f as FaultInjector).decide === 'function';
}

function readBody(message: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    message.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    message.on('end', () =>
      size > limit
        ? reject(new EmulatorRequestError(413, 'body_too_large', `body over ${limit} bytes`))
        : resolve(Buffer.concat(chunks)),
    );
    message.on('error', reject);
    message.on('close', () => {
      if (!message.complete) reject(new Error('client closed the request'));
    });
  });
}

function writeResponse(res: ServerResponse, r: EmulatorResponse, method: string): void {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
  let payload: Buffer | undefined;
  if (r.body !== undefined && r.status !== 204 && r.status !== 304) {
    if (Buffer.isBuffer(r.body)) {
      payload = r.body;
      headers['content-type'] ??= 'application/octet-stream';
    } else if (typeof r.body === 'string') {
      payload = Buffer.from(r.body, 'utf8');
      headers['content-type'] ??= 'text/plain; charset=utf-8';
    } else {
      payload = Buffer.from(JSON.stringify(r.body), 'utf8');
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
  }
  headers['content-length'] = String(payload?.length ?? 0);
  res.writeHead(r.status, headers);
  res.end(method === 'HEAD' ? undefined : payload);
}

function idempotencyKey(message: IncomingMessage): string | undefined {
  for (const [name, value] of Object.entries(message.headers)) {
    if (name.endsWith('idempotency-key') && typeof value === 'string') return value;
  }
  return undefined;
}

/**
 * Starts an emulator: a `node:http` server with the vendor's routes, the `/_emulator/*` admin
 * routes, seeded fault injection and a request log.
 *
 * A vendor request flows: fault decision (latency, then 429 burst / 5xx / outage / hang) →
 * routing (404/405 through `formatError`) → middleware → handler. A thrown `EmulatorHttpError`
 * is answered as is; anything else becomes a 500 through `formatError`.
 */
export async function createEmulatorServer(
  options: EmulatorServerOptions,
): Promise<EmulatorServer> {
  const { name } = options;
  const clock = options.clock ?? createClock();
  const rng = options.rng ?? createRng(name);
  const faults = isFaultInjector(options.faults)
    ? options.faults
    : createFaultInjector({ rng: rng.fork('faults'), clock, config: options.faults ?? 'none' });
  const requests = createRequestLog(options.requestLogSize);
  const formatError = options.formatError ?? defaultFormatError;
  const faultResponse = options.faultResponse ?? defaultFaultResponse;
  const middleware = options.middleware ?? [];
  const bodyLimit = options.bodyLimitBytes ?? 10 * 1024 * 1024;
  const closing = new AbortController();

  const vendorRouter = createRouter(
    options.routes.filter((r) => !r.path.startsWith('/_emulator/')),
  );
  const adminRouter = createRouter([
    ...createAdminRoutes({
      name,
      clock,
      faults,
      requests,
      admin: options.admin ?? {},
      ...(options.webhooks && { webhooks: options.webhooks }),
      startedAt: Date.now(),
    }),
    ...options.routes.filter((r) => r.path.startsWith('/_emulator/')),
  ]);

  /** Runs a matched route; every outcome becomes a response. */
  const dispatch = async (req: EmulatorRequest, isAdmin: boolean): Promise<EmulatorResponse> => {
    const match = (isAdmin ? adminRouter : vendorRouter).match(req.method, req.path);
    if (match.kind === 'not_found') {
      const message = `no route for ${req.method} ${req.path}`;
      return formatError({ status: 404, code: 'route_not_found', message }, req);
    }
    if (match.kind === 'method_not_allowed') {
      const message = `${req.method} not allowed on ${req.path}`;
      const r = formatError({ status: 405, code: 'method_not_allowed', message }, req);
      return { ...r, headers: { allow: match.allow.join(', '), ...r.headers } };
    }
    req.params = match.params;
    req.route = match.route.path;
    const chain = isAdmin ? [] : middleware;
    const run = async (i: number): Promise<EmulatorResponse> =>
      i < chain.length ? (chain[i] as Middleware)(req, () => run(i + 1)) : match.route.handler(req);
    try {
      return await run(0);
    } catch (err) {
      if (err instanceof EmulatorHttpError) {
        return { status: err.status, headers: err.headers, body: err.body };
      }
      if (err instanceof EmulatorRequestError) {
        const code = err.code as EmulatorErrorInfo['code'];
        return formatError({ status: err.status, code, message: err.message }, req);
      }
      const message = err instanceof Error ? err.message : String(err);
      return formatError({ status: 500, code: 'internal_error', message, cause: err }, req);
    }
  };

  const handle = async (message: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const at = clock.now();
    const path = new URL(message.url ?? '/', 'http://emulator.invalid').pathname;
    const method = (message.method ?? 'GET').toUpperCase();
    const isAdmin = path.startsWith('/_emulator/');
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    const signal = AbortSignal.any([closing.signal, gone.signal]);
    const key = idempotencyKey(message);
    const log = (status: number | null, fault?: FaultAction['kind']): void => {
      if (isAdmin) return;
      const latencyMs = Math.round(performance.now() - started);
      const entry: RequestLogEntry = { at, method, path, status, latencyMs };
      if (key !== undefined) entry.idempotencyKey = key;
      if (fault !== undefined) entry.fault = fault;
      requests.add(entry);
    };
    const drop = (fault?: FaultAction['kind']): void => {
      message.socket.destroy();
      log(null, fault);
    };

    let rawBody: Buffer;
    try {
      rawBody = await readBody(message, bodyLimit);
    } catch (err) {
      if (!(err instanceof EmulatorRequestError)) return drop(); // the client went away
      const code = 'body_too_large';
      writeResponse(
        res,
        formatError({ status: 413, code, message: err.message }, undefined),
        method,
      );
      return log(413);
    }

    const decision = isAdmin ? { latencyMs: 0 } : faults.decide(method, path);
    const action = decision.action;
    try {
      if (decision.latencyMs > 0) await sleep(decision.latencyMs, undefined, { signal });
      if (action?.kind === 'hang') {
        if (action.ms !== undefined) await sleep(action.ms, undefined, { signal });
        else if (!signal.aborted) {
          await new Promise((_, reject) => signal.addEventListener('abort', reject));
        } else throw signal.reason;
      }
    } catch {
      return drop(action?.kind); // closed, or the client gave up
    }

    if (action?.kind === 'outage' && action.mode === 'reset') return drop(action.kind);
    const kind = action ? FAULT_KIND[action.kind] : undefined;
    if (action && kind && action.kind !== 'hang') {
      const retryAfter = action.kind === 'error' ? undefined : action.retryAfterSeconds;
      const r = faultResponse(kind, action.status, retryAfter);
      const headers = { ...r.headers };
      const hasRetryAfter = Object.keys(headers).some((h) => h.toLowerCase() === 'retry-after');
      if (retryAfter !== undefined && !hasRetryAfter) headers['retry-after'] = String(retryAfter);
      writeResponse(res, { ...r, headers }, method);
      return log(r.status, action.kind);
    }

    const req = createEmulatorRequest(message, rawBody);
    const r = await dispatch(req, isAdmin);
    if (res.destroyed) return log(null, action?.kind);
    writeResponse(res, r, method);
    log(r.status, action?.kind);
  };

  const server = createServer((message, res) => {
    handle(message, res).catch((err: unknown) => {
      // Only a bug in the kit or in formatError gets here.
      if (!res.headersSent) {
        writeResponse(
          res,
          { status: 500, body: { error: { code: 'internal_error', message: String(err) } } },
          'GET',
        );
      } else {
        res.destroy();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    app: { name, server, clock, rng, faults, requests },
    close() {
      closed ??= (async () => {
        closing.abort();
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await Promise.all([done, options.webhooks?.stop()]);
      })();
      return closed;
    },
  };
}
