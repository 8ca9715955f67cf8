import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { Lane } from '../../gateway/lanes.ts';
import type { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import {
  AuthError,
  RetryableError,
  TimeoutError,
  coerceError,
  type RevsyncError,
} from '../../model/revsync-error.ts';
import { classifyBusinessCentralError } from './errors.ts';
import { parseJsonBody, transportError, withTimeout } from '../transport.ts';

/** The little of a logger the client uses (pino's `Logger` fits). */
export interface BusinessCentralLogger {
  debug(details: object, message?: string): void;
  warn(details: object, message?: string): void;
}

/** Options of {@link BusinessCentralClient}. */
export interface BusinessCentralClientOptions {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Default `production`. */
  environment?: string;
  /** The API host, default `https://api.businesscentral.dynamics.com`. */
  baseUrl?: string;
  /** The Entra ID host, default `https://login.microsoftonline.com`. */
  loginUrl?: string;
  connection: OutboundConnection;
  logger?: BusinessCentralLogger;
  /** Per-call timeout, ms (default 60 000). */
  timeoutMs?: number;
  /**
   * A 429 whose `Retry-After` is at most this long is waited out and sent again inside the call
   * (default 1 000 ms); a longer one is thrown as `RateLimitedError` for the engine to schedule.
   */
  maxInlineWaitMs?: number;
  /** How many short 429 waits one call takes before giving up (default 2). */
  maxThrottleRetries?: number;
}

/** Per-call options. */
export interface BusinessCentralCallOptions {
  operation: string;
  lane?: Lane;
  signal?: AbortSignal;
  traceparent?: string;
}

/** An OData entity as Business Central answers it (the mapper checks the fields it reads). */
export type BcEntity = Record<string, unknown> & { id: string; '@odata.etag'?: string };

/** One request of a `$batch`. */
export interface BcBatchRequest {
  id: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to the API root, e.g. `companies(<id>)/customers`. */
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  atomicityGroup?: string;
  dependsOn?: string[];
}

/** One answer of a `$batch`. */
export interface BcBatchResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** The Entra ID scope of the Business Central API. */
export const BC_SCOPE = 'https://api.businesscentral.dynamics.com/.default';
export const DEFAULT_BASE_URL = 'https://api.businesscentral.dynamics.com';
export const DEFAULT_LOGIN_URL = 'https://login.microsoftonline.com';

interface MsalLike {
  acquireTokenByClientCredential(request: {
    scopes: string[];
    skipCache?: boolean;
  }): Promise<{ accessToken: string; expiresOn: Date | null } | null>;
}

/**
 * The Business Central API v2.0 client: `fetch` with an Entra ID client-credentials token from
 * `@azure/msal-node` (msal caches it; a 401 asks for a fresh one once), every call through the
 * connection's governor and circuit, errors classified (see `errors.ts`). Short 429 waits are
 * taken inside the call; everything else retryable is left to the engine.
 */
export class BusinessCentralClient {
  /** `${baseUrl}/v2.0/${tenantId}/${environment}/api/v2.0` */
  readonly apiRoot: string;
  readonly #options: BusinessCentralClientOptions;
  readonly #timeoutMs: number;
  readonly #maxInlineWaitMs: number;
  readonly #maxThrottleRetries: number;
  #msal: Promise<MsalLike> | undefined;

  constructor(options: BusinessCentralClientOptions) {
    this.#options = options;
    const base = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.apiRoot = `${base}/v2.0/${encodeURIComponent(options.tenantId)}/${encodeURIComponent(options.environment ?? 'production')}/api/v2.0`;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#maxInlineWaitMs = options.maxInlineWaitMs ?? 1_000;
    this.#maxThrottleRetries = options.maxThrottleRetries ?? 2;
  }

  /**
   * One request below the API root (or to an absolute `@odata.nextLink`). Answers the JSON body
   * and the etag; a non-2xx answer throws the classified error, except 404 with `allowNotFound`
   * (answers `undefined`).
   */
  async request(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    options: BusinessCentralCallOptions & {
      body?: unknown;
      ifMatch?: string;
      allowNotFound?: boolean;
      /** `Prefer: odata.maxpagesize=N`. */
      maxPageSize?: number;
    },
  ): Promise<Record<string, unknown> | undefined> {
    const url = /^https?:\/\//.test(path) ? path : `${this.apiRoot}/${path}`;
    const request = `${method} ${url.startsWith(this.apiRoot) ? url.slice(this.apiRoot.length) : url}`;
    return this.#options.connection.call(
      {
        operation: options.operation,
        ...(options.lane !== undefined && { lane: options.lane }),
        ...(options.signal !== undefined && { signal: options.signal }),
      },
      async (signal) => {
        let refreshed = false;
        for (let throttled = 0; ;) {
          const token = await this.#accessToken(refreshed);
          const started = Date.now();
          const timeout = AbortSignal.timeout(this.#timeoutMs);
          let res: Response;
          let text: string;
          try {
            res = await fetch(url, {
              method,
              headers: {
                authorization: `Bearer ${token}`,
                accept: 'application/json',
                ...(options.body !== undefined && { 'content-type': 'application/json' }),
                ...(options.ifMatch !== undefined && { 'if-match': options.ifMatch }),
                ...(options.maxPageSize !== undefined && {
                  prefer: `odata.maxpagesize=${options.maxPageSize}`,
                }),
                ...(options.traceparent !== undefined && { traceparent: options.traceparent }),
              },
              ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
              signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
            });
            text = await res.text();
          } catch (caught) {
            throw transportError(
              'business-central',
              caught,
              request,
              timeout.aborted,
              this.#timeoutMs,
            );
          }
          this.#options.logger?.debug(
            { operation: options.operation, request, status: res.status, ms: Date.now() - started },
            'business-central call',
          );
          // An expired or revoked token: ask Entra ID for a fresh one, once.
          if (res.status === 401 && !refreshed) {
            refreshed = true;
            continue;
          }
          const body = parseJsonBody(text);
          if (res.ok) {
            const out = (body ?? {}) as Record<string, unknown>;
            const etag = res.headers.get('etag');
            if (etag !== null && out['@odata.etag'] === undefined) out['@odata.etag'] = etag;
            return out;
          }
          if (res.status === 404 && options.allowNotFound) return undefined;
          const error = classifyBusinessCentralError({
            status: res.status,
            body,
            retryAfter: res.headers.get('retry-after'),
            request,
          });
          if (
            error.code === 'rate_limited' &&
            throttled < this.#maxThrottleRetries &&
            (error.retryAfterMs ?? Infinity) <= this.#maxInlineWaitMs
          ) {
            throttled += 1;
            await sleep(error.retryAfterMs ?? 0, signal);
            continue;
          }
          this.#options.logger?.warn(
            { operation: options.operation, request, status: res.status, code: error.code },
            error.message,
          );
          throw error;
        }
      },
    );
  }

  /** `GET` of one entity; `undefined` when Business Central has none with that key. */
  async get(path: string, options: BusinessCentralCallOptions): Promise<BcEntity | undefined> {
    return (await this.request('GET', path, { ...options, allowNotFound: true })) as
      BcEntity | undefined;
  }

  /** The pages of a collection (`value`), following `@odata.nextLink`, one API call per page. */
  async *pages(
    path: string,
    options: BusinessCentralCallOptions & { maxPageSize?: number },
  ): AsyncGenerator<BcEntity[]> {
    let next: string | undefined = path;
    while (next !== undefined) {
      const body = await this.request('GET', next, options);
      const value = (body?.value as BcEntity[] | undefined) ?? [];
      yield value;
      const link = body?.['@odata.nextLink'];
      next = typeof link === 'string' ? link : undefined;
    }
  }

  /** Every row of a collection. */
  async list(
    path: string,
    options: BusinessCentralCallOptions & { maxPageSize?: number },
  ): Promise<BcEntity[]> {
    const rows: BcEntity[] = [];
    for await (const page of this.pages(path, options)) rows.push(...page);
    return rows;
  }

  /**
   * `POST $batch` (JSON): the answers in request order. The batch itself failing throws; each
   * answer's status is the caller's to read ({@link batchError} classifies a failed one).
   */
  async batch(
    requests: readonly BcBatchRequest[],
    options: BusinessCentralCallOptions,
  ): Promise<BcBatchResponse[]> {
    const body = await this.request('POST', '$batch', {
      ...options,
      body: {
        requests: requests.map((r) => ({
          ...r,
          headers: {
            ...(r.body !== undefined && { 'content-type': 'application/json' }),
            ...r.headers,
          },
        })),
      },
    });
    const responses = (body?.responses as BcBatchResponse[] | undefined) ?? [];
    const byId = new Map(responses.map((r) => [r.id, r]));
    return requests.map(
      (r) =>
        byId.get(r.id) ?? {
          id: r.id,
          status: 500,
          body: { error: { code: 'MissingResponse', message: 'no answer in the batch' } },
        },
    );
  }

  /**
   * The error of a failed `$batch` answer set: the first failure that is not a 424 (a member
   * rolled back because another failed), classified; `undefined` when every answer is 2xx.
   */
  batchError(
    requests: readonly BcBatchRequest[],
    responses: readonly BcBatchResponse[],
  ): RevsyncError | undefined {
    const failed = responses.filter((r) => r.status >= 400);
    if (failed.length === 0) return undefined;
    const first = failed.find((r) => r.status !== 424) ?? failed[0]!;
    const req = requests.find((r) => r.id === first.id);
    return classifyBusinessCentralError({
      status: first.status,
      body: first.body,
      retryAfter: first.headers?.['retry-after'] ?? null,
      request: `$batch ${req?.method ?? ''} ${req?.url ?? first.id}`,
    });
  }

  async #accessToken(fresh: boolean): Promise<string> {
    this.#msal ??= this.#createMsal();
    const msal = await this.#msal;
    let result: Awaited<ReturnType<MsalLike['acquireTokenByClientCredential']>>;
    try {
      result = await withTimeout(
        msal.acquireTokenByClientCredential({ scopes: [BC_SCOPE], skipCache: fresh }),
        this.#timeoutMs,
        'business-central',
        'Entra ID token request',
      );
    } catch (caught) {
      throw tokenError(caught);
    }
    if (!result?.accessToken) {
      throw new RetryableError('Entra ID answered no access token', { system: 'business-central' });
    }
    return result.accessToken;
  }

  async #createMsal(): Promise<MsalLike> {
    const { ConfidentialClientApplication } = await import('@azure/msal-node');
    const login = (this.#options.loginUrl ?? DEFAULT_LOGIN_URL).replace(/\/+$/, '');
    const mapped = login !== DEFAULT_LOGIN_URL;
    return new ConfidentialClientApplication({
      auth: {
        clientId: this.#options.clientId,
        clientSecret: this.#options.clientSecret,
        authority: `${DEFAULT_LOGIN_URL}/${this.#options.tenantId}`,
      },
      ...(mapped && { system: { networkClient: mappedNetwork(DEFAULT_LOGIN_URL, login) } }),
    }) as unknown as MsalLike;
  }
}

