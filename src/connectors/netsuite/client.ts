import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import type { Lane } from '../../gateway/lanes.ts';
import type { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import { RetryableError, ValidationError } from '../../model/revsync-error.ts';
import { stringifyWithDecimals } from './decimal-json.ts';
import { classifyNetsuiteError } from './errors.ts';
import { parseJsonBody, transportError } from '../transport.ts';

/** The little of a logger the client uses (pino's `Logger` fits). */
export interface NetsuiteLogger {
  debug(details: object, message?: string): void;
  warn(details: object, message?: string): void;
}

/** Token-Based Authentication credentials of one integration record and access token. */
export interface NetsuiteCredentials {
  /** The account id, e.g. `1234567` or `1234567_SB1`; the OAuth `realm`. */
  accountId: string;
  consumerKey: string;
  consumerSecret: string;
  tokenId: string;
  tokenSecret: string;
}

/** Options of {@link NetsuiteClient}. */
export interface NetsuiteClientOptions extends NetsuiteCredentials {
  /** Root of the account's REST host, without `/services/rest`. Default from the account id. */
  baseUrl?: string;
  /** The outbound connection (governor + circuit) every call passes. */
  connection: OutboundConnection;
  logger?: NetsuiteLogger;
  /** Abort a call that has not answered after this long (default 60 s) → `TimeoutError`. */
  timeoutMs?: number;
}

/** Per-call options. */
export interface NetsuiteCallOptions {
  /** Name of the operation for metrics, e.g. `invoice.upsert`. */
  operation: string;
  lane?: Lane;
  signal?: AbortSignal;
  traceparent?: string;
}

/** A successful answer. */
export interface NetsuiteResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/** One SuiteQL page: every value is text, as NetSuite returns it; NULL columns are absent. */
export interface SuiteqlPage {
  items: Record<string, string>[];
  hasMore: boolean;
  totalResults: number;
}

/** `https://1234567-sb1.suitetalk.api.netsuite.com` for account `1234567_SB1`. */
export function defaultNetsuiteBaseUrl(accountId: string): string {
  return `https://${accountId.toLowerCase().replace(/_/g, '-')}.suitetalk.api.netsuite.com`;
}

// NetSuite external ids in a URL: letters, digits, `_` and `-` only.
const EXTERNAL_ID = /^[A-Za-z0-9_-]+$/;

/** Throws `ValidationError` unless `value` can be used as `eid:value`. */
export function assertExternalId(value: string, what: string): void {
  if (!EXTERNAL_ID.test(value)) {
    throw new ValidationError(
      `${what} ${JSON.stringify(value)} cannot be a NetSuite external id (letters, digits, _ and - only)`,
      { system: 'netsuite', details: [{ path: 'externalId', message: 'invalid characters' }] },
    );
  }
}

/** Encodes a query string for a signed URL: spaces as `%20`, never `+` (see the docs). */
function queryString(query: Record<string, string | number | boolean | undefined>): string {
  const parts = Object.entries(query)
    .filter((e): e is [string, string | number | boolean] => e[1] !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/**
 * The authenticated NetSuite REST client: `fetch` with every request signed anew by `oauth-1.0a`
 * (HMAC-SHA256, realm = account id), passed through the connection's governor and circuit, and
 * every failure classified into a revsync error. It never retries by itself: the engine retries
 * what is retryable, and a retry is signed again (a nonce is spent even by a refused request).
 */
export class NetsuiteClient {
  readonly baseUrl: string;
  readonly accountId: string;
  readonly #oauth: OAuth;
  readonly #token: OAuth.Token;
  readonly #connection: OutboundConnection;
  readonly #logger: NetsuiteLogger | undefined;
  readonly #timeoutMs: number;

  constructor(options: NetsuiteClientOptions) {
    this.accountId = options.accountId;
    this.baseUrl = (options.baseUrl ?? defaultNetsuiteBaseUrl(options.accountId)).replace(
      /\/+$/,
      '',
    );
    this.#oauth = new OAuth({
      consumer: { key: options.consumerKey, secret: options.consumerSecret },
      signature_method: 'HMAC-SHA256',
      hash_function: (base, key) => createHmac('sha256', key).update(base).digest('base64'),
      realm: options.accountId,
    });
    this.#token = { key: options.tokenId, secret: options.tokenSecret };
    this.#connection = options.connection;
    this.#logger = options.logger;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
  }

  /**
   * Sends one signed request. `path` is relative to `/services/rest` (e.g.
   * `/record/v1/customer/eid:x`). With `allowNotFound`, a 404 answers `undefined` instead of
   * throwing, and does not count as a failed call.
   */
  async request(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options: NetsuiteCallOptions & {
      query?: Record<string, string | number | boolean | undefined>;
      body?: unknown;
      headers?: Record<string, string>;
      allowNotFound?: boolean;
    },
  ): Promise<NetsuiteResponse | undefined> {
    const url = `${this.baseUrl}/services/rest${path}${queryString(options.query ?? {})}`;
    const request = `${method} ${path}`;
    return this.#connection.call(
      {
        operation: options.operation,
        ...(options.lane !== undefined && { lane: options.lane }),
        ...(options.signal !== undefined && { signal: options.signal }),
      },
      async (signal) => {
        const started = Date.now();
        const headers: Record<string, string> = {
          authorization: this.#oauth.toHeader(this.#oauth.authorize({ url, method }, this.#token))
            .Authorization,
          accept: 'application/json',
          ...(options.body !== undefined && { 'content-type': 'application/json' }),
          ...(options.traceparent !== undefined && { traceparent: options.traceparent }),
          ...options.headers,
        };
        const timeout = AbortSignal.timeout(this.#timeoutMs);
        let res: Response;
        let text: string;
        try {
          res = await fetch(url, {
            method,
            headers,
            ...(options.body !== undefined && { body: stringifyWithDecimals(options.body) }),
            signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
          });
          text = await res.text();
        } catch (caught) {
          throw transportError('netsuite', caught, request, timeout.aborted, this.#timeoutMs);
        }
        const body = parseJsonBody(text);
        this.#logger?.debug(
          { operation: options.operation, request, status: res.status, ms: Date.now() - started },
          'netsuite call',
        );
        if (res.ok) return { status: res.status, headers: res.headers, body };
        if (res.status === 404 && options.allowNotFound) return undefined;
        const error = classifyNetsuiteError({
          status: res.status,
          body,
          retryAfter: res.headers.get('retry-after'),
          request,
        });
        this.#logger?.warn(
          { operation: options.operation, request, status: res.status, code: error.code },
          error.message,
        );
        throw error;
      },
    );
  }

  /**
   * Upserts `type` by external id (`PUT /record/v1/{type}/eid:{externalId}`: created when
   * absent, else updated) and answers its internal id, read from the `Location` header.
   */
  async upsert(
    type: string,
    externalId: string,
    body: Record<string, unknown>,
    options: NetsuiteCallOptions & { query?: Record<string, string | undefined> },
  ): Promise<string> {
    assertExternalId(externalId, `${type} external id`);
    const path = `/record/v1/${type}/eid:${externalId}`;
    const res = await this.request('PUT', path, {
      ...options,
      body: { ...body, externalId },
    });
    const fromLocation = idFromLocation(res?.headers.get('location'));
    if (fromLocation) return fromLocation;
    // NetSuite always sends `Location`; should a proxy drop it, ask for the id.
    const read = await this.request('GET', path, {
      ...options,
      operation: `${options.operation}.id`,
      query: { fields: 'id' },
    });
    const id = (read?.body as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string' && typeof id !== 'number') {
      throw new RetryableError(`netsuite did not say which ${type} ${externalId} it wrote`, {
        system: 'netsuite',
      });
    }
    return String(id);
  }

  /** `GET /record/v1/{type}/{key}` (key: an internal id or `eid:…`); `undefined` when absent. */
  async getRecord(
    type: string,
    key: string,
    options: NetsuiteCallOptions & { expand?: boolean; fields?: readonly string[] },
  ): Promise<unknown> {
    const res = await this.request('GET', `/record/v1/${type}/${key}`, {
      ...options,
      allowNotFound: true,
      query: {
        ...(options.expand && { expandSubResources: 'true' }),
        ...(options.fields && { fields: options.fields.join(',') }),
      },
    });
    return res?.body;
  }

  /** One SuiteQL page (`POST /query/v1/suiteql`, `Prefer: transient`). */
  async suiteql(
    q: string,
    options: NetsuiteCallOptions & { limit?: number; offset?: number },
  ): Promise<SuiteqlPage> {
    const res = await this.request('POST', '/query/v1/suiteql', {
      ...options,
      query: { limit: options.limit, offset: options.offset },
      headers: { prefer: 'transient' },
      body: { q },
    });
    return toSuiteqlPage(res?.body);
  }

  /** A SuiteQL query's pages of 1,000 rows (empty pages are not yielded). */
  async *suiteqlPages(
    q: string,
    options: NetsuiteCallOptions,
  ): AsyncGenerator<Record<string, string>[]> {
    for (let offset = 0; ;) {
      const page = await this.suiteql(q, { ...options, limit: 1000, offset });
      if (page.items.length > 0) yield page.items;
      if (!page.hasMore || page.items.length === 0) return;
      offset += page.items.length;
    }
  }

  /** Every row of a SuiteQL query, page by page (for small, bounded results). */
  async suiteqlAll(q: string, options: NetsuiteCallOptions): Promise<Record<string, string>[]> {
    const rows: Record<string, string>[] = [];
    for await (const page of this.suiteqlPages(q, options)) rows.push(...page);
    return rows;
  }
}

function idFromLocation(location: string | null | undefined): string | undefined {
  const match = /\/(\d+)\/?$/.exec(location ?? '');
  return match?.[1];
}

function toSuiteqlPage(body: unknown): SuiteqlPage {
  const b = body as Partial<{ items: unknown; hasMore: unknown; totalResults: unknown }> | null;
  if (typeof b !== 'object' || b === null || !Array.isArray(b.items)) {
    throw new RetryableError('netsuite answered a SuiteQL query without items', {
      system: 'netsuite',
    });
  }
  const items = b.items.map((row: unknown) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(row as Record<string, unknown>)) {
      if (k === 'links' || v === null || v === undefined) continue;
      out[k.toLowerCase()] = typeof v === 'string' ? v : String(v);
    }
    return out;
  });
  return {
    items,
    hasMore: b.hasMore === true,
    totalResults: typeof b.totalResults === 'number' ? b.totalResults : items.length,
  };
}
