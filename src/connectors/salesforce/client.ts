import { AsyncLocalStorage } from 'node:async_hooks';
import { Connection, type HttpRequest } from 'jsforce';
import type { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import { NotFoundError, ValidationError } from '../../model/revsync-error.ts';
import type { ReadOptions } from '../ports.ts';
import { isSessionExpired, toRevsyncError, type SalesforceResponseInfo } from './errors.ts';

/** The smallest logger the connector needs (pino's `Logger` fits). */
export interface SalesforceLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

/** Options of {@link SalesforceClient}. */
export interface SalesforceClientOptions {
  /** Login URL, e.g. `https://login.salesforce.com` or the emulator's URL. */
  loginUrl: string;
  /** Connected app consumer key. */
  clientId: string;
  /** Connected app consumer secret. */
  clientSecret: string;
  /** REST API version, `62.0` or `v62.0` (default `62.0`). */
  apiVersion?: string;
  /** The account's governor and circuit breaker; every request passes through it. */
  connection: OutboundConnection;
  logger?: SalesforceLogger;
  /** How long to hold calls after the daily API limit is used up (default 15 min). */
  dailyLimitRetryAfterMs?: number;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
}

/** One REST request. */
export interface SalesforceRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /**
   * A path under the versioned REST root (`/sobjects/Account/001…`, `/query?q=…`), a path from
   * the instance root (`/services/…`, `/_emulator/…`), or an absolute URL.
   */
  url: string;
  /** Sent as JSON. */
  body?: unknown;
}

/** A record as the REST API returns it. */
export type SalesforceRecord = Record<string, unknown> & {
  attributes?: { type: string; url: string };
};

interface QueryPage {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: SalesforceRecord[];
}

type Transport = Connection['_transport'];

/** What {@link observe} learned about the answers to requests made inside one `capture.run`. */
interface Capture {
  response?: SalesforceResponseInfo;
}

const capture = new AsyncLocalStorage<Capture>();

/** jsforce would retry GETs on 429/5xx for up to 15 s on its own; the engine retries instead. */
const NO_SDK_RETRIES = { retry: { maxRetries: 0 } };
const SALESFORCE_ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

/**
 * The authenticated Salesforce client: jsforce logged in with the OAuth client-credentials grant.
 * Every request goes through the connection's governor and circuit breaker, carries
 * `traceparent` when given, has its errors classified into revsync errors, and reports the
 * `Sforce-Limit-Info` usage back to the connection. An expired session (`INVALID_SESSION_ID`)
 * is renewed once per request and the request repeated.
 */
export class SalesforceClient {
  readonly #conn: Connection;
  readonly #connection: OutboundConnection;
  readonly #logger: SalesforceLogger | undefined;
  readonly #dailyLimitRetryAfterMs: number;
  readonly #timeoutMs: number;
  #authorizing: Promise<void> | undefined;

