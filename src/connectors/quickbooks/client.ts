import { createHash } from 'node:crypto';
import type { Lane } from '../../gateway/lanes.ts';
import type { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import {
  AuthError,
  RetryableError,
  TimeoutError,
  ValidationError,
} from '../../model/revsync-error.ts';
import { classifyQuickbooksError, isFault } from './errors.ts';
import { parseJsonBody, transportError, withTimeout } from '../transport.ts';

/** The little of a logger the client uses (pino's `Logger` fits). */
export interface QuickbooksLogger {
  debug(details: object, message?: string): void;
  warn(details: object, message?: string): void;
}

/** One connected company: its realm id and the refresh token the app holds for it. */
export interface QuickbooksRealmCredentials {
  realmId: string;
  refreshToken: string;
}

/** Options of {@link QuickbooksClient}. */
export interface QuickbooksClientOptions {
  clientId: string;
  clientSecret: string;
  realms: readonly QuickbooksRealmCredentials[];
  /** `sandbox` (default) or `production`: the API host when `baseUrl` is not given. */
  environment?: 'sandbox' | 'production';
  /** The API root, e.g. an emulator's `http://127.0.0.1:12116`. */
  baseUrl?: string;
  /** The OAuth token endpoint (default Intuit's, as `intuit-oauth` knows it). */
  tokenUrl?: string;
  connection: OutboundConnection;
  logger?: QuickbooksLogger;
  /** Per-call timeout, ms (default 60 000). */
  timeoutMs?: number;
  /** `minorversion` sent with every request (default 75). */
  minorVersion?: number;
}

/** Per-call options. */
export interface QuickbooksCallOptions {
  operation: string;
  lane?: Lane;
  signal?: AbortSignal;
  traceparent?: string;
}

/** A QuickBooks object as the API answers it (the fields revsync reads are checked by the mapper). */
export type QboObject = Record<string, unknown> & { Id: string; SyncToken: string };

const API_HOSTS = {
  sandbox: 'https://sandbox-quickbooks.api.intuit.com',
  production: 'https://quickbooks.api.intuit.com',
} as const;

interface OAuthLike {
  setAuthorizeURLs(params: {
    authorizeEndpoint: string;
    tokenEndpoint: string;
    revokeEndpoint: string;
    userInfoEndpoint: string;
  }): unknown;
  refreshUsingToken(token: string): Promise<{ getJson(): unknown }>;
}

/** `requestid` for a write: QuickBooks takes at most 50 characters, so a long key is hashed. */
export function requestIdFor(key: string): string {
  return key.length <= 50 && /^[A-Za-z0-9._:-]+$/.test(key)
    ? key
    : createHash('sha256').update(key).digest('hex').slice(0, 40);
}

/**
 * The QuickBooks Online v3 client: `fetch` with a bearer token per realm, refreshed through
 * `intuit-oauth` (single-flight per realm, and once more on a 401), every call through the
 * connection's governor and circuit, and every `Fault` — also one in an HTTP 200 — classified
 * into a revsync error. It does not retry by itself: the engine retries what is retryable.
 *
 * Why `fetch` and not `node-quickbooks`: that package is callback-style, untyped, builds its
 * own request layer (no governor, no abort signal, no `traceparent`) and is not a dependency
 * here; the v3 API is plain JSON over HTTPS, so a thin client keeps every call governed.
 */
export class QuickbooksClient {
  readonly baseUrl: string;
  readonly realmIds: readonly string[];
  readonly #options: QuickbooksClientOptions;
  readonly #refresh = new Map<string, string>();
  readonly #tokens = new Map<string, { token: string; expiresAt: number }>();
  readonly #inflight = new Map<string, Promise<string>>();
  readonly #timeoutMs: number;
  readonly #minorVersion: number;
  #oauth: Promise<OAuthLike> | undefined;

  constructor(options: QuickbooksClientOptions) {
    this.#options = options;
    this.baseUrl = (options.baseUrl ?? API_HOSTS[options.environment ?? 'sandbox']).replace(
      /\/+$/,
      '',
    );
    this.realmIds = options.realms.map((r) => r.realmId);
    for (const r of options.realms) this.#refresh.set(r.realmId, r.refreshToken);
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#minorVersion = options.minorVersion ?? 75;
  }

  hasRealm(realmId: string): boolean {
    return this.#refresh.has(realmId);
  }

  /**
   * One request to `/v3/company/<realm><path>`. Answers the JSON body; a `Fault` body (any
   * status) or a non-2xx status throws the classified error. With `allowNotFound`, object not
   * found (610) answers `undefined`.
   */
  async request(
    realmId: string,
    method: 'GET' | 'POST',
    path: string,
    options: QuickbooksCallOptions & {
      query?: Record<string, string | undefined>;
      body?: unknown;
      requestId?: string;
      allowNotFound?: boolean;
    },
  ): Promise<Record<string, unknown> | undefined> {
    if (!this.hasRealm(realmId)) {
      throw new ValidationError(`no QuickBooks company ${realmId} is configured`, {
        system: 'quickbooks',
        details: [{ path: 'realmId', message: 'not one of connections.erp.realms' }],
      });
    }
    const params = new URLSearchParams({ minorversion: String(this.#minorVersion) });
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) params.set(k, v);
    if (options.requestId !== undefined) params.set('requestid', requestIdFor(options.requestId));
    const url = `${this.baseUrl}/v3/company/${realmId}${path}?${params.toString()}`;
    const request = `${method} ${path}`;
    return this.#options.connection.call(
      {
        operation: options.operation,
        ...(options.lane !== undefined && { lane: options.lane }),
        ...(options.signal !== undefined && { signal: options.signal }),
      },
      async (signal) => {
        for (let attempt = 0; ; attempt += 1) {
          const token = await this.#accessToken(realmId, attempt > 0);
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
                ...(options.traceparent !== undefined && { traceparent: options.traceparent }),
              },
              ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
              signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
            });
            text = await res.text();
          } catch (caught) {
            throw transportError('quickbooks', caught, request, timeout.aborted, this.#timeoutMs);
          }
          const body = parseJsonBody(text);
          this.#options.logger?.debug(
            { operation: options.operation, request, status: res.status, ms: Date.now() - started },
            'quickbooks call',
          );
          // An expired or revoked access token: refresh once and send again.
          if (res.status === 401 && attempt === 0) {
            this.#tokens.delete(realmId);
            continue;
          }
          if (res.ok && !isFault(body)) return body as Record<string, unknown>;
          const error = classifyQuickbooksError({
            status: res.status,
            body,
            retryAfter: res.headers.get('retry-after'),
            request,
          });
          if (options.allowNotFound && error.code === 'not_found') return undefined;
          this.#options.logger?.warn(
            { operation: options.operation, request, status: res.status, code: error.code },
            error.message,
          );
          throw error;
        }
      },
    );
  }

  /** `GET /<entity>/<id>`; `undefined` when QuickBooks has no such object. */
  async read(
    realmId: string,
    entity: string,
    id: string,
    options: QuickbooksCallOptions,
  ): Promise<QboObject | undefined> {
    const body = await this.request(realmId, 'GET', `/${entity.toLowerCase()}/${id}`, {
      ...options,
      allowNotFound: true,
    });
    return body?.[entity] as QboObject | undefined;
  }

  /** `POST /<entity>`: a create (no `Id`) or an update; answers the object QuickBooks keeps. */
  async write(
    realmId: string,
    entity: string,
    body: Record<string, unknown>,
    options: QuickbooksCallOptions & { requestId: string },
  ): Promise<QboObject> {
    const answer = await this.request(realmId, 'POST', `/${entity.toLowerCase()}`, {
      ...options,
      body,
    });
    const object = answer?.[entity] as QboObject | undefined;
    if (!object?.Id) {
      throw new RetryableError(`quickbooks answered a ${entity} write without the ${entity}`, {
        system: 'quickbooks',
      });
    }
    return object;
  }

  /** Every row of a query (`select * from …`), paged with STARTPOSITION / MAXRESULTS. */
  async query(
    realmId: string,
    q: string,
    options: QuickbooksCallOptions & { pageSize?: number },
  ): Promise<QboObject[]> {
    const size = options.pageSize ?? 1000;
    const rows: QboObject[] = [];
    for (let start = 1; ; start += size) {
      const body = await this.request(realmId, 'GET', '/query', {
        ...options,
        query: { query: `${q} STARTPOSITION ${start} MAXRESULTS ${size}` },
      });
      const response = (body?.QueryResponse ?? {}) as Record<string, unknown>;
      const page = Object.values(response).find(Array.isArray) as QboObject[] | undefined;
      rows.push(...(page ?? []));
      if (!page || page.length < size) return rows;
    }
  }

  /** `GET /cdc?entities=…&changedSince=…`: the changed objects by entity. */
  async cdc(
    realmId: string,
    entities: readonly string[],
    changedSince: string,
    options: QuickbooksCallOptions,
  ): Promise<{ entity: string; object: QboObject }[]> {
    const body = await this.request(realmId, 'GET', '/cdc', {
      ...options,
      query: { entities: entities.join(','), changedSince },
    });
    const out: { entity: string; object: QboObject }[] = [];
    const responses = (body?.CDCResponse as { QueryResponse?: unknown[] }[] | undefined) ?? [];
    for (const response of responses) {
      for (const part of response.QueryResponse ?? []) {
        for (const [entity, rows] of Object.entries((part ?? {}) as Record<string, unknown>)) {
          if (!Array.isArray(rows)) continue;
          for (const object of rows as QboObject[]) out.push({ entity, object });
        }
      }
    }
    return out;
  }

  async #accessToken(realmId: string, fresh: boolean): Promise<string> {
    const cached = this.#tokens.get(realmId);
    if (cached && !fresh && cached.expiresAt > Date.now()) return cached.token;
    let pending = this.#inflight.get(realmId);
    if (!pending) {
      pending = this.#refreshToken(realmId).finally(() => this.#inflight.delete(realmId));
      this.#inflight.set(realmId, pending);
    }
    return pending;
  }

  /** Trades the realm's refresh token for an access token through `intuit-oauth`. */
  async #refreshToken(realmId: string): Promise<string> {
    this.#oauth ??= import('intuit-oauth').then(({ default: OAuthClient }) => {
      const client = new OAuthClient({
        environment: this.#options.environment ?? 'sandbox',
        clientId: this.#options.clientId,
        clientSecret: this.#options.clientSecret,
        redirectUri: 'http://localhost/revsync/quickbooks/callback',
      }) as unknown as OAuthLike;
      return client;
    });
    const client = await this.#oauth;
    const refresh = this.#refresh.get(realmId)!;
    let answer: { getJson(): unknown };
    try {
      const call = (() => {
        // intuit-oauth keeps its endpoints in statics and reads them when a request starts,
        // synchronously: set ours right before the call so no other client's leaks in.
        if (this.#options.tokenUrl !== undefined) {
          client.setAuthorizeURLs({
            authorizeEndpoint: 'https://appcenter.intuit.com/connect/oauth2',
            tokenEndpoint: this.#options.tokenUrl,
            revokeEndpoint: this.#options.tokenUrl.replace(/\/bearer$/, '/revoke'),
            userInfoEndpoint: 'https://accounts.platform.intuit.com/v1/openid_connect/userinfo',
          });
        }
        return client.refreshUsingToken(refresh);
      })();
      // intuit-oauth sets no timeout of its own.
      answer = await withTimeout(call, this.#timeoutMs, 'quickbooks', 'quickbooks token refresh');
    } catch (caught) {
      throw tokenError(caught, realmId);
    }
    const json = answer.getJson() as {
      access_token?: string;
      refresh_token?: string;
      expires_in?: number;
    } | null;
    if (!json?.access_token) {
      throw new RetryableError(`quickbooks token refresh for ${realmId} answered no access token`, {
        system: 'quickbooks',
      });
    }
    // Intuit rotates refresh tokens: keep the newest for the next refresh.
    if (json.refresh_token) this.#refresh.set(realmId, json.refresh_token);
    const ttl = (json.expires_in ?? 3600) * 1000;
    this.#tokens.set(realmId, {
      token: json.access_token,
      expiresAt: Date.now() + Math.max(0, ttl - 60_000),
    });
    return json.access_token;
  }
}

function tokenError(caught: unknown, realmId: string): Error {
  if (caught instanceof TimeoutError) return caught;
  const e = caught as { error?: unknown; error_description?: unknown; message?: unknown };
  const code = typeof e?.error === 'string' ? e.error : '';
  const message = `quickbooks token refresh for company ${realmId} failed: ${code || String(e?.message ?? caught)}`;
  if (code === 'invalid_grant' || code === 'invalid_client' || /Unauthorized/i.test(code)) {
    return new AuthError(message, { system: 'quickbooks', cause: caught });
  }
  return new RetryableError(message, { system: 'quickbooks', cause: caught });
}
