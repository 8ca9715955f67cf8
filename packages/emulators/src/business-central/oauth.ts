/**
 * Microsoft Entra ID as the client-credentials flow sees it: the v2.0 token endpoint
 * (`POST /{tenant}/oauth2/v2.0/token`, form body), the tenant's OpenID configuration and the
 * instance-discovery answer `@azure/msal-node` asks for, then bearer checks on the API.
 */
import { createHmac, randomUUID } from 'node:crypto';
import {
  EmulatorHttpError,
  type Clock,
  type EmulatorRequest,
  type Rng,
  type Route,
} from '../kit/index.ts';
import { unauthorized } from './errors.ts';

export interface EntraConfig {
  clientId: string;
  clientSecret: string;
  /** The tenant id (GUID) the app lives in; the token endpoint also accepts its domain names. */
  tenantId: string;
  /** Extra names of the tenant (`contoso.onmicrosoft.com`). */
  tenantAliases: readonly string[];
  /** Access-token lifetime, seconds (Entra: 3599). */
  accessTokenSeconds: number;
  /**
   * Host the discovery documents name (`https://<host>/<tenant>/oauth2/v2.0/token`). Default
   * `login.microsoftonline.com`: a client maps that https authority to the emulator's URL.
   */
  authorityHost: string;
}

export const BC_SCOPE = 'https://api.businesscentral.dynamics.com/.default';
const BC_AUDIENCE = 'https://api.businesscentral.dynamics.com';

const oauthError = (status: number, error: string, description: string, code: number) =>
  new EmulatorHttpError(status, {
    error,
    error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
    error_codes: [code],
    timestamp: new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z',
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  });

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** What a valid bearer token stands for. */
export interface Grant {
  clientId: string;
  tenantId: string;
  expiresAt: number;
}

export class EntraOAuth {
  readonly #config: EntraConfig;
  readonly #clock: Clock;
  readonly #rng: Rng;
  #tokens = new Map<string, Grant>();

  constructor(config: EntraConfig, clock: Clock, rng: Rng) {
    this.#config = config;
    this.#clock = clock;
    this.#rng = rng;
  }

  reset(): void {
    this.#tokens.clear();
  }

  expireAccessTokens(): void {
    for (const g of this.#tokens.values()) g.expiresAt = 0;
  }

  #knowsTenant(tenant: string): boolean {
    const t = tenant.toLowerCase();
    return (
      t === this.#config.tenantId.toLowerCase() ||
      this.#config.tenantAliases.some((a) => a.toLowerCase() === t) ||
      t === 'organizations'
    );
  }

  /** The grant behind the request's bearer token; 401 in BC's shape otherwise. */
  verify(req: EmulatorRequest, tenant: string): Grant {
    const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    const grant = token === undefined ? undefined : this.#tokens.get(token);
    // Real time, not the emulated clock: msal's token cache runs on real time too, so moving the
    // clock days ahead (subscription expiry tests) does not invalidate a cached token.
    if (!grant || grant.expiresAt <= Date.now()) throw unauthorized();
    if (!this.#knowsTenant(tenant)) throw unauthorized();
    return grant;
  }

  #metadata(tenant: string) {
    const base = `https://${this.#config.authorityHost}/${tenant}`;
    const tid = this.#config.tenantId;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: [
        'client_secret_post',
        'private_key_jwt',
        'client_secret_basic',
      ],
      jwks_uri: `https://${this.#config.authorityHost}/${tenant}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `https://login.microsoftonline.com/${tid}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid'],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: 'NA',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    };
  }

  routes(): Route[] {
    const host = this.#config.authorityHost;
    return [
      {
        method: 'GET',
        path: '/:tenant/v2.0/.well-known/openid-configuration',
        handler: (req) => {
          const tenant = req.params['tenant'] ?? '';
          if (!this.#knowsTenant(tenant) && tenant !== 'common') {
            throw oauthError(400, 'invalid_tenant', `Tenant '${tenant}' not found.`, 90002);
          }
          return { status: 200, body: this.#metadata(tenant) };
        },
      },
      {
        method: 'GET',
        path: '/common/discovery/instance',
        handler: (req) => {
          const authorize = req.searchParams.get('authorization_endpoint') ?? '';
          const tenant = /\/\/[^/]+\/([^/]+)\//.exec(authorize)?.[1] ?? this.#config.tenantId;
          return {
            status: 200,
            body: {
              tenant_discovery_endpoint: `https://${host}/${tenant}/v2.0/.well-known/openid-configuration`,
              'api-version': '1.1',
              metadata: [
                {
                  preferred_network: host,
                  preferred_cache: host,
                  aliases: [host],
                },
              ],
            },
          };
        },
      },
      {
        method: 'POST',
        path: '/:tenant/oauth2/v2.0/token',
        handler: (req) => this.#token(req),
      },
    ];
  }

  #token(req: EmulatorRequest) {
    const tenant = req.params['tenant'] ?? '';
    if (!this.#knowsTenant(tenant)) {
      throw oauthError(
        400,
        'invalid_request',
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        90002,
      );
    }
    const form = req.form();
    let clientId = typeof form.client_id === 'string' ? form.client_id : undefined;
    let secret = typeof form.client_secret === 'string' ? form.client_secret : undefined;
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (basic) {
      const [id, s] = Buffer.from(basic, 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id ?? '');
      secret = decodeURIComponent(s ?? '');
    }
    if (form.grant_type !== 'client_credentials') {
      throw oauthError(
        400,
        'unsupported_grant_type',
        `The grant type '${String(form.grant_type)}' is not supported by the emulator (client_credentials only).`,
        70003,
      );
    }
    if (clientId !== this.#config.clientId) {
      throw oauthError(
        400,
        'unauthorized_client',
        `Application with identifier '${String(clientId)}' was not found in the directory.`,
        700016,
      );
    }
    if (secret !== this.#config.clientSecret) {
      throw oauthError(
        401,
        'invalid_client',
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
        7000215,
      );
    }
    const scopes = String(form.scope ?? '')
      .split(/\s+/)
      .filter(Boolean);
    if (!scopes.includes(BC_SCOPE)) {
      throw oauthError(
        400,
        'invalid_scope',
        `The provided value for the input parameter 'scope' is not valid. The scope ${scopes.join(' ')} is not valid (expected ${BC_SCOPE}).`,
        1002012,
      );
    }
    const now = this.#clock.now();
    const exp = Math.floor(now / 1000) + this.#config.accessTokenSeconds;
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: 'emulator' }));
    const payload = b64url(
      JSON.stringify({
        aud: BC_AUDIENCE,
        iss: `https://sts.windows.net/${this.#config.tenantId}/`,
        iat: Math.floor(now / 1000),
        nbf: Math.floor(now / 1000),
        exp,
        appid: clientId,
        idtyp: 'app',
        roles: ['API.ReadWrite.All', 'Automation.ReadWrite.All'],
        tid: this.#config.tenantId,
        jti: this.#rng.base62(22),
      }),
    );
    const sig = createHmac('sha256', this.#config.clientSecret)
      .update(`${header}.${payload}`)
      .digest('base64url');
    const accessToken = `${header}.${payload}.${sig}`;
    this.#tokens.set(accessToken, {
      clientId,
      tenantId: this.#config.tenantId,
      expiresAt: Date.now() + this.#config.accessTokenSeconds * 1000,
    });
    return {
      status: 200,
      headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
      body: {
        token_type: 'Bearer',
        expires_in: this.#config.accessTokenSeconds,
        ext_expires_in: this.#config.accessTokenSeconds,
        access_token: accessToken,
      },
    };
  }
}
