import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../../test/support/api-harness.ts';
import { API_CONTENT_SECURITY_POLICY } from './security-headers.ts';

describe('HTTP security headers [sqlite]', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiHarness('sqlite');
  });
  afterAll(async () => h.close());

  const expectHardened = (headers: Record<string, unknown>) => {
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  };

  it('are sent on API responses, errors and unknown routes, with a policy that loads nothing', async () => {
    for (const [role, url, status] of [
      [null, '/v1/health', 200],
      ['viewer', '/v1/runs', 200],
      [null, '/v1/runs', 401],
      ['viewer', '/v1/nowhere', 404],
      ['viewer', '/v1/openapi.json', 200],
    ] as const) {
      const res = await h.call(role, 'GET', url);
      expect(res.statusCode, url).toBe(status);
      expectHardened(res.headers);
      expect(res.headers['content-security-policy']).toBe(API_CONTENT_SECURITY_POLICY);
    }
  });

  it('keep the dashboard page’s own policy, which lets it load its script and stylesheet', async () => {
    const page = await h.call(null, 'GET', '/');
    expect(page.statusCode).toBe(200);
    expectHardened(page.headers);
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    for (const asset of ['/ui/app.js', '/ui/app.css']) {
      const res = await h.call(null, 'GET', asset);
      expect(res.statusCode, asset).toBe(200);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });
});
