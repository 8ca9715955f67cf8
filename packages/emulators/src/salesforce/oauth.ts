import { createHmac, verify, type KeyObject } from 'node:crypto';
import type { Clock, EmulatorRequest, Rng, Route } from '../kit/index.ts';
import { oauthError, SalesforceError } from './errors.ts';
import type { SalesforceState } from './state.ts';

/** The credentials the token endpoint accepts. */
export interface OAuthConfig {
  clientId: string;
  clientSecret: string;
  /** A token that is always valid (never expires, survives reset). */
  accessToken: string;
  /** RS256 public key for the JWT bearer grant; without it that grant is refused. */
  jwtPublicKey: KeyObject | undefined;
  /** Idle time after which an issued token stops working (0: never). */
  sessionTimeoutSeconds: number;
}

interface Session {
  lastUsed: number;
}

const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Audiences Salesforce accepts besides the emulator's own URL. */
const SALESFORCE_AUDIENCES = ['https://login.salesforce.com', 'https://test.salesforce.com'];

/** The emulator's URL as the client reached it (`instance_url`, identity URLs, JWT `aud`). */
export function baseUrlOf(req: EmulatorRequest, fallback: string): string {
  const host = req.headers['host'];
  return host ? `http://${host}` : fallback;
}

/** Issued access tokens and their idle timeout (emulator clock). */
export class Sessions {
  private sessions = new Map<string, Session>();

  constructor(
    private readonly config: OAuthConfig,
    private readonly clock: Clock,
    private readonly rng: Rng,
  ) {}

  /** Issues a token for the org. */
  issue(orgId: string): string {
    const token = `${orgId.slice(0, 15)}!${this.rng.base62(96)}`;
    this.sessions.set(token, { lastUsed: this.clock.now() });
    return token;
  }

  /** Whether `token` is valid now; touching it extends its idle timeout. */
  authenticate(token: string): boolean {
    if (token === this.config.accessToken) return true;
    const s = this.sessions.get(token);
    if (!s) return false;
    const now = this.clock.now();
    const timeout = this.config.sessionTimeoutSeconds * 1000;
    if (timeout > 0 && now - s.lastUsed > timeout) {
      this.sessions.delete(token);
      return false;
    }
    s.lastUsed = now;
    return true;
  }

  /** Ends a session (`/services/oauth2/revoke`). */
  revoke(token: string): void {
    this.sessions.delete(token);
  }
}

const b64urlJson = (part: string): Record<string, unknown> | undefined => {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Checks a JWT bearer assertion as Salesforce does: RS256 signature against the connected
 * app's certificate, `iss` = client id, `aud` = the login URL, `exp` in the future (real
 * time: the client signs with its own clock), `sub` = a username.
 */
function checkAssertion(assertion: string, config: OAuthConfig, audiences: string[]): void {
  const parts = assertion.split('.');
  const header = parts.length === 3 ? b64urlJson(parts[0] as string) : undefined;
  const claims = parts.length === 3 ? b64urlJson(parts[1] as string) : undefined;
  if (!header || !claims) throw oauthError(400, 'invalid_grant', 'invalid assertion');
  if (header['alg'] !== 'RS256')
    throw oauthError(
      400,
      'invalid_grant',
      `invalid assertion: alg must be RS256, got ${String(header['alg'])}`,
    );
  if (!config.jwtPublicKey) {
    throw oauthError(
      400,
      'invalid_grant',
      'JWT bearer flow not configured: no certificate (set SALESFORCE_JWT_PUBLIC_KEY)',
    );
  }
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  const signature = Buffer.from(parts[2] as string, 'base64url');
  if (!verify('RSA-SHA256', signed, config.jwtPublicKey, signature)) {
    throw oauthError(400, 'invalid_grant', 'invalid assertion: signature verification failed');
  }
  if (claims['iss'] !== config.clientId)
    throw oauthError(400, 'invalid_client', 'client identifier invalid');
  const aud = Array.isArray(claims['aud']) ? claims['aud'] : [claims['aud']];
  const norm = (a: unknown): string => String(a).replace(/\/+$/, '');
  if (!aud.some((a) => audiences.includes(norm(a)))) {
    throw oauthError(400, 'invalid_grant', `audience is invalid: expected ${audiences[0]}`);
  }
  const exp = claims['exp'];
  if (typeof exp !== 'number' || exp * 1000 <= Date.now())
    throw oauthError(
      400,
      'invalid_grant',
      'expired authorization code: the assertion has expired (exp)',
    );
  if (typeof claims['sub'] !== 'string' || claims['sub'] === '') {
    throw oauthError(400, 'invalid_grant', 'invalid assertion: sub (the username) is missing');
  }
}

