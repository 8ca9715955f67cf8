import { generateKeyPairSync, sign } from 'node:crypto';
import { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from './index.ts';
import { call, connect, rejection } from './test-helpers.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });

function jwt(claims: Record<string, unknown>, key = privateKey): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${sign('RSA-SHA256', Buffer.from(unsigned), key).toString('base64url')}`;
}

let sf: RunningSalesforceEmulator;

beforeAll(async () => {
  sf = await startSalesforceEmulator({
    port: 0,
    jwtPublicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sessionTimeoutSeconds: 3600,
  });
});
afterAll(() => sf.close());

const oauthConnection = (clientSecret = sf.clientSecret): Connection =>
  new Connection({
    oauth2: { clientId: sf.clientId, clientSecret, loginUrl: sf.url },
    loginUrl: sf.url,
  });

describe('OAuth token endpoint', () => {
  it('grants client credentials and the token works on the REST API', async () => {
    const conn = oauthConnection();
    const user = await conn.authorize({ grant_type: 'client_credentials' });
    expect(conn.instanceUrl).toBe(sf.url);
    expect(conn.accessToken).toMatch(/^00D\w{12}!\w+$/);
    expect(user.organizationId).toBe(sf.state.orgId);
    expect(user.id).toBe(sf.state.userId);
    const created = await conn.sobject('Account').create({ Name: 'Token Co' });
    expect(created.success).toBe(true);
    const identity = await conn.identity();
    expect(identity.user_id).toBe(sf.state.userId);
  });

  it('answers the token fields Salesforce answers', async () => {
    const res = await fetch(`${sf.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: sf.clientId,
        client_secret: sf.clientSecret,
      }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(200);
    expect(Object.keys(body).sort()).toEqual([
      'access_token',
      'id',
      'instance_url',
      'issued_at',
      'scope',
      'signature',
      'token_type',
    ]);
    expect(body['token_type']).toBe('Bearer');
    expect(body['id']).toBe(`${sf.url}/id/${sf.state.orgId}/${sf.state.userId}`);
  });

  it('refuses a wrong client secret with invalid_client', async () => {
    const err = await rejection(
      oauthConnection('wrong').authorize({ grant_type: 'client_credentials' }),
    );
    expect(err.name).toBe('invalid_client');
    expect(err.message).toBe('invalid client credentials');
  });

  it('logs in with a JWT bearer assertion signed by the configured key', async () => {
    const conn = new Connection({
      oauth2: { clientId: sf.clientId, loginUrl: sf.url },
      loginUrl: sf.url,
    });
    const assertion = jwt({
      iss: sf.clientId,
      sub: 'integration@revsync.local',
      aud: sf.url,
      exp: Math.floor(Date.now() / 1000) + 180,
    });
    await conn.authorize({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion });
    expect(conn.refreshToken).toBeFalsy();
    const res = await conn.query<{ Id: string }>('SELECT Id FROM Account');
    expect(res.totalSize).toBeGreaterThanOrEqual(0);
  });

  it('refuses bad JWT assertions with invalid_grant / invalid_client', async () => {
    const base = {
      iss: sf.clientId,
      sub: 'integration@revsync.local',
      aud: sf.url,
      exp: Math.floor(Date.now() / 1000) + 180,
    };
    const attempt = async (assertion: string): Promise<Error> => {
      const conn = new Connection({ oauth2: { loginUrl: sf.url }, loginUrl: sf.url });
      return rejection(
        conn.authorize({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
      );
    };
    expect((await attempt(jwt(base, other.privateKey))).name).toBe('invalid_grant');
    expect((await attempt(jwt({ ...base, aud: 'https://elsewhere.example' }))).message).toMatch(
      /audience is invalid/,
    );
    expect(
      (await attempt(jwt({ ...base, exp: Math.floor(Date.now() / 1000) - 10 }))).message,
    ).toMatch(/expired/);
    expect((await attempt(jwt({ ...base, iss: 'someone-else' }))).name).toBe('invalid_client');
    expect((await attempt('not.a.jwt')).name).toBe('invalid_grant');
  });

  it('accepts the fixed access token from the options', async () => {
    const conn = connect(sf);
    const res = await conn.sobject('Account').create({ Name: 'Fixed Token Co' });
    expect(res.success).toBe(true);
  });
});

describe('REST API authentication', () => {
  it('answers 401 INVALID_SESSION_ID for an unknown token', async () => {
    const res = await fetch(`${sf.url}/services/data/v62.0/sobjects/Account`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual([
      { message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' },
    ]);
    const conn = new Connection({ instanceUrl: sf.url, accessToken: 'nope' });
    expect((await rejection(conn.query('SELECT Id FROM Account'))).errorCode).toBe(
      'INVALID_SESSION_ID',
    );
  });

  it('expires an issued token after the idle timeout (emulator clock)', async () => {
    const conn = oauthConnection();
    await conn.authorize({ grant_type: 'client_credentials' });
    await conn.query('SELECT Id FROM Account');
    sf.app.clock.advance(3601 * 1000);
    const err = await rejection(conn.query('SELECT Id FROM Account'));
    // jsforce tries to refresh on 401; client credentials give no refresh token.
    expect(err.message).toMatch(/refresh token/i);
    expect((await call(sf, 'GET', '/services/data/v62.0/limits')).status).toBe(200);
  });

  it('serves any vNN.N version and lists versions without auth', async () => {
    const versions = await fetch(`${sf.url}/services/data`).then(
      (r) => r.json() as Promise<{ version: string }[]>,
    );
    expect(versions.map((v) => v.version)).toContain('62.0');
    expect((await call(sf, 'GET', '/services/data/v31.0/sobjects')).status).toBe(200);
    const bad = await call(sf, 'GET', '/services/data/latest/sobjects');
    expect(bad.status).toBe(404);
    expect(bad.body).toEqual([
      { message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' },
    ]);
  });
});
