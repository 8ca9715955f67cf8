import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../../test/support/api-harness.ts';
import { createApiServer } from './create-api-server.ts';

describe('key management and error bodies through the API [sqlite]', () => {
  let h: ApiHarness;

  beforeEach(async () => {
    h = await startApiHarness('sqlite');
  });
  afterEach(async () => h.close());

  it('creates a key shown once, which then authenticates with its role, until revoked', async () => {
    const created = await h.call('admin', 'POST', '/v1/keys', {
      name: 'dashboard',
      role: 'viewer',
    });
    expect(created.statusCode).toBe(201);
    const { key, apiKey } = created.json();
    expect(key).toMatch(/^rsk_[a-z0-9]+_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({
      name: 'dashboard',
      role: 'viewer',
      createdBy: 'admin-key',
      bootstrap: false,
    });

    const use = (method: 'GET' | 'POST', url: string, payload?: object) =>
      h.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${key}` },
        ...(payload && { payload }),
      });
    expect((await use('GET', '/v1/runs')).statusCode).toBe(200);
    expect((await use('POST', '/v1/replay', { entityKey: 'x' })).statusCode).toBe(403);
    const whoami = await use('GET', '/v1/whoami');
    expect(whoami.statusCode).toBe(200);
    expect(whoami.json()).toEqual({ name: 'dashboard', role: 'viewer', scopes: null });
    expect((await h.call('operator', 'GET', '/v1/whoami')).json()).toEqual({
      name: 'operator-key',
      role: 'operator',
      scopes: null,
    });

    const list = (await h.call('admin', 'GET', '/v1/keys')).json().keys;
    expect(list.map((k: { name: string }) => k.name)).toEqual([
      'viewer-key',
      'operator-key',
      'approver-key',
      'admin-key',
      'dashboard',
    ]);
    expect(JSON.stringify(list)).not.toContain(key.replace(/^rsk_[a-z0-9]+_/, ''));
    expect((await h.call('operator', 'GET', '/v1/keys')).statusCode).toBe(403);

    const dup = await h.call('admin', 'POST', '/v1/keys', { name: 'dashboard', role: 'admin' });
    expect(dup.statusCode).toBe(409);
    const revoked = await h.call('admin', 'DELETE', `/v1/keys/${apiKey.id}`);
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().apiKey).toMatchObject({ revokedBy: 'admin-key' });
    const refused = await use('GET', '/v1/runs');
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe('unauthorized');
    const withRevoked = (await h.call('admin', 'GET', '/v1/keys?includeRevoked=true')).json().keys;
    expect(withRevoked).toHaveLength(5);
    expect(withRevoked[4]).toMatchObject({ name: 'dashboard', revokedAtMs: expect.any(Number) });
    expect((await h.call('admin', 'GET', '/v1/keys')).json().keys).toHaveLength(4);
    expect((await h.call('admin', 'DELETE', '/v1/keys/viewer01')).statusCode).toBe(409);
    const audit = (await h.call('viewer', 'GET', '/v1/audit?targetType=api_key')).json().entries;
    expect(audit.map((a: { action: string; actor: string }) => [a.action, a.actor])).toEqual([
      ['api_key.revoke', 'admin-key'],
      ['api_key.create', 'admin-key'],
    ]);
  });

  it('answers every failure with { error: { code, message, details? } }', async () => {
    const cases = [
      { res: await h.call('viewer', 'GET', '/v1/no/such/route'), status: 404, code: 'not_found' },
      { res: await h.call(null, 'DELETE', '/v1/health'), status: 404, code: 'not_found' },
      {
        res: await h.app.inject({
          method: 'POST',
          url: '/v1/replay',
          headers: {
            authorization: 'Bearer rsk_operator01_operator-secret-00000000000001',
            'content-type': 'application/json',
          },
          payload: '{"entityKey":',
        }),
        status: 400,
        code: 'invalid_request',
      },
      {
        res: await h.app.inject({
          method: 'POST',
          url: '/v1/replay',
          headers: {
            authorization: 'Bearer rsk_operator01_operator-secret-00000000000001',
            'content-type': 'application/xml',
          },
          payload: 'entityKey=x',
        }),
        status: 415,
        code: 'invalid_request',
      },
      {
        res: await h.call('operator', 'POST', '/v1/replay', { entityKey: 5 }),
        status: 400,
        code: 'invalid_request',
      },
      {
        res: await h.call('viewer', 'GET', '/v1/runs?limit=many'),
        status: 400,
        code: 'invalid_request',
      },
    ];
    for (const { res, status, code } of cases) {
      expect(res.statusCode, res.body).toBe(status);
      expect(res.headers['content-type']).toContain('application/json');
      const body = res.json();
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error).toMatchObject({ code, message: expect.any(String) });
    }
  });

  it('hides the message of an unexpected failure and logs it instead', async () => {
    const spy = h.store.runs.list;
    h.store.runs.list = async () => {
      throw new Error('SQLITE_CORRUPT: secret table layout');
    };
    try {
      const res = await h.call('viewer', 'GET', '/v1/runs');
      expect(res.statusCode).toBe(500);
      expect(res.json().error.code).toBe('internal');
      expect(res.body).not.toContain('SQLITE_CORRUPT');
    } finally {
      h.store.runs.list = spy;
    }
  });

  it('reports liveness and readiness without a key', async () => {
    const health = await h.call(null, 'GET', '/v1/health');
    expect(health.json()).toMatchObject({ status: 'ok', time: '2026-01-01T12:00:00.000Z' });
    const ready = await h.call(null, 'GET', '/v1/ready');
    expect(ready.json()).toEqual({ status: 'ready', store: 'sqlite' });
    const ping = h.store.ping;
    h.store.ping = async () => {
      throw new Error('database is locked');
    };
    try {
      const down = await h.call(null, 'GET', '/v1/ready');
      expect(down.statusCode).toBe(503);
      expect(down.json().error).toMatchObject({ code: 'unavailable' });
    } finally {
      h.store.ping = ping;
    }
  });

  it('refuses to start with a malformed bootstrap key', async () => {
    await expect(
      createApiServer(
        { store: h.store, engine: h.engine },
        { bootstrapKeys: [{ name: 'demo', role: 'admin', key: 'letmein' }] },
      ),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });
});
