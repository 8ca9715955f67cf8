/**
 * A small QuickBooks client for tests and the simulator's read-back: it trades each realm's
 * refresh token for an access token at the token endpoint (as `intuit-oauth` does) and sends
 * JSON requests with the bearer token. Not a connector: no governor, no error classes.
 */

export interface QuickbooksTestClientOptions {
  /** The emulator's root URL. */
  url: string;
  clientId: string;
  clientSecret: string;
  /** realmId → refresh token. */
  refreshTokens: Record<string, string>;
}

export interface QuickbooksAnswer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export function createQuickbooksTestClient(options: QuickbooksTestClientOptions) {
  const tokens = new Map<string, string>();
  const base = options.url.replace(/\/+$/, '');

  async function token(realmId: string, fresh = false): Promise<string> {
    const cached = tokens.get(realmId);
    if (cached && !fresh) return cached;
    const refresh = options.refreshTokens[realmId];
    if (!refresh) throw new Error(`no refresh token for realm ${realmId}`);
    const res = await fetch(`${base}/oauth2/v1/tokens/bearer`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh }).toString(),
    });
    const body = (await res.json()) as { access_token?: string };
    if (!res.ok || !body.access_token) throw new Error(`token refresh answered ${res.status}`);
    tokens.set(realmId, body.access_token);
    return body.access_token;
  }

  async function request<T = Record<string, unknown>>(
    method: 'GET' | 'POST',
    realmId: string,
    path: string,
    init: { query?: Record<string, string>; body?: unknown } = {},
  ): Promise<QuickbooksAnswer<T>> {
    const qs = new URLSearchParams({ minorversion: '75', ...init.query }).toString();
    const url = `${base}/v3/company/${realmId}${path}?${qs}`;
    for (let attempt = 0; ; attempt += 1) {
      const res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${await token(realmId, attempt > 0)}`,
          accept: 'application/json',
          ...(init.body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      });
      const text = await res.text();
      if (res.status === 401 && attempt === 0) continue; // expired: refresh once
      return {
        status: res.status,
        headers: res.headers,
        body: (text === '' ? {} : JSON.parse(text)) as T,
      };
    }
  }

  /** Every row of a `select * from …` query, paged with STARTPOSITION/MAXRESULTS. */
  async function queryAll(
    realmId: string,
    q: string,
    pageSize = 1000,
  ): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    for (let start = 1; ; start += pageSize) {
      const res = await request<{ QueryResponse?: Record<string, unknown> }>(
        'GET',
        realmId,
        '/query',
        {
          query: { query: `${q} STARTPOSITION ${start} MAXRESULTS ${pageSize}` },
        },
      );
      if (res.status !== 200 || !res.body.QueryResponse) {
        throw Object.assign(
          new Error(`query answered ${res.status}: ${JSON.stringify(res.body)}`),
          {
            status: res.status,
          },
        );
      }
      const rows = Object.values(res.body.QueryResponse).find(Array.isArray) as
        Record<string, unknown>[] | undefined;
      out.push(...(rows ?? []));
      if (!rows || rows.length < pageSize) return out;
    }
  }

  return { request, queryAll, token };
}
