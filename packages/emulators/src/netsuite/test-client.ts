import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import type { NetsuiteCredentials } from './oauth.ts';

/** A response as the tests look at it. */
export interface TestResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** Options of {@link createNetsuiteTestClient}. */
export interface NetsuiteTestClientOptions {
  /** The emulator's URL (`http://127.0.0.1:port`). */
  url: string;
  credentials: NetsuiteCredentials;
  /** Clock for `oauth_timestamp`, epoch ms (default: real time). */
  now?: () => number;
}

/** A request: JSON body, extra headers. */
export interface TestRequest {
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * A minimal NetSuite REST client as an integration would write one: `fetch`, with every request
 * signed by the `oauth-1.0a` package (HMAC-SHA256 through `node:crypto`, realm = account id).
 * Paths are relative to the emulator URL and may carry a query string (encode spaces as `%20`).
 */
export function createNetsuiteTestClient(options: NetsuiteTestClientOptions) {
  const { credentials } = options;
  const oauth = new OAuth({
    consumer: { key: credentials.consumerKey, secret: credentials.consumerSecret },
    signature_method: 'HMAC-SHA256',
    hash_function: (base, key) => createHmac('sha256', key).update(base).digest('base64'),
    realm: credentials.accountId,
  });
  const now = options.now;
  if (now) oauth.getTimeStamp = () => Math.floor(now() / 1000);
  const token = { key: credentials.tokenId, secret: credentials.tokenSecret };

  /** The `Authorization` header for one request. */
  const authorization = (method: string, url: string): string =>
    oauth.toHeader(oauth.authorize({ url, method }, token)).Authorization;

  async function request<T = unknown>(
    method: string,
    path: string,
    init: TestRequest = {},
  ): Promise<TestResponse<T>> {
    const url = `${options.url}${path}`;
    const res = await fetch(url, {
      method,
      headers: {
        authorization: authorization(method, url),
        ...(init.body !== undefined && { 'content-type': 'application/json' }),
        ...init.headers,
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: (text ? JSON.parse(text) : undefined) as T,
    };
  }

  return {
    authorization,
    request,
    get: <T = Record<string, unknown>>(path: string, init?: TestRequest) =>
      request<T>('GET', path, init),
    post: (path: string, body: unknown, init?: TestRequest) =>
      request('POST', path, { ...init, body }),
    patch: (path: string, body: unknown, init?: TestRequest) =>
      request('PATCH', path, { ...init, body }),
    put: (path: string, body: unknown, init?: TestRequest) =>
      request('PUT', path, { ...init, body }),
    delete: (path: string) => request('DELETE', path),
    /** `POST /services/rest/query/v1/suiteql` with `Prefer: transient`. */
    suiteql: <T = Record<string, unknown>>(
      q: string,
      page: { limit?: number; offset?: number } = {},
    ) => {
      const query = new URLSearchParams();
      if (page.limit !== undefined) query.set('limit', String(page.limit));
      if (page.offset !== undefined) query.set('offset', String(page.offset));
      const qs = query.size > 0 ? `?${query.toString()}` : '';
      return request<SuiteqlPage<T>>('POST', `/services/rest/query/v1/suiteql${qs}`, {
        body: { q },
        headers: { prefer: 'transient' },
      });
    },
  };
}

/** A SuiteQL or collection page. */
export interface SuiteqlPage<T> {
  links: { rel: string; href: string }[];
  count: number;
  hasMore: boolean;
  items: (T & { links: unknown[] })[];
  offset: number;
  totalResults: number;
}

/** The id at the end of a `Location` header. */
export function idFromLocation(res: TestResponse): string {
  const location = res.headers.get('location') ?? '';
  return location.slice(location.lastIndexOf('/') + 1);
}
