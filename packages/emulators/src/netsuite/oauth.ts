import { createHmac, timingSafeEqual } from 'node:crypto';
import type { EmulatorRequest } from '../kit/index.ts';
import { INVALID_LOGIN_DETAIL, netsuiteError } from './errors.ts';

/** The Token-Based Authentication credentials of the emulated account and its one integration. */
export interface NetsuiteCredentials {
  /** Account id, e.g. `TSTDRV1234567`; must be the `realm` of every OAuth header. */
  accountId: string;
  consumerKey: string;
  consumerSecret: string;
  /** The access token's id (`oauth_token`). */
  tokenId: string;
  tokenSecret: string;
  /** An OAuth 2.0 access token accepted as `Authorization: Bearer …`; none by default. */
  accessToken?: string;
}

/** Options for {@link createOAuthVerifier}. */
export interface OAuthVerifierOptions {
  credentials: NetsuiteCredentials;
  /** The time `oauth_timestamp` is checked against, epoch ms. */
  now: () => number;
  /** Allowed distance between `oauth_timestamp` and `now`, seconds (default 300). */
  toleranceSeconds?: number;
}

/** Checks the `Authorization` header of each request. */
export interface OAuthVerifier {
  /** Throws NetSuite's 401 unless the request is signed (or bearer-authorised) correctly. */
  verify(req: EmulatorRequest): void;
  /** Forgets used nonces. */
  reset(): void;
}

/** RFC 3986 percent-encoding, as OAuth 1.0a (RFC 5849 §3.6) requires. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** `OAuth realm="X", oauth_…="…"` → its parameters, decoded; `undefined` when malformed. */
export function parseOAuthHeader(header: string): Map<string, string> | undefined {
  const m = /^OAuth\s+(.*)$/is.exec(header.trim());
  if (!m) return undefined;
  const params = new Map<string, string>();
  const re = /\s*([A-Za-z0-9_%.~-]+)\s*=\s*"([^"]*)"\s*(?:,|$)/gy;
  const rest = m[1] as string;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = re.exec(rest)) !== null) {
    const key = percentDecode(match[1] as string);
    if (params.has(key)) return undefined;
    params.set(key, percentDecode(match[2] as string));
    consumed = re.lastIndex;
    if (consumed >= rest.length) break;
  }
  return consumed >= rest.trimEnd().length ? params : undefined;
}

/** RFC 5849 §3.4.1: `METHOD&encoded-base-url&encoded-normalised-parameters`. */
export function signatureBaseString(
  method: string,
  baseUrl: string,
  params: [string, string][],
): string {
  const normalised = params
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return `${method.toUpperCase()}&${percentEncode(baseUrl)}&${percentEncode(normalised)}`;
}

/** HMAC-SHA256 signature, base64, with key `consumerSecret&tokenSecret`. */
export function hmacSha256Signature(
  base: string,
  consumerSecret: string,
  tokenSecret: string,
): string {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
  return createHmac('sha256', key).update(base).digest('base64');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Verifies NetSuite Token-Based Authentication (OAuth 1.0a, HMAC-SHA256): the realm is the
 * account id, consumer key and token match, the timestamp is within the tolerance of `now`,
 * the signature recomputes (RFC 5849; base URL rebuilt from the Host header over http and https),
 * and the nonce was not used before within the tolerance window. An OAuth 2.0 bearer token is
 * accepted when one is configured.
 */
export function createOAuthVerifier(options: OAuthVerifierOptions): OAuthVerifier {
  const { credentials, now } = options;
  const toleranceMs = (options.toleranceSeconds ?? 300) * 1000;
  const nonces = new Map<string, number>();
  let lastPrune = 0;

  const refuse = (why: string): never => {
    throw netsuiteError(
      401,
      'INVALID_LOGIN',
      INVALID_LOGIN_DETAIL,
      {},
      {
        'www-authenticate': `OAuth realm="${credentials.accountId}", error="token_rejected", error_description="Invalid login attempt."`,
        'x-emulator-auth-failure': why,
      },
    );
  };

  const prune = (nowMs: number) => {
    if (nowMs - lastPrune < 10_000 && nonces.size < 10_000) return;
    lastPrune = nowMs;
    for (const [key, at] of nonces) if (at < nowMs - 2 * toleranceMs) nonces.delete(key);
  };

  return {
    reset: () => nonces.clear(),
    verify(req) {
      const header = req.headers['authorization'];
      if (!header) return refuse('no Authorization header');
      if (/^Bearer\s/i.test(header)) {
        const token = header.replace(/^Bearer\s+/i, '').trim();
        if (credentials.accessToken && sameText(token, credentials.accessToken)) return;
        return refuse('unknown bearer token');
      }
      const params = parseOAuthHeader(header);
      if (!params) return refuse('malformed OAuth header');
      if (params.get('realm') !== credentials.accountId)
        return refuse('realm is not the account id');
      const method = params.get('oauth_signature_method');
      if (method !== 'HMAC-SHA256') return refuse(`signature method ${method ?? 'missing'}`);
      const version = params.get('oauth_version');
      if (version !== undefined && version !== '1.0') return refuse('oauth_version is not 1.0');
      if (params.get('oauth_consumer_key') !== credentials.consumerKey)
        return refuse('unknown consumer key');
      if (params.get('oauth_token') !== credentials.tokenId) return refuse('unknown token');
      const nonce = params.get('oauth_nonce');
      if (!nonce) return refuse('no nonce');
      const timestamp = params.get('oauth_timestamp') ?? '';
      if (!/^\d+$/.test(timestamp)) return refuse('no timestamp');
      const nowMs = now();
      if (Math.abs(Number(timestamp) * 1000 - nowMs) > toleranceMs)
        return refuse('stale timestamp');
      const signature = params.get('oauth_signature');
      if (!signature) return refuse('no signature');

      const oauthParams = [...params].filter(([k]) => k !== 'realm' && k !== 'oauth_signature');
      const host = (req.headers['host'] ?? '').toLowerCase();
      const forwarded = req.headers['x-forwarded-proto']?.split(',')[0]?.trim().toLowerCase();
      const schemes = forwarded ? [forwarded] : ['http', 'https'];
      // The query is read as form data (RFC 5849 §3.4.1.3.1): `+` is a space.
      const query = [...req.searchParams];
      const valid = schemes.some((scheme) => {
        const base = signatureBaseString(req.method, `${scheme}://${host}${req.path}`, [
          ...oauthParams,
          ...query,
        ]);
        const expected = hmacSha256Signature(
          base,
          credentials.consumerSecret,
          credentials.tokenSecret,
        );
        return sameText(expected, signature);
      });
      if (!valid) return refuse('signature mismatch');

      prune(nowMs);
      const key = `${credentials.consumerKey}&${credentials.tokenId}&${nonce}`;
      if (nonces.has(key)) return refuse('nonce already used');
      nonces.set(key, nowMs);
    },
  };
}
