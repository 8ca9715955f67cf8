import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// ajv comes with fastify; it is used here only to prove the exported schemas are valid 2020-12.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { exampleEntities } from './entities/examples.ts';
import { ENTITY_TYPES } from './entities/entity-type.ts';
import { makeEnvelope } from './event-envelope.ts';
import { ENVELOPE_SCHEMA_KEY, exportJsonSchemas, writeJsonSchemas } from './schema-export.ts';

const DRAFT = 'https://json-schema.org/draft/2020-12/schema';

function compile(schema: object) {
  // strict mode rejects unknown keywords and malformed schemas; formats are covered by patterns
  return new Ajv2020({ strict: true, validateFormats: false, allErrors: true }).compile(schema);
}

describe('exportJsonSchemas', () => {
  const schemas = exportJsonSchemas();

  it('exports every entity type and the envelope', () => {
    expect(Object.keys(schemas)).toEqual([...ENTITY_TYPES, ENVELOPE_SCHEMA_KEY]);
  });

  it.each(ENTITY_TYPES)('%s: draft 2020-12 with $id, title and the entity shape', (type) => {
    const schema = schemas[type] as Record<string, unknown>;
    expect(schema.$schema).toBe(DRAFT);
    expect(schema.$id).toBe(`https://revsync.dev/schemas/${type}/v1.json`);
    expect(schema.title).toMatch(/ v1$/);
    expect(schema.type).toBe('object');
    expect(schema.required).toEqual(expect.arrayContaining(['schemaVersion', 'id']));
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });

  it.each(ENTITY_TYPES)('%s: compiles in strict ajv and accepts the example', (type) => {
    const validate = compile(schemas[type] ?? {});
    expect(validate(exampleEntities[type]), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...exampleEntities[type], schemaVersion: 2 })).toBe(false);
  });

  it('shares Money and CurrencyCode as $defs', () => {
    const invoice = schemas.invoice as { $defs: Record<string, unknown> };
    expect(Object.keys(invoice.$defs)).toEqual(expect.arrayContaining(['Money', 'CurrencyCode']));
    const validate = compile(invoice);
    const floaty = structuredClone(exampleEntities.invoice);
    floaty.subtotal = { amount: 200.5, currency: 'USD' };
    expect(validate(floaty)).toBe(false);
    expect(validate({ ...exampleEntities.invoice, currency: 'usd' })).toBe(false);
  });

  it('describes the envelope', () => {
    const schema = schemas[ENVELOPE_SCHEMA_KEY] as Record<string, unknown>;
    expect(schema.$id).toBe('https://revsync.dev/schemas/event_envelope/v1.json');
    const validate = compile(schema);
    expect(validate(makeEnvelope({ type: 'a', source: '/x', data: { ok: true } }))).toBe(true);
    expect(validate({ specversion: '1.0', id: 'x', source: '/x' })).toBe(false);
  });
});

describe('writeJsonSchemas', () => {
  it('writes one <type>.v1.json per schema', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'revsync-schemas-'));
    try {
      const target = join(dir, 'nested', 'schemas');
      const written = await writeJsonSchemas(target);
      expect(written).toHaveLength(ENTITY_TYPES.length + 1);
      const files = (await readdir(target)).sort();
      expect(files).toContain('credit_note.v1.json');
      expect(files).toContain('event_envelope.v1.json');
      const customer = JSON.parse(await readFile(join(target, 'customer.v1.json'), 'utf8'));
      expect(customer).toEqual(exportJsonSchemas().customer);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
