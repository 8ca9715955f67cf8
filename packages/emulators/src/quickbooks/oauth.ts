/**
 * Intuit's OAuth 2.0 as `intuit-oauth` speaks it: the consent redirect (`/connect/oauth2`, which
 * the emulator grants at once for the default realm), the token endpoint
 * (`/oauth2/v1/tokens/bearer`: `authorization_code` and `refresh_token` grants, client
 * credentials in HTTP Basic, a form body) and revocation; then bearer checks on the API.
 */
import {
  EmulatorHttpError,
  type Clock,
  type EmulatorRequest,
  type Rng,
  type Route,
} from '../kit/index.ts';
import { authenticationFailed, authorizationFailed } from './errors.ts';

/** The app's credentials and each realm's initial refresh token. */
export interface QuickbooksOAuthConfig {
  clientId: string;
  clientSecret: string;
  /** The realm the consent redirect connects. */
  defaultRealmId: string;
  /** realmId → the refresh token valid from the start (as if the app was connected before). */
  refreshTokens: Record<string, string>;
  /** Access token lifetime, seconds (Intuit: 3600). */
  accessTokenSeconds: number;
}

/** Intuit keeps a refresh token valid for 100 days (`x_refresh_token_expires_in`). */
const REFRESH_TOKEN_SECONDS = 8_726_400;

const oauthError = (status: number, error: string, description: string) =>
  new EmulatorHttpError(status, { error, error_description: description });

/** Tokens issued, and the routes that issue them. */
export class QuickbooksOAuth {
  readonly #config: QuickbooksOAuthConfig;
  readonly #clock: Clock;
  readonly #rng: Rng;
  #refresh = new Map<string, string>();
  #access = new Map<string, { realmId: string; expiresAt: number }>();
  #codes = new Map<string, { realmId: string; redirectUri: string; expiresAt: number }>();

  constructor(config: QuickbooksOAuthConfig, clock: Clock, rng: Rng) {
    this.#config = config;
    this.#clock = clock;
    this.#rng = rng;
    this.reset();
  }

  /** Forgets every issued token; the configured refresh tokens are valid again. */
  reset(): void {
    this.#refresh = new Map(
      Object.entries(this.#config.refreshTokens).map(([realm, t]) => [t, realm]),
    );
    this.#access.clear();
    this.#codes.clear();
  }

  /** Makes every access token expired (tests of the refresh path). */
  expireAccessTokens(): void {
    for (const t of this.#access.values()) t.expiresAt = 0;
  }

  /** The realm a request's bearer token is for; 401 when absent, unknown or expired, 403 for another realm. */
  verify(req: EmulatorRequest, realmId: string): void {
    const header = req.headers.authorization ?? '';
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    const grant = token === undefined ? undefined : this.#access.get(token);
    if (!grant || grant.expiresAt <= this.#clock.now()) throw authenticationFailed();
    if (grant.realmId !== realmId) throw authorizationFailed(realmId);
  }

  routes(): Route[] {
    return [
      {
        method: 'GET',
        path: '/connect/oauth2',
        handler: (req) => {
          const q = req.searchParams;
          const redirect = q.get('redirect_uri');
          if (q.get('client_id') !== this.#config.clientId || !redirect) {
            throw oauthError(400, 'invalid_request', 'unknown client_id or no redirect_uri');
          }
          const code = `AB${this.#rng.base62(40)}`;
          const realmId = this.#config.defaultRealmId;
          this.#codes.set(code, {
            realmId,
            redirectUri: redirect,
            expiresAt: this.#clock.now() + 5 * 60_000,
          });
          const to = new URL(redirect);
          to.searchParams.set('code', code);
          if (q.get('state') !== null) to.searchParams.set('state', q.get('state')!);
          to.searchParams.set('realmId', realmId);
          return { status: 302, headers: { location: to.toString() } };
        },
      },
      { method: 'POST', path: '/oauth2/v1/tokens/bearer', handler: (req) => this.#token(req) },
      {
        method: 'POST',
        path: '/oauth2/v1/tokens/revoke',
        handler: (req) => {
          this.#client(req);
          const body = (req.body ?? {}) as { token?: unknown };
          const token = typeof body.token === 'string' ? body.token : '';
          this.#refresh.delete(token);
          this.#access.delete(token);
          return { status: 200, body: '' };
        },
      },
    ];
  }

  /** Issues a code for `realmId` as the consent page would (tests of `createToken`). */
  issueCode(realmId: string, redirectUri: string): string {
    const code = `AB${this.#rng.base62(40)}`;
    this.#codes.set(code, { realmId, redirectUri, expiresAt: this.#clock.now() + 5 * 60_000 });
    return code;
  }

  #client(req: EmulatorRequest): void {
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const [id, secret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [];
    if (id !== this.#config.clientId || secret !== this.#config.clientSecret) {
      throw oauthError(401, 'invalid_client', 'client authentication failed');
    }
  }

  #token(req: EmulatorRequest) {
    this.#client(req);
    const form = req.form();
    const grant = form.grant_type;
    let realmId: string;
    let refreshToken: string;
    if (grant === 'authorization_code') {
      const code = this.#codes.get(String(form.code ?? ''));
      this.#codes.delete(String(form.code ?? ''));
      if (!code || code.expiresAt <= this.#clock.now()) {
        throw oauthError(400, 'invalid_grant', 'the authorization code is invalid or expired');
      }
      if (form.redirect_uri !== code.redirectUri) {
        throw oauthError(
          400,
          'invalid_grant',
          'redirect_uri does not match the authorization request',
        );
      }
      realmId = code.realmId;
      refreshToken = `RT1-${this.#rng.base62(44)}`;
      this.#refresh.set(refreshToken, realmId);
    } else if (grant === 'refresh_token') {
      refreshToken = String(form.refresh_token ?? '');
      const realm = this.#refresh.get(refreshToken);
      if (realm === undefined)
        throw oauthError(400, 'invalid_grant', 'Incorrect or invalid refresh token');
      realmId = realm;
    } else {
      throw oauthError(
        400,
        'unsupported_grant_type',
        `grant_type ${String(grant)} is not supported`,
      );
    }
    const accessToken = `eyJlbmMiOiJBMTI4Q0JDLUhTMjU2${this.#rng.base62(120)}`;
    this.#access.set(accessToken, {
      realmId,
      expiresAt: this.#clock.now() + this.#config.accessTokenSeconds * 1000,
    });
    return {
      status: 200,
      headers: { intuit_tid: `1-${this.#rng.hex(24)}` },
      body: {
        token_type: 'bearer',
        access_token: accessToken,
        // Intuit answers the same refresh token until it rotates it (about daily).
        refresh_token: refreshToken,
        expires_in: this.#config.accessTokenSeconds,
        x_refresh_token_expires_in: REFRESH_TOKEN_SECONDS,
      },
    };
  }
}
