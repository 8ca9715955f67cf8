import { describe, expect, it } from 'vitest';
import { createRouter, type Route } from './router.ts';

const ok = () => ({ status: 200 });
const route = (method: Route['method'], path: string): Route => ({ method, path, handler: ok });

describe('createRouter', () => {
  const router = createRouter([
    route('GET', '/v1/customers/:id'),
    route('GET', '/v1/customers/search'),
    route('POST', '/v1/customers/:id'),
    route('DELETE', '/v1/customers/:id/discount'),
    route('GET', '/v1/subscriptions/:sub/items/:item'),
    route('GET', '/services/data/:version/*'),
    route('GET', '/services/data/:version/sobjects/:type'),
    route('*', '/any/:x'),
  ]);
  const found = (method: string, path: string) => {
    const m = router.match(method, path);
    if (m.kind !== 'found')
      throw new Error(`expected a match for ${method} ${path}, got ${m.kind}`);
    return { path: m.route.path, params: m.params };
  };

  it('matches params', () => {
    expect(found('GET', '/v1/customers/cus_1')).toEqual({
      path: '/v1/customers/:id',
      params: { id: 'cus_1' },
    });
    expect(found('GET', '/v1/subscriptions/sub_1/items/si_2').params).toEqual({
      sub: 'sub_1',
      item: 'si_2',
    });
  });

  it('prefers literal segments over params, whatever the order of declaration', () => {
    expect(found('GET', '/v1/customers/search').path).toBe('/v1/customers/search');
    expect(found('GET', '/services/data/v59.0/sobjects/Account').path).toBe(
      '/services/data/:version/sobjects/:type',
    );
  });

  it('puts the rest of the path in params["*"]', () => {
    expect(found('GET', '/services/data/v50.0/query/01gD0000002HU6KIAW-2000').params).toEqual({
      version: 'v50.0',
      '*': 'query/01gD0000002HU6KIAW-2000',
    });
  });

  it('decodes params and ignores a trailing slash', () => {
    expect(found('GET', '/v1/customers/eid%3AABC%2F1/').params).toEqual({ id: 'eid:ABC/1' });
    expect(found('GET', '/v1/customers/bad%E0').params).toEqual({ id: 'bad%E0' });
  });

  it('matches any method with "*" and HEAD with GET routes', () => {
    expect(found('PATCH', '/any/1').path).toBe('/any/:x');
    expect(found('HEAD', '/v1/customers/cus_1').path).toBe('/v1/customers/:id');
  });

  it('tells 405 from 404', () => {
    expect(router.match('PUT', '/v1/customers/cus_1')).toEqual({
      kind: 'method_not_allowed',
      allow: ['GET', 'POST'],
    });
    expect(router.match('GET', '/v1/nothing')).toEqual({ kind: 'not_found' });
    expect(router.match('GET', '/v1/customers/cus_1/extra')).toEqual({ kind: 'not_found' });
  });

  it('refuses a catch-all that is not last', () => {
    expect(() => createRouter([route('GET', '/a/*/b')])).toThrow(/must be last/);
  });
});