function clientCredentials(
  req: EmulatorRequest,
  form: Record<string, unknown>,
): { id?: string; secret?: string } {
  const basic = /^Basic\s+(.+)$/i.exec(req.headers['authorization'] ?? '')?.[1];
  if (basic) {
    const [id, secret] = Buffer.from(basic, 'base64').toString('utf8').split(':');
    return { id, secret };
  }
  return {
    id: typeof form['client_id'] === 'string' ? form['client_id'] : undefined,
    secret: typeof form['client_secret'] === 'string' ? form['client_secret'] : undefined,
  };
}

/** `/services/oauth2/token`, `/services/oauth2/revoke`, and the identity URL `/id/{org}/{user}`. */
export function oauthRoutes(
  state: SalesforceState,
  sessions: Sessions,
  config: OAuthConfig,
  fallbackUrl: () => string,
): Route[] {
  return [
    {
      method: 'POST',
      path: '/services/oauth2/token',
      handler: (req) => {
        const form = req.form();
        const grant = form['grant_type'];
        const base = baseUrlOf(req, fallbackUrl());
        if (grant === 'client_credentials') {
          const { id, secret } = clientCredentials(req, form);
          if (id !== config.clientId || secret !== config.clientSecret) {
            throw oauthError(400, 'invalid_client', 'invalid client credentials');
          }
        } else if (grant === JWT_GRANT) {
          const assertion = form['assertion'];
          if (typeof assertion !== 'string')
            throw oauthError(400, 'invalid_grant', 'invalid assertion: missing');
          checkAssertion(assertion, config, [base, fallbackUrl(), ...SALESFORCE_AUDIENCES]);
        } else if (grant === 'refresh_token') {
          throw oauthError(400, 'invalid_grant', 'expired access/refresh token');
        } else {
          throw oauthError(400, 'unsupported_grant_type', 'grant type not supported');
        }
        const issuedAt = String(Date.now());
        const id = `${base}/id/${state.orgId}/${state.userId}`;
        return {
          status: 200,
          body: {
            access_token: sessions.issue(state.orgId),
            instance_url: base,
            id,
            token_type: 'Bearer',
            issued_at: issuedAt,
            signature: createHmac('sha256', config.clientSecret)
              .update(id + issuedAt)
              .digest('base64'),
            scope: 'api',
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/services/oauth2/revoke',
      handler: (req) => {
        const token = req.form()['token'] ?? req.searchParams.get('token');
        if (typeof token === 'string') sessions.revoke(token);
        return { status: 200, body: '' };
      },
    },
    {
      method: 'GET',
      path: '/id/:orgId/:userId',
      handler: (req) => {
        const token =
          /^Bearer\s+(.+)$/i.exec(req.headers['authorization'] ?? '')?.[1] ??
          req.searchParams.get('oauth_token') ??
          '';
        if (!sessions.authenticate(token))
          throw new SalesforceError(403, 'Bad_OAuth_Token', 'Bad_OAuth_Token');
        if (req.params['orgId'] !== state.orgId || req.params['userId'] !== state.userId) {
          throw new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
        }
        const base = baseUrlOf(req, fallbackUrl());
        const user = state.get(state.userId)?.record ?? {};
        const data = `${base}/services/data/v{version}`;
        return {
          status: 200,
          body: {
            id: `${base}/id/${state.orgId}/${state.userId}`,
            asserted_user: true,
            user_id: state.userId,
            organization_id: state.orgId,
            username: user['Username'],
            nick_name: 'integration',
            display_name: user['Name'],
            email: user['Email'],
            active: true,
            user_type: 'STANDARD',
            language: 'en_US',
            locale: 'en_US',
            utcOffset: 0,
            urls: {
              rest: `${data}/`,
              sobjects: `${data}/sobjects/`,
              query: `${data}/query/`,
              recent: `${data}/recent/`,
              limits: `${data}/limits/`,
              profile: `${base}/${state.userId}`,
            },
          },
        };
      },
    },
  ];
}
