import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, TEST_KEYS, type ApiHarness } from '../../test/support/api-harness.ts';
import type { Role } from '../governance/roles.ts';
import { routesOf, type RegisteredRoute } from './create-api-server.ts';

const UNLIMITED = { ratePerSecond: 0, burst: 0 };

/** A concrete URL for a route pattern; the SSE route gets a filter that fails before streaming. */
function urlOf(route: RegisteredRoute): string {
  const url = route.url.replace(/:([A-Za-z]+)/g, 'x');
  return url === '/v1/events' ? `${url}?types=not-an-event` : url;
}

function expectErrorShape(body: unknown, code: string) {
  expect(body).toEqual({
    error: expect.objectContaining({ code, message: expect.any(String) }),
  });
  expect(Object.keys((body as { error: object }).error).sort()).toEqual(
    expect.arrayContaining(['code', 'message']),
  );
}

const WEAKER: Record<Role, Role | null> = {
  viewer: null,
  operator: 'viewer',
  approver: 'operator',
  admin: 'approver',
};

describe('API access [sqlite]', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiHarness('sqlite', {
      rateLimits: { viewer: UNLIMITED, operator: UNLIMITED, approver: UNLIMITED, admin: UNLIMITED },
    });
  });
  afterAll(async () => h.close());

  it('registers the routes the API promises, each with an access level', () => {
    const all = routesOf(h.app);
    for (const r of all) expect(r.access, `${r.method} ${r.url}`).toBeDefined();
    // The dashboard's page and files are public (the page holds no data) and nothing else.
    expect(
      all
        .filter((r) => r.surface === 'dashboard')
        .map((r) => `${r.method} ${r.url} ${r.access}`)
        .sort(),
    ).toEqual([
      'GET / public',
      'GET /ui/app.css public',
      'GET /ui/app.js public',
      'GET /ui/app.js.map public',
    ]);
    const routes = all.filter((r) => r.surface === 'api');
    expect(routes.length).toBeGreaterThanOrEqual(25);
    for (const r of routes) expect(r.access, `${r.method} ${r.url}`).toBeDefined();
    const byAccess = (access: string) =>
      routes
        .filter((r) => r.access === access)
        .map((r) => `${r.method} ${r.url}`)
        .sort();
    expect(byAccess('public')).toEqual(['GET /v1/health', 'GET /v1/openapi.json', 'GET /v1/ready']);
    expect(byAccess('admin')).toEqual([
      'DELETE /v1/keys/:id',
      'GET /v1/keys',
      'POST /v1/keys',
      'POST /v1/keys/:id/rotate',
    ]);
    expect(byAccess('approver')).toEqual([
      'POST /v1/approvals/:id/approve',
      'POST /v1/approvals/:id/reject',
    ]);
    // Every other write except key management is an operator action; every read is a viewer's.
    for (const r of routes.filter(
      (r) => r.access !== 'public' && r.access !== 'admin' && r.access !== 'approver',
    )) {
      expect(r.access, `${r.method} ${r.url}`).toBe(
        r.method === 'GET' ? (r.url === '/metrics' ? 'metrics' : 'viewer') : 'operator',
      );
    }
  });

  it('answers 401 without a key, 403 to a weaker role, and lets the right role through — on every route', async () => {
    for (const route of routesOf(h.app)) {
      const label = `${route.method} ${route.url}`;
      const url = urlOf(route);
      const body = route.method === 'POST' ? {} : undefined;
      const method = route.method as 'GET' | 'POST' | 'DELETE';
      const anonymous = await h.call(null, method, url, body);
      if (route.access === 'public') {
        expect(anonymous.statusCode, label).toBeLessThan(400);
        continue;
      }
      const need: Role = route.access === 'metrics' ? 'viewer' : (route.access as Role);
      expect(anonymous.statusCode, label).toBe(401);
      expectErrorShape(anonymous.json(), 'unauthorized');

      const weaker = WEAKER[need];
      if (weaker) {
        const refused = await h.call(weaker, method, url, body);
        expect(refused.statusCode, label).toBe(403);
        expectErrorShape(refused.json(), 'forbidden');
      }
      const allowed = await h.call(need, method, url, body);
      expect([401, 403], `${label} → ${allowed.statusCode} ${allowed.body}`).not.toContain(
        allowed.statusCode,
      );
      // Whatever the bogus input, no route may fail with a server error.
      expect(allowed.statusCode, `${label} → ${allowed.body}`).toBeLessThan(500);
    }
  });

  it('refuses a malformed, unknown or wrong key the same way, and accepts X-Api-Key', async () => {
    for (const authorization of [
      'Bearer nonsense',
      'Bearer rsk_unknown1_aaaaaaaaaaaaaaaaaaaaaaaa',
      `Bearer ${TEST_KEYS.viewer}x`,
      `Basic ${TEST_KEYS.viewer}`,
    ]) {
      const res = await h.app.inject({ url: '/v1/runs', headers: { authorization } });
      expect(res.statusCode, authorization).toBe(401);
      expectErrorShape(res.json(), 'unauthorized');
    }
    const viaHeader = await h.app.inject({
      url: '/v1/runs',
      headers: { 'x-api-key': TEST_KEYS.viewer },
    });
    expect(viaHeader.statusCode).toBe(200);
  });

  it('checks access before validating the request', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/exceptions/x/skip',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(res.statusCode).toBe(401);
  });
});

describe('API rate limits [sqlite]', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiHarness('sqlite', {
      rateLimits: { viewer: { ratePerSecond: 1, burst: 2 } },
    });
  });
  afterAll(async () => h.close());

  it('answers 429 rate_limited with Retry-After once a key has used its burst, per key', async () => {
    expect((await h.call('viewer', 'GET', '/v1/runs')).statusCode).toBe(200);
    expect((await h.call('viewer', 'GET', '/v1/runs')).statusCode).toBe(200);
    const limited = await h.call('viewer', 'GET', '/v1/runs');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expectErrorShape(limited.json(), 'rate_limited');
    expect(limited.json().error.message).toContain('viewer-key');

    // Other keys have their own buckets (and operators the default limit).
    expect((await h.call('operator', 'GET', '/v1/runs')).statusCode).toBe(200);
    // Public routes are not limited.
    expect((await h.call(null, 'GET', '/v1/health')).statusCode).toBe(200);

    h.clock.advance(1_000);
    expect((await h.call('viewer', 'GET', '/v1/runs')).statusCode).toBe(200);
    expect((await h.call('viewer', 'GET', '/v1/runs')).statusCode).toBe(429);
  });
});
