import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../../test/support/api-harness.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { scopeOf } from './route-spec.ts';
import { API_ROUTES } from './routes/index.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

for (const dialect of DIALECTS) {
  describe(`API key expiry, rotation and scopes through the API [${dialect}]`, () => {
    let h: ApiHarness;

    beforeEach(async () => {
      h = await startApiHarness(dialect);
    });
    afterEach(async () => h.close());

    const as = (key: string, method: 'GET' | 'POST', url: string, payload?: object) =>
      h.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${key}` },
        ...(payload && { payload }),
      });

    it('refuses an expired key with 401 api_key_expired', async () => {
      const created = await h.call('admin', 'POST', '/v1/keys', {
        name: 'short-lived',
        role: 'viewer',
        expiresIn: '90d',
      });
      expect(created.statusCode).toBe(201);
      const { key, apiKey } = created.json();
      expect(apiKey.expiresAtMs).toBe(h.clock.now() + 90 * DAY);
      expect((await as(key, 'GET', '/v1/runs')).statusCode).toBe(200);

      h.clock.advance(90 * DAY);
      const refused = await as(key, 'GET', '/v1/runs');
      expect(refused.statusCode).toBe(401);
      expect(refused.json().error).toMatchObject({
        code: 'api_key_expired',
        message: expect.stringContaining('expired at'),
      });

      const both = await h.call('admin', 'POST', '/v1/keys', {
        name: 'x',
        role: 'viewer',
        expiresIn: '1d',
        expiresAt: '2030-01-01T00:00:00Z',
      });
      expect(both.statusCode).toBe(400);
      const badDuration = await h.call('admin', 'POST', '/v1/keys', {
        name: 'x',
        role: 'viewer',
        expiresIn: 'soon',
      });
      expect(badDuration.statusCode).toBe(400);
    });

    it('rotates a key: both secrets work during the grace period, then only the new one', async () => {
      const { key: oldKey, apiKey } = (
        await h.call('admin', 'POST', '/v1/keys', { name: 'erp-sync', role: 'operator' })
      ).json();
      const rotated = await h.call('admin', 'POST', `/v1/keys/${apiKey.id}/rotate`, {
        grace: '24h',
      });
      expect(rotated.statusCode).toBe(200);
      const { key: newKey, apiKey: after } = rotated.json();
      expect(newKey).not.toBe(oldKey);
      expect(newKey.startsWith(`rsk_${apiKey.id}_`)).toBe(true);
      expect(after).toMatchObject({
        id: apiKey.id,
        name: 'erp-sync',
        role: 'operator',
        rotatedAtMs: h.clock.now(),
        previousSecretExpiresAtMs: h.clock.now() + DAY,
      });
      for (const key of [oldKey, newKey]) {
        expect((await as(key, 'GET', '/v1/whoami')).json()).toMatchObject({ name: 'erp-sync' });
      }
      h.clock.advance(DAY);
      const old = await as(oldKey, 'GET', '/v1/runs');
      expect(old.statusCode).toBe(401);
      expect(old.json().error.code).toBe('api_key_expired');
      expect((await as(newKey, 'GET', '/v1/runs')).statusCode).toBe(200);

      // Nothing asked: the default grace (24 h).
      const again = await h.call('admin', 'POST', `/v1/keys/${apiKey.id}/rotate`, {});
      expect(again.statusCode).toBe(200);
      expect(again.json().apiKey.previousSecretExpiresAtMs).toBe(h.clock.now() + DAY);

      expect(
        (await h.call('operator', 'POST', `/v1/keys/${apiKey.id}/rotate`, {})).statusCode,
      ).toBe(403);
      expect((await h.call('admin', 'POST', '/v1/keys/nosuchkey/rotate', {})).statusCode).toBe(404);
      // Configured keys change in the configuration.
      expect((await h.call('admin', 'POST', '/v1/keys/admin01/rotate', {})).statusCode).toBe(409);

      const audit = await h.store.audit.list(h.store.db, { targetType: 'api_key' });
      expect(audit.filter((a) => a.action === 'api_key.rotate')).toHaveLength(2);
    });

    it('limits a scoped key to its scopes (403 insufficient_scope), on top of its role', async () => {
      const created = await h.call('admin', 'POST', '/v1/keys', {
        name: 'metering',
        role: 'operator',
        scopes: ['usage:write'],
      });
      expect(created.statusCode).toBe(201);
      const { key, apiKey } = created.json();
      expect(apiKey.scopes).toEqual(['usage:write']);

      // Past the access check: no usage ingest in this harness answers 503, not 403.
      const usage = await as(key, 'POST', '/v1/usage', { records: [] });
      expect(usage.statusCode).not.toBe(403);
      expect(usage.statusCode).not.toBe(401);
      for (const [method, url] of [
        ['GET', '/v1/runs'],
        ['POST', '/v1/replay'],
        ['GET', '/v1/usage'],
        ['GET', '/v1/exceptions'],
        ['GET', '/v1/connections'],
      ] as const) {
        const refused = await as(key, method, url, method === 'POST' ? { entityKey: 'x' } : {});
        if (url === '/v1/usage') continue; // no GET /v1/usage route: 404 either way
        expect(refused.statusCode, `${method} ${url}`).toBe(403);
        expect(refused.json().error).toMatchObject({
          code: 'insufficient_scope',
          message: expect.stringContaining('usage:write'),
        });
      }
      // Any valid key may ask who it is.
      expect((await as(key, 'GET', '/v1/whoami')).json()).toEqual({
        name: 'metering',
        role: 'operator',
        scopes: ['usage:write'],
      });

      // Scopes never widen the role: a viewer with runs:write still cannot replay.
      const viewer = (
        await h.call('admin', 'POST', '/v1/keys', {
          name: 'reader',
          role: 'viewer',
          scopes: ['*:read', 'runs:write'],
        })
      ).json().key;
      expect((await as(viewer, 'GET', '/v1/audit')).statusCode).toBe(200);
      expect((await as(viewer, 'POST', '/v1/replay', { entityKey: 'x' })).statusCode).toBe(403);

      const unknown = await h.call('admin', 'POST', '/v1/keys', {
        name: 'typo',
        role: 'viewer',
        scopes: ['usgae:write'],
      });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().error.message).toContain('unknown area');
    });
  });
}

describe('route scopes', () => {
  it('gives every authenticated route a scope <tag>:<read|write>, except whoami', () => {
    for (const route of API_ROUTES) {
      const scope = scopeOf(route);
      if (route.url === '/v1/whoami') expect(scope).toBeNull();
      else expect(scope).toBe(`${route.tag}:${route.method === 'GET' ? 'read' : 'write'}`);
    }
    expect(scopeOf(API_ROUTES.find((r) => r.url === '/v1/usage')!)).toBe('usage:write');
  });
});