  constructor(options: SalesforceClientOptions) {
    const version = (options.apiVersion ?? '62.0').replace(/^v/, '');
    if (!/^\d{2,3}\.\d$/.test(version)) {
      throw new ValidationError(`salesforce apiVersion ${JSON.stringify(version)} is not NN.N`);
    }
    const loginUrl = options.loginUrl.replace(/\/+$/, '');
    this.#conn = new Connection({
      loginUrl,
      version,
      oauth2: { clientId: options.clientId, clientSecret: options.clientSecret, loginUrl },
    });
    // jsforce installs a refresh delegate whenever oauth2 has a client id. It refreshes with a
    // refresh token, which the client-credentials grant never issues, so it could only fail (or,
    // with a custom refreshFn, loop on a persistent 401). Re-authentication happens in #send.
    this.#conn._refreshDelegate = undefined;
    observe(this.#conn._transport);
    observe(this.#conn.oauth2._transport);
    this.#connection = options.connection;
    this.#logger = options.logger;
    this.#dailyLimitRetryAfterMs = options.dailyLimitRetryAfterMs ?? 15 * 60_000;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** The API version in use, e.g. `62.0`. */
  get apiVersion(): string {
    return this.#conn.version;
  }

  /**
   * Sends one request through the governor; answers the parsed body (`undefined` for 204).
   *
   * @throws RevsyncError classified from the answer (see `errors.ts`).
   */
  request<T>(operation: string, request: SalesforceRequest, options: ReadOptions = {}): Promise<T> {
    return this.#connection.call(
      {
        operation,
        ...(options.lane !== undefined && { lane: options.lane }),
        ...(options.signal !== undefined && { signal: options.signal }),
      },
      async (signal) => {
        signal?.throwIfAborted();
        return this.#send<T>(request, options.traceparent);
      },
    );
  }

  /**
   * Runs a SOQL query and follows `nextRecordsUrl` to the end; each page is one governed call.
   */
  async query<T extends SalesforceRecord = SalesforceRecord>(
    operation: string,
    soql: string,
    options: ReadOptions = {},
  ): Promise<T[]> {
    const records: T[] = [];
    for await (const page of this.queryPages<T>(operation, soql, options)) records.push(...page);
    return records;
  }

  /** {@link query} one page at a time, for reads too large to hold. */
  async *queryPages<T extends SalesforceRecord = SalesforceRecord>(
    operation: string,
    soql: string,
    options: ReadOptions = {},
  ): AsyncGenerator<T[]> {
    yield* this.queryPagesFrom<T>(operation, `/query?q=${encodeURIComponent(soql)}`, options);
  }

  /**
   * The pages of a query from `url` on: a `/query?q=` URL, or a `nextRecordsUrl` (also the one of
   * a subquery's nested result) to read the rest of a result. Each page is one governed call.
   */
  async *queryPagesFrom<T extends SalesforceRecord = SalesforceRecord>(
    operation: string,
    url: string,
    options: ReadOptions = {},
  ): AsyncGenerator<T[]> {
    let next: string | undefined = url;
    while (next !== undefined) {
      const page: QueryPage = await this.request<QueryPage>(
        operation,
        { method: 'GET', url: next },
        options,
      );
      yield page.records as T[];
      next = page.done ? undefined : page.nextRecordsUrl;
    }
  }

  /** Reads one record by id with SOQL; a missing (or deleted) record is `NotFoundError`. */
  async queryById<T extends SalesforceRecord = SalesforceRecord>(
    operation: string,
    object: string,
    fields: readonly string[],
    id: string,
    options: ReadOptions = {},
  ): Promise<T> {
    const [record] = await this.query<T>(
      operation,
      `SELECT ${fields.join(', ')} FROM ${object} WHERE Id = ${soqlId(id)}`,
      options,
    );
    if (!record)
      throw new NotFoundError(`salesforce ${object} ${id} does not exist`, {
        system: 'salesforce',
      });
    return record;
  }

  async #send<T>(request: SalesforceRequest, traceparent: string | undefined): Promise<T> {
    await this.#ensureSession();
    const token = this.#conn.accessToken;
    try {
      return await this.#exchange<T>(request, traceparent);
    } catch (error) {
      if (!isSessionExpired(error)) throw error;
      this.#logger?.warn(
        { system: 'salesforce', url: request.url },
        'salesforce session expired; logging in again',
      );
      await this.#reauthenticate(token);
      return this.#exchange<T>(request, traceparent);
    }
  }

  async #exchange<T>(request: SalesforceRequest, traceparent: string | undefined): Promise<T> {
    const headers: Record<string, string> = {};
    if (traceparent) headers['traceparent'] = traceparent;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const http: HttpRequest = {
      method: request.method,
      url: this.#absolute(request.url),
      headers,
      ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
    };
    const seen: Capture = {};
    try {
      return await capture.run(seen, () =>
        this.#conn.request<T>(http, { ...NO_SDK_RETRIES, timeout: this.#timeoutMs }),
      );
    } catch (caught) {
      throw toRevsyncError(caught, seen.response, {
        dailyLimitRetryAfterMs: this.#dailyLimitRetryAfterMs,
      });
    } finally {
      const usage = this.#conn.limitInfo.apiUsage;
      if (usage && seen.response?.headers['sforce-limit-info'] !== undefined) {
        this.#connection.reportUsage(usage.used, usage.limit);
      }
    }
  }

  #absolute(url: string): string {
    if (/^https?:\/\//.test(url)) return url;
    if (url.startsWith('/_emulator/')) return `${this.#conn.instanceUrl}${url}`;
    return url; // jsforce prefixes the instance URL (and `/services/data/vNN.N` when needed)
  }

  #ensureSession(): Promise<void> {
    if (this.#conn.accessToken) return Promise.resolve();
    return this.#login();
  }

  /** Logs in again unless another request already did since `staleToken` was used. */
  async #reauthenticate(staleToken: string | null | undefined): Promise<void> {
    if (this.#authorizing) return this.#authorizing;
    if (this.#conn.accessToken !== staleToken) return;
    this.#conn.accessToken = null;
    return this.#login();
  }

  #login(): Promise<void> {
    this.#authorizing ??= (async () => {
      const seen: Capture = {};
      try {
        await capture.run(seen, () => this.#conn.authorize({ grant_type: 'client_credentials' }));
      } catch (caught) {
        throw toRevsyncError(caught, seen.response, {
          dailyLimitRetryAfterMs: this.#dailyLimitRetryAfterMs,
        });
      } finally {
        this.#authorizing = undefined;
      }
    })();
    return this.#authorizing;
  }
}

/**
 * A SOQL literal for a record id.
 *
 * @throws ValidationError when `id` is not a 15- or 18-character Salesforce id (so nothing else
 * can reach the query text).
 */
export function soqlId(id: string): string {
  if (!SALESFORCE_ID.test(id)) {
    throw new ValidationError(`${JSON.stringify(id)} is not a Salesforce record id`, {
      system: 'salesforce',
    });
  }
  return `'${id}'`;
}

/** Records the status and headers of every answer the transport receives inside `capture.run`. */
function observe(transport: Transport): void {
  const send = transport.httpRequest.bind(transport);
  transport.httpRequest = (req, options) => {
    const pending = send(req, options);
    const seen = capture.getStore();
    if (seen) {
      pending.then(
        (res) => {
          seen.response = { statusCode: res.statusCode, headers: res.headers };
        },
        () => {},
      );
    }
    return pending;
  };
}
