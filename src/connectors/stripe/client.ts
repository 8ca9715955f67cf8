import { createHash } from 'node:crypto';
import Stripe from 'stripe';
import type { ReadOptions, WriteOptions } from '../ports.ts';
import type { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import { coerceError } from '../../model/revsync-error.ts';
import { classifyStripeError } from './errors.ts';
import { stripeListPages, walkStripeList } from './list-pages.ts';

/** The few logger methods the connector uses (pino's `Logger` fits). */
export interface StripeLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Options of {@link StripeClient}. */
export interface StripeClientOptions {
  /** Secret or restricted key (`sk_…`, `rk_…`). */
  apiKey: string;
  /** Another API host, e.g. the emulator `http://127.0.0.1:12111`; default Stripe's. */
  baseUrl?: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  connection: OutboundConnection;
  logger?: StripeLogger;
  /** Page size of paged reads (1–100, default 100); smaller only to exercise paging in tests. */
  pageSize?: number;
}

/** Stripe's largest page. */
export const PAGE_LIMIT = 100;

/** Idempotency keys longer than this are refused by Stripe. */
const MAX_KEY_LENGTH = 255;

/**
 * The authenticated Stripe SDK client behind the outbound gateway: every request passes the
 * connection's governor and circuit breaker (one `connection.call` per HTTP request, so a paged
 * read counts each page), carries `traceparent` and, for writes, the step's idempotency key, and
 * fails with a classified revsync error. The SDK's own retries are off (`maxNetworkRetries: 0`):
 * retries belong to the engine, which knows the idempotency keys and backs off.
 */
export class StripeClient {
  /** The SDK instance; use it only inside {@link read} / {@link write}. */
  readonly sdk: Stripe;
  readonly connection: OutboundConnection;
  readonly logger: StripeLogger | undefined;
  readonly pageSize: number;

  constructor(options: StripeClientOptions) {
    this.connection = options.connection;
    this.logger = options.logger;
    this.pageSize = Math.min(PAGE_LIMIT, Math.max(1, options.pageSize ?? PAGE_LIMIT));
    this.sdk = new Stripe(options.apiKey, {
      ...(options.baseUrl !== undefined && hostOf(options.baseUrl)),
      maxNetworkRetries: 0,
      timeout: options.timeoutMs ?? 30_000,
      appInfo: { name: 'revsync' },
    });
  }

  /** A read: `fn` gets the request options (headers) to pass to the SDK method. */
  read<T>(
    operation: string,
    options: ReadOptions | undefined,
    fn: (request: Stripe.RequestOptions) => Promise<T>,
  ): Promise<T> {
    return this.#call(operation, options, fn, {});
  }

  /**
   * A write with Stripe's `Idempotency-Key`: the step's key, plus `:<suffix>` when one port
   * method makes several writes (Stripe binds a key to one endpoint and one set of parameters).
   */
  write<T>(
    operation: string,
    options: WriteOptions,
    fn: (request: Stripe.RequestOptions) => Promise<T>,
    suffix?: string,
  ): Promise<T> {
    const key = idempotencyKey(options.idempotencyKey, suffix);
    return this.#call(operation, options, fn, { idempotencyKey: key });
  }

  /**
   * Every element of a list, paging with `starting_after` (newest first, as Stripe lists),
   * each page its own governed request.
   */
  async listAll<T extends { id: string }>(
    operation: string,
    options: ReadOptions | undefined,
    page: (
      params: { limit: number; starting_after?: string },
      request: Stripe.RequestOptions,
    ) => Promise<{ data: T[]; has_more: boolean }>,
  ): Promise<T[]> {
    return walkStripeList((after) =>
      this.read(operation, options, (request) =>
        page(
          { limit: this.pageSize, ...(after !== undefined && { starting_after: after }) },
          request,
        ),
      ),
    );
  }

  /** The list's pages, paging with `starting_after`, each page its own governed request. */
  async *pages<T extends { id: string }>(
    operation: string,
    options: ReadOptions | undefined,
    page: (
      params: { limit: number; starting_after?: string },
      request: Stripe.RequestOptions,
    ) => Promise<{ data: T[]; has_more: boolean }>,
  ): AsyncGenerator<T[]> {
    yield* stripeListPages((after) =>
      this.read(operation, options, (request) =>
        page(
          { limit: this.pageSize, ...(after !== undefined && { starting_after: after }) },
          request,
        ),
      ),
    );
  }

  async #call<T>(
    operation: string,
    options: ReadOptions | undefined,
    fn: (request: Stripe.RequestOptions) => Promise<T>,
    extra: Stripe.RequestOptions,
  ): Promise<T> {
    const request: Stripe.RequestOptions = {
      ...extra,
      ...(options?.traceparent !== undefined && {
        headers: { traceparent: options.traceparent },
      }),
    };
    return this.connection.call(
      {
        operation: `stripe.${operation}`,
        ...(options?.lane !== undefined && { lane: options.lane }),
        ...(options?.signal !== undefined && { signal: options.signal }),
      },
      async (signal) => {
        try {
          return await abortable(fn(request), signal);
        } catch (caught) {
          const error = classifyStripeError(caught);
          this.logger?.debug(
            { err: error, operation, idempotencyKey: extra.idempotencyKey },
            'stripe call failed',
          );
          throw error;
        }
      },
    );
  }
}

/** SDK host settings from a base URL (`http://127.0.0.1:12111`). */
function hostOf(baseUrl: string): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  const url = new URL(baseUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return {
    host: url.hostname,
    protocol,
    port: url.port === '' ? (protocol === 'http' ? 80 : 443) : Number(url.port),
  };
}

function idempotencyKey(key: string, suffix: string | undefined): string {
  const full = suffix === undefined ? key : `${key}:${suffix}`;
  if (full.length <= MAX_KEY_LENGTH) return full;
  return `revsync-sha256-${createHash('sha256').update(full).digest('hex')}`;
}

/**
 * The SDK takes no AbortSignal: an aborted call stops waiting (the request itself may still
 * complete at Stripe; the idempotency key makes a later retry converge).
 */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(coerceError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(coerceError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
