import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNetsuiteEmulator, type NetsuiteEmulator } from './index.ts';
import { parseOAuthHeader, signatureBaseString } from './oauth.ts';
import { createNetsuiteTestClient } from './test-client.ts';

let emu: NetsuiteEmulator;
beforeAll(async () => {
  emu = await startNetsuiteEmulator({ port: 0, accessToken: 'bearer-token-1' });
});
afterAll(() => emu.close());

const CUSTOMERS = '/services/rest/record/v1/customer';

function expectLoginError(res: { status: number; body: unknown; headers: Headers }) {
  expect(res.status).toBe(401);
  expect(res.headers.get('content-type')).toContain('application/vnd.oracle.resource+json');
  expect(res.body).toMatchObject({
    title: 'Unauthorized',
    status: 401,
    'o:errorDetails': [
      { 'o:errorCode': 'INVALID_LOGIN', detail: expect.stringMatching(/^Invalid login attempt/) },
    ],
  });
}

describe('OAuth 1.0a Token-Based Authentication', () => {
  it('accepts a request signed by oauth-1.0a with HMAC-SHA256, query parameters included', async () => {
    const client = createNetsuiteTestClient(emu);
    const res = await client.get(
      `${CUSTOMERS}?limit=5&q=${encodeURIComponent('email START_WITH "x"')}`,
    );
    expect(res.status).toBe(200);
  });

  it('computes the same base string as the oauth-1.0a package', () => {
    const oauth = new OAuth({
      consumer: { key: 'ck', secret: 'cs' },
      signature_method: 'HMAC-SHA256',
      hash_function: (base, key) => createHmac('sha256', key).update(base).digest('base64'),
    });
    const url = 'http://127.0.0.1:1/services/rest/record/v1/customer?q=a%20b%21&limit=2';
    const data = oauth.authorize({ url, method: 'GET' }, { key: 'tk', secret: 'ts' });
    // authorize() merges the query into what it returns; keep only the protocol parameters.
    const params = Object.entries(data).filter(
      ([k]) => k.startsWith('oauth_') && k !== 'oauth_signature',
    ) as [string, string][];
    const ours = signatureBaseString('GET', 'http://127.0.0.1:1/services/rest/record/v1/customer', [
      ...params,
      ['q', 'a b!'],
      ['limit', '2'],
    ]);
    expect(ours).toBe(
      oauth.getBaseString(
        { url, method: 'GET' },
        Object.fromEntries(params) as unknown as OAuth.Data,
      ),
    );
  });

  it('parses the Authorization header oauth-1.0a writes', () => {
    const header = createNetsuiteTestClient(emu).authorization('GET', `${emu.url}${CUSTOMERS}`);
    const params = parseOAuthHeader(header);
    expect(params?.get('realm')).toBe(emu.accountId);
    expect(params?.get('oauth_signature_method')).toBe('HMAC-SHA256');
    expect(params?.get('oauth_token')).toBe(emu.credentials.tokenId);
  });

  it('refuses a request without an Authorization header', async () => {
    const res = await fetch(`${emu.url}${CUSTOMERS}`);
    expectLoginError({ status: res.status, body: await res.json(), headers: res.headers });
  });

  it('refuses a bad signature (wrong token secret)', async () => {
    const client = createNetsuiteTestClient({
      url: emu.url,
      credentials: { ...emu.credentials, tokenSecret: 'not-the-secret' },
    });
    expectLoginError(await client.get(CUSTOMERS));
  });

  it('refuses a signature over another URL', async () => {
    const client = createNetsuiteTestClient(emu);
    const header = client.authorization('GET', `${emu.url}/services/rest/record/v1/invoice`);
    const res = await fetch(`${emu.url}${CUSTOMERS}`, { headers: { authorization: header } });
    expect(res.status).toBe(401);
  });

  it('refuses a realm other than the account id', async () => {
    const client = createNetsuiteTestClient({
      url: emu.url,
      credentials: { ...emu.credentials, accountId: 'TSTDRV0000000' },
    });
    expectLoginError(await client.get(CUSTOMERS));
  });

  it('refuses an unknown consumer key', async () => {
    const client = createNetsuiteTestClient({
      url: emu.url,
      credentials: { ...emu.credentials, consumerKey: 'someone-else' },
    });
    expectLoginError(await client.get(CUSTOMERS));
  });

  it('refuses a timestamp more than five minutes old or ahead', async () => {
    const stale = createNetsuiteTestClient({ ...emu, now: () => Date.now() - 6 * 60_000 });
    expectLoginError(await stale.get(CUSTOMERS));
    const ahead = createNetsuiteTestClient({ ...emu, now: () => Date.now() + 6 * 60_000 });
    expectLoginError(await ahead.get(CUSTOMERS));
    const nearlyStale = createNetsuiteTestClient({ ...emu, now: () => Date.now() - 4 * 60_000 });
    expect((await nearlyStale.get(CUSTOMERS)).status).toBe(200);
  });

  it('checks timestamps against the emulator clock', async () => {
    const local = await startNetsuiteEmulator({ port: 0 });
    try {
      local.clock.advance(60 * 60_000);
      expect((await createNetsuiteTestClient(local).get(CUSTOMERS)).status).toBe(401);
      const onEmulatorTime = createNetsuiteTestClient({ ...local, now: () => local.clock.now() });
      expect((await onEmulatorTime.get(CUSTOMERS)).status).toBe(200);
    } finally {
      await local.close();
    }
  });

  it("with oauthClock 'system', checks timestamps against real time", async () => {
    const local = await startNetsuiteEmulator({ port: 0, oauthClock: 'system' });
    try {
      local.clock.advance(60 * 60_000);
      expect((await createNetsuiteTestClient(local).get(CUSTOMERS)).status).toBe(200);
    } finally {
      await local.close();
    }
  });

  it('refuses a replayed nonce', async () => {
    const header = createNetsuiteTestClient(emu).authorization('GET', `${emu.url}${CUSTOMERS}`);
    const first = await fetch(`${emu.url}${CUSTOMERS}`, { headers: { authorization: header } });
    expect(first.status).toBe(200);
    const replay = await fetch(`${emu.url}${CUSTOMERS}`, { headers: { authorization: header } });
    expectLoginError({ status: replay.status, body: await replay.json(), headers: replay.headers });
  });

  it('refuses HMAC-SHA1', async () => {
    const oauth = new OAuth({
      consumer: { key: emu.credentials.consumerKey, secret: emu.credentials.consumerSecret },
      signature_method: 'HMAC-SHA1',
      hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
      realm: emu.accountId,
    });
    const url = `${emu.url}${CUSTOMERS}`;
    const header = oauth.toHeader(
      oauth.authorize(
        { url, method: 'GET' },
        { key: emu.credentials.tokenId, secret: emu.credentials.tokenSecret },
      ),
    );
    const res = await fetch(url, { headers: { authorization: header.Authorization } });
    expect(res.status).toBe(401);
  });

  it('accepts the configured OAuth 2.0 bearer token and refuses others', async () => {
    const ok = await fetch(`${emu.url}${CUSTOMERS}`, {
      headers: { authorization: 'Bearer bearer-token-1' },
    });
    expect(ok.status).toBe(200);
    const bad = await fetch(`${emu.url}${CUSTOMERS}`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(bad.status).toBe(401);
  });

  it('reads credentials from the environment', async () => {
    const local = await startNetsuiteEmulator({
      port: 0,
      env: { NETSUITE_ACCOUNT_ID: '1234567_SB1', NETSUITE_TOKEN_SECRET: 'env-secret' },
    });
    try {
      expect(local.accountId).toBe('1234567_SB1');
      expect(local.credentials.tokenSecret).toBe('env-secret');
      expect((await createNetsuiteTestClient(local).get(CUSTOMERS)).status).toBe(200);
    } finally {
      await local.close();
    }
  });
});
