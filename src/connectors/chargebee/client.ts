import { createHash } from 'node:crypto';
import Chargebee from 'chargebee';
import type { ReadOptions, WriteOptions } from '../ports.ts';
import type { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import { coerceError } from '../../model/revsync-error.ts';
import { classifyChargebeeError } from './errors.ts';

/** The few logger methods the connector uses (pino's `Logger` fits). */
export interface ChargebeeLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Options of {@link ChargebeeClient}. */
export interface ChargebeeClientOptions {
  apiKey: string;
  /** The site name (`acme-test`); ignored when `baseUrl` is given. */
  site?: string;
  /** Another API host, e.g. the emulator `http://127.0.0.1:12115`. */
  baseUrl?: string;
  timeoutMs?: number;
  connection: OutboundConnection;
  logger?: ChargebeeLogger;
  /** Page size of paged reads (1–100, default 100). */
  pageSize?: number;
}

/** Chargebee's largest page. */
export const PAGE_LIMIT = 100;

/** Chargebee refuses longer idempotency keys. */
const MAX_KEY_LENGTH = 100;

/** Request headers the SDK methods take. */
export type ChargebeeHeaders = Record<string, string>;

/** A list page as the SDK returns it. */
export interface ChargebeeListPage<T> {
  list: T[];
  next_offset?: string;
}

/**
 * The `chargebee` SDK behind the outbound gateway: one `connection.call` (governor, circuit
 * breaker) per HTTP request, `traceparent` on every call, the step's idempotency key as
 * `chargebee-idempotency-key` on every write, failures classified. The SDK's own retries stay
 * off: retries belong to the engine, which keeps the idempotency keys and backs off.
 */
export class ChargebeeClient {
  readonly sdk: Chargebee;
  readonly connection: OutboundConnection;
  readonly logger: ChargebeeLogger | undefined;
  readonly pageSize: number;

  constructor(options: ChargebeeClientOptions) {
    this.connection = options.connection;
    this.logger = options.logger;
    this.pageSize = Math.min(PAGE_LIMIT, Math.max(1, options.pageSize ?? PAGE_LIMIT));
    this.sdk = new Chargebee({
      apiKey: options.apiKey,
      ...siteOf(options),
      timeout: options.timeoutMs ?? 30_000,
      sdkTelemetryEnabled: false,
    });
  }

  read<T>(
    operation: string,
    options: ReadOptions | undefined,
    fn: (headers: ChargebeeHeaders) => Promise<T>,
  ): Promise<T> {
    return this.#call(operation, options, fn, {});
  }

  /** A write keyed by the step's idempotency key (plus `:<suffix>` when one method writes twice). */
  write<T>(
    operation: string,
    options: WriteOptions,
    fn: (headers: ChargebeeHeaders) => Promise<T>,
    suffix?: string,
  ): Promise<T> {
    return this.#call(operation, options, fn, {
      'chargebee-idempotency-key': idempotencyKey(options.idempotencyKey, suffix),
    });
  }

  /** Every element of a list, paging with `offset`, each page its own governed request. */
  async listAll<T>(
    operation: string,
    options: ReadOptions | undefined,
    page: (
      params: { limit: number; offset?: string },
      headers: ChargebeeHeaders,
    ) => Promise<ChargebeeListPage<T>>,
  ): Promise<T[]> {
    const all: T[] = [];
    for await (const list of this.pages(operation, options, page)) all.push(...list);
    return all;
  }

  /** The list's pages, paging with `offset`, each page its own governed request. */
  async *pages<T>(
    operation: string,
    options: ReadOptions | undefined,
    page: (
      params: { limit: number; offset?: string },
      headers: ChargebeeHeaders,
    ) => Promise<ChargebeeListPage<T>>,
  ): AsyncGenerator<T[]> {
    let offset: string | undefined;
    do {
      const res = await this.read(operation, options, (headers) =>
        page({ limit: this.pageSize, ...(offset !== undefined && { offset }) }, headers),
      );
      if (res.list.length > 0) yield res.list;
      offset = res.next_offset;
    } while (offset !== undefined && offset !== '');
  }

  async #call<T>(
    operation: string,
    options: ReadOptions | undefined,
    fn: (headers: ChargebeeHeaders) => Promise<T>,
    extra: ChargebeeHeaders,
  ): Promise<T> {
    const headers: ChargebeeHeaders = {
      ...extra,
      ...(options?.traceparent !== undefined && { traceparent: options.traceparent }),
    };
    return this.connection.call(
      {
        operation: `chargebee.${operation}`,
        ...(options?.lane !== undefined && { lane: options.lane }),
        ...(options?.signal !== undefined && { signal: options.signal }),
      },
      async (signal) => {
        try {
          return await abortable(fn(headers), signal);
        } catch (caught) {
          const error = classifyChargebeeError(caught);
          this.logger?.debug({ err: error, operation }, 'chargebee call failed');
          throw error;
        }
      },
    );
  }
}

/** SDK host settings: a site on chargebee.com, or any base URL (host as `site`, no suffix). */
function siteOf(options: ChargebeeClientOptions): {
  site: string;
  hostSuffix?: string;
  protocol?: 'http' | 'https';
  port?: number;
} {
  if (options.baseUrl === undefined) {
    if (options.site === undefined) throw new Error('chargebee: give site or baseUrl');
    return { site: options.site };
  }
  const url = new URL(options.baseUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return {
    site: url.hostname,
    hostSuffix: '',
    protocol,
    port: url.port === '' ? (protocol === 'http' ? 80 : 443) : Number(url.port),
  };
}

function idempotencyKey(key: string, suffix: string | undefined): string {
  const full = suffix === undefined ? key : `${key}:${suffix}`;
  if (full.length <= MAX_KEY_LENGTH) return full;
  return `revsync-${createHash('sha256').update(full).digest('hex').slice(0, 64)}`;
}

/** The SDK takes no AbortSignal: an aborted call stops waiting (the idempotency key makes a retry converge). */
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