/**
 * msal's network client sending what is meant for `from` (the default Entra ID host) to `to`
 * (an emulator, a sovereign cloud's host), over `fetch`.
 */
export function mappedNetwork(from: string, to: string): INetworkModule {
  const map = (url: string) => (url.startsWith(from) ? to + url.slice(from.length) : url);
  const send = async <T>(
    method: string,
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> => {
    const res = await fetch(map(url), {
      method,
      ...(options?.headers && { headers: options.headers }),
      ...(options?.body !== undefined && { body: options.body }),
      ...(timeout !== undefined && timeout > 0 && { signal: AbortSignal.timeout(timeout) }),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    const text = await res.text();
    return { status: res.status, headers, body: (parseJsonBody(text) ?? {}) as T };
  };
  return {
    sendGetRequestAsync: (url, options, timeout) => send('GET', url, options, timeout),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(coerceError(signal.reason));
      },
      { once: true },
    );
  });
}

function tokenError(caught: unknown): Error {
  if (caught instanceof TimeoutError) return caught;
  const e = caught as { errorCode?: unknown; message?: unknown };
  const code = typeof e?.errorCode === 'string' ? e.errorCode : '';
  const message = `Entra ID token request failed: ${code || String(e?.message ?? caught)}`;
  if (
    /invalid_client|unauthorized_client|invalid_grant|invalid_scope|invalid_request/.test(code) ||
    /AADSTS7000215|AADSTS700016|AADSTS90002/.test(String(e?.message ?? ''))
  ) {
    return new AuthError(message, { system: 'business-central', cause: caught });
  }
  return new RetryableError(message, { system: 'business-central', cause: caught });
}
