import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOpenApiContract, currentOpenApiDocument } from './openapi-contract.ts';
import { diffOpenApi } from './openapi-diff.ts';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = new URL('../../', import.meta.url).pathname;
const RELEASED = join(ROOT, 'openapi/v1.json');
const released = (): Doc => JSON.parse(readFileSync(RELEASED, 'utf8')) as Doc;
const runSchema = (doc: Doc) =>
  doc.paths['/v1/runs'].get.responses['200'].content['application/json'].schema.properties.runs
    .items;

const dir = mkdtempSync(join(tmpdir(), 'revsync-openapi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function checkScript(file: string, ...args: string[]) {
  return spawnSync(
    process.execPath,
    [
      '--conditions=revsync-source',
      '--import',
      'tsx',
      join(ROOT, 'scripts/check-openapi.ts'),
      '--file',
      file,
      ...args,
    ],
    { encoding: 'utf8', cwd: ROOT },
  );
}

describe('the committed API contract', () => {
  it('matches what the code generates, or differs only additively', async () => {
    const check = await checkOpenApiContract({ file: RELEASED });
    expect(check.breaking).toEqual([]);
    expect(check.ok).toBe(true);
  });
});

describe('diffOpenApi', () => {
  it('an identical document has no changes', () => {
    expect(diffOpenApi(released(), released())).toEqual({
      breaking: [],
      excused: [],
      additive: [],
    });
  });

  it('a removed response field is breaking; an added optional response field is additive', () => {
    const removed = released();
    delete runSchema(removed).properties.flowVersion;
    runSchema(removed).required = runSchema(removed).required.filter(
      (r: string) => r !== 'flowVersion',
    );
    expect(diffOpenApi(released(), removed).breaking).toEqual([
      expect.objectContaining({
        where: 'GET /v1/runs',
        at: '200/runs/items/flowVersion',
        kind: 'response_field_removed',
      }),
    ]);

    const added = released();
    runSchema(added).properties.region = { type: 'string' };
    const diff = diffOpenApi(released(), added);
    expect(diff.breaking).toEqual([]);
    expect(diff.additive).toEqual([
      expect.objectContaining({ at: '200/runs/items/region', kind: 'response_field_added' }),
    ]);
  });

  it('removed paths, operations, enum values; narrowed types; new required inputs', () => {
    const doc = released();
    delete doc.paths['/v1/whoami'];
    delete doc.paths['/v1/keys'].post;
    runSchema(doc).properties.status.enum = runSchema(doc).properties.status.enum.filter(
      (s: string) => s !== 'skipped',
    );
    const body = doc.paths['/v1/replay'].post.requestBody.content['application/json'].schema;
    body.properties.ticket = { type: 'string' };
    body.required.push('ticket');
    body.properties.flow.maxLength = 8;
    doc.paths['/v1/runs'].get.parameters.push({
      name: 'tenant',
      in: 'query',
      required: true,
      schema: { type: 'string' },
    });
    doc.paths['/v1/runs'].get.parameters[1].schema = { type: 'string', enum: ['a'] };
    const kinds = diffOpenApi(released(), doc).breaking.map((c) =>
      [c.where, c.at, c.kind].filter(Boolean).join(' '),
    );
    expect(kinds.sort()).toEqual(
      [
        '/v1/whoami path_removed',
        'POST /v1/keys operation_removed',
        'GET /v1/runs 200/runs/items/status enum_value_removed',
        'POST /v1/replay requestBody/ticket required_property_added',
        'POST /v1/replay requestBody/flow constraint_narrowed',
        'GET /v1/runs query.tenant required_parameter_added',
        'GET /v1/runs query.flow enum_added',
      ].sort(),
    );
  });

  it('a breaking change is excused when the new document introduces the /v2 path', () => {
    const doc = released();
    const item = doc.paths['/v1/runs'];
    doc.paths['/v2/runs'] = structuredClone(item);
    delete runSchema(doc).properties.flowVersion;
    const diff = diffOpenApi(released(), doc);
    expect(diff.breaking).toEqual([]);
    expect(diff.excused.map((c) => c.kind)).toEqual(['response_field_removed']);
    expect(diff.additive.map((c) => c.kind)).toContain('path_added');
  });

  it('new optional inputs and new routes are additive', () => {
    const doc = released();
    doc.paths['/v1/runs'].get.parameters.push({
      name: 'since',
      in: 'query',
      required: false,
      schema: { type: 'string' },
    });
    doc.paths['/v1/replay'].post.requestBody.content['application/json'].schema.properties.note = {
      type: 'string',
    };
    doc.paths['/v1/example-added'] = { get: structuredClone(doc.paths['/v1/runs'].get) };
    const diff = diffOpenApi(released(), doc);
    expect(diff.breaking).toEqual([]);
    expect(diff.additive.map((c) => c.kind).sort()).toEqual(['parameter_added', 'path_added']);
  });
});

describe('scripts/check-openapi.ts', () => {
  it('exits 2 on a deliberately breaking change to the committed document', () => {
    // The committed document has a field the code no longer returns == the code removed it.
    const doc = released();
    runSchema(doc).properties.legacyField = { type: 'string' };
    runSchema(doc).required.push('legacyField');
    const file = join(dir, 'breaking.json');
    writeFileSync(file, JSON.stringify(doc));
    const result = checkScript(file);
    expect(result.status, result.stderr).toBe(2);
    expect(result.stdout).toContain('openapi check FAILED: 1 breaking change(s)');
    expect(result.stdout).toContain(
      'GET /v1/runs 200/runs/items/legacyField: response_field_removed',
    );
  });

  it('passes an additive change with a hint, and --write re-commits the document', () => {
    // The committed document lacks an optional field the code returns == the code added it.
    const doc = released();
    delete runSchema(doc).properties.replayOf;
    runSchema(doc).required = runSchema(doc).required.filter((r: string) => r !== 'replayOf');
    const file = join(dir, 'additive.json');
    writeFileSync(file, JSON.stringify(doc));
    const result = checkScript(file);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('response_field_added');
    expect(result.stdout).toContain('--write');
    const written = checkScript(file, '--write');
    expect(written.status).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(currentOpenApiDocument());
  });

  it('exits 1 when the committed document is missing', () => {
    expect(checkScript(join(dir, 'nope.json')).status).toBe(1);
  });
});
