import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../../test/support/api-harness.ts';
import { routesOf } from './create-api-server.ts';

type Operation = {
  operationId: string;
  security: Record<string, string[]>[];
  'x-revsync-role': string;
  responses: Record<string, unknown>;
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

const apiRoutesOf = (app: ApiHarness['app']) => routesOf(app).filter((r) => r.surface === 'api');

describe('OpenAPI document [sqlite]', () => {
  let h: ApiHarness;
  let doc: Document;

  beforeAll(async () => {
    h = await startApiHarness('sqlite');
    const res = await h.call(null, 'GET', '/v1/openapi.json');
    expect(res.statusCode).toBe(200);
    doc = res.json();
  });
  afterAll(async () => h.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('embeds request and response schemas that are valid JSON Schema 2020-12', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    let compiled = 0;
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) return value.forEach(visit);
      if (value === null || typeof value !== 'object') return;
      for (const [key, child] of Object.entries(value)) {
        if (key === 'schema' && child && typeof child === 'object' && !('$ref' in child)) {
          expect(() => ajv.compile(child)).not.toThrow();
          compiled += 1;
        } else visit(child);
      }
    };
    visit(doc.paths);
    expect(compiled).toBeGreaterThan(40);
  });

  it('documents exactly the registered API routes (the dashboard’s files are not API)', () => {
    const all = routesOf(h.app);
    expect(all.filter((r) => r.surface === 'dashboard').length).toBeGreaterThan(0);
    const registered = all
      .filter((r) => r.surface === 'api')
      .map((r) => `${r.method} ${r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`)
      .sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(registered);
  });

  it('states each operation’s role and security, and the one error schema', () => {
    const roles = new Map(
      apiRoutesOf(h.app).map((r) => [
        `${r.method.toLowerCase()} ${r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`,
        r.access === 'metrics' ? 'viewer' : r.access,
      ]),
    );
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op['x-revsync-role'], `${method} ${path}`).toBe(roles.get(`${method} ${path}`));
        if (op['x-revsync-role'] === 'public') expect(op.security).toEqual([]);
        else {
          expect(op.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
          expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403', '429']));
        }
        expect(ids.has(op.operationId)).toBe(false);
        ids.add(op.operationId);
      }
    }
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      'apiKeyHeader',
      'bearerAuth',
    ]);
    expect(doc.components.schemas.Error).toMatchObject({
      type: 'object',
      required: ['error'],
      properties: { error: { required: ['code', 'message'] } },
    });
  });
});
