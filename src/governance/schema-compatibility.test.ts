import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  checkCompatibility,
  compatibilityIssues,
  COMPATIBILITY_MODES,
  type CompatibilityMode,
} from './schema-compatibility.ts';

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { target: 'draft-2020-12' });

// Three versions of one closed object, as z.object emits them.
const v1 = json(z.object({ id: z.string(), amount: z.int() }));
const withOptional = json(
  z.object({ id: z.string(), amount: z.int(), note: z.string().optional() }),
);
const withRequired = json(z.object({ id: z.string(), amount: z.int(), note: z.string() }));
const withoutAmount = json(z.object({ id: z.string() }));

function kinds(writer: object, reader: object): string[] {
  return compatibilityIssues(writer, reader).map((i) => i.kind);
}

describe('compatibilityIssues (can the reader read everything the writer wrote?)', () => {
  it('an identical schema reads itself', () => {
    expect(kinds(v1, v1)).toEqual([]);
  });

  it('a new optional field in a closed model: new reads old, old cannot read new', () => {
    expect(kinds(v1, withOptional)).toEqual([]);
    expect(kinds(withOptional, v1)).toEqual(['property_removed_from_closed_model']);
  });

  it('a new required field: the new reader cannot read old data', () => {
    expect(kinds(v1, withRequired)).toEqual(['required_property_added']);
    expect(kinds(withOptional, withRequired)).toEqual(['property_made_required']);
  });

  it('a removed required field of a closed model: old data has it, the new reader refuses it', () => {
    const issues = compatibilityIssues(v1, withoutAmount);
    expect(issues).toEqual([
      expect.objectContaining({ path: '/amount', kind: 'property_removed_from_closed_model' }),
    ]);
    // the other way, old readers require it
    expect(kinds(withoutAmount, v1)).toEqual(['required_property_added']);
  });

  it('types: integer widens to number; number does not narrow to integer', () => {
    const int = json(z.object({ n: z.int() }));
    const num = json(z.object({ n: z.number() }));
    expect(kinds(int, num)).toEqual([]);
    expect(kinds(num, int)).toContain('type_narrowed');
    const str = json(z.object({ n: z.string() }));
    expect(kinds(int, str)).toContain('type_narrowed');
  });

  it('enums: adding a value widens, removing one narrows', () => {
    const ab = json(z.object({ s: z.enum(['a', 'b']) }));
    const abc = json(z.object({ s: z.enum(['a', 'b', 'c']) }));
    expect(kinds(ab, abc)).toEqual([]);
    expect(compatibilityIssues(abc, ab)).toEqual([
      expect.objectContaining({ path: '/s', kind: 'enum_value_removed' }),
    ]);
    const free = json(z.object({ s: z.string() }));
    expect(kinds(ab, free)).toEqual([]);
    expect(kinds(free, ab)).toEqual(['enum_added']);
  });

  it('string and number constraints: tighter is narrower', () => {
    expect(kinds(json(z.string()), json(z.string().min(1)))).toEqual(['constraint_narrowed']);
    expect(kinds(json(z.string().min(1)), json(z.string()))).toEqual([]);
    expect(kinds(json(z.string().max(10)), json(z.string().max(5)))).toEqual([
      'constraint_narrowed',
    ]);
    expect(kinds(json(z.int().min(0)), json(z.int().min(1)))).toContain('constraint_narrowed');
    expect(kinds(json(z.string()), json(z.string().regex(/^a/)))).toEqual(['pattern_changed']);
  });

  it('optional and nullable (anyOf): a writer branch the reader lacks is reported', () => {
    const nullable = json(z.object({ s: z.string().nullable() }));
    const plain = json(z.object({ s: z.string() }));
    expect(kinds(plain, nullable)).toEqual([]);
    expect(kinds(nullable, plain)).toContain('type_narrowed');
  });

  it('follows $refs into $defs on each side, and nested arrays of objects', () => {
    const Line = z.object({ amount: z.int() }).meta({ id: 'Line' });
    const LineV2 = z.object({ amount: z.int(), tax: z.int() }).meta({ id: 'Line' });
    const a = json(z.object({ lines: z.array(Line) }));
    const b = json(z.object({ lines: z.array(LineV2) }));
    expect(JSON.stringify(a)).toContain('$ref');
    expect(compatibilityIssues(a, b)).toEqual([
      expect.objectContaining({ path: '/lines/items/tax', kind: 'required_property_added' }),
    ]);
  });

  it('open content models: an added property is unsafe unless it accepts anything', () => {
    const open = { type: 'object', properties: { a: { type: 'string' } } };
    const added = { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } } };
    expect(kinds(open, added)).toEqual(['property_added_to_open_model']);
    const addedAny = { type: 'object', properties: { a: { type: 'string' }, b: {} } };
    expect(kinds(open, addedAny)).toEqual([]);
    // removing a property from an open model is fine for its readers
    expect(kinds(added, open)).toEqual([]);
  });

  it('a changed keyword it cannot reason about is reported, not ignored', () => {
    const a = { type: 'object', not: { required: ['x'] } };
    const b = { type: 'object', not: { required: ['y'] } };
    expect(kinds(a, b)).toEqual(['unsupported_keyword_changed']);
  });
});

describe('checkCompatibility: each mode', () => {
  const history = [
    { version: 1, schema: v1 },
    { version: 2, schema: withOptional },
  ];
  const result = (candidate: object, mode: CompatibilityMode, h = history) =>
    checkCompatibility(candidate, h, mode);

  it('knows the six Confluent modes', () => {
    expect(COMPATIBILITY_MODES).toEqual([
      'BACKWARD',
      'BACKWARD_TRANSITIVE',
      'FORWARD',
      'FORWARD_TRANSITIVE',
      'FULL',
      'FULL_TRANSITIVE',
    ]);
  });

  it('BACKWARD: the candidate reads the latest version; adding an optional field passes, a required one fails', () => {
    const addOptional = json(
      z.object({
        id: z.string(),
        amount: z.int(),
        note: z.string().optional(),
        tag: z.string().optional(),
      }),
    );
    expect(result(addOptional, 'BACKWARD').compatible).toBe(true);
    const addRequired = json(
      z.object({ id: z.string(), amount: z.int(), note: z.string().optional(), tag: z.string() }),
    );
    const bad = result(addRequired, 'BACKWARD');
    expect(bad.compatible).toBe(false);
    expect(bad.issues).toEqual([
      expect.objectContaining({
        against: 2,
        direction: 'backward',
        kind: 'required_property_added',
      }),
    ]);
  });

  it('BACKWARD compares with the latest only; BACKWARD_TRANSITIVE with every version', () => {
    // v1 {id, amount}; v2 {id} (amount removed); candidate {id, amount: string}
    const h = [
      { version: 1, schema: v1 },
      { version: 2, schema: withoutAmount },
    ];
    const candidate = json(z.object({ id: z.string(), amount: z.string().optional() }));
    expect(result(candidate, 'BACKWARD', h).compatible).toBe(true);
    const transitive = result(candidate, 'BACKWARD_TRANSITIVE', h);
    expect(transitive.compatible).toBe(false);
    expect(transitive.issues.map((i) => [i.against, i.path])).toEqual([[1, '/amount']]);
  });

  it('FORWARD: the latest version reads the candidate; removing an optional field passes, adding one to a closed model fails', () => {
    expect(result(v1, 'FORWARD').compatible).toBe(true);
    const added = json(
      z.object({
        id: z.string(),
        amount: z.int(),
        note: z.string().optional(),
        x: z.string().optional(),
      }),
    );
    const bad = result(added, 'FORWARD');
    expect(bad.compatible).toBe(false);
    expect(bad.issues[0]).toEqual(
      expect.objectContaining({ against: 2, direction: 'forward', path: '/x' }),
    );
    // BACKWARD accepts that same change
    expect(result(added, 'BACKWARD').compatible).toBe(true);
  });

  it('FORWARD compares with the latest only; FORWARD_TRANSITIVE with every version', () => {
    // v1 {id, amount?}; v2 {id, amount?, note?}; candidate {id, note?}: v2 reads it, v1 does not.
    const h = [
      { version: 1, schema: json(z.object({ id: z.string(), amount: z.int().optional() })) },
      {
        version: 2,
        schema: json(
          z.object({ id: z.string(), amount: z.int().optional(), note: z.string().optional() }),
        ),
      },
    ];
    const candidate = json(z.object({ id: z.string(), note: z.string().optional() }));
    expect(result(candidate, 'FORWARD', h).compatible).toBe(true);
    const transitive = result(candidate, 'FORWARD_TRANSITIVE', h);
    expect(transitive.compatible).toBe(false);
    expect(transitive.issues.map((i) => [i.against, i.path])).toEqual([[1, '/note']]);
  });

  it('FULL: both directions against the latest; only a change both ways safe passes', () => {
    expect(result(withOptional, 'FULL').compatible).toBe(true);
    const addOptional = json(
      z.object({
        id: z.string(),
        amount: z.int(),
        note: z.string().optional(),
        tag: z.string().optional(),
      }),
    );
    const full = result(addOptional, 'FULL');
    expect(full.compatible).toBe(false);
    expect(full.issues.map((i) => i.direction)).toEqual(['forward']);
    const narrowed = result(v1, 'FULL');
    expect(narrowed.compatible).toBe(false);
    expect(narrowed.issues.map((i) => i.direction)).toEqual(['backward']);
  });

  it('FULL_TRANSITIVE: both directions against every version', () => {
    const h = [
      { version: 1, schema: json(z.object({ id: z.string(), note: z.string().min(1) })) },
      { version: 2, schema: json(z.object({ id: z.string(), note: z.string() })) },
    ];
    const candidate = json(z.object({ id: z.string(), note: z.string() }));
    expect(result(candidate, 'FULL', h).compatible).toBe(true);
    const transitive = result(candidate, 'FULL_TRANSITIVE', h);
    expect(transitive.compatible).toBe(false);
    expect(transitive.issues).toEqual([
      expect.objectContaining({ against: 1, direction: 'forward', kind: 'constraint_narrowed' }),
    ]);
  });
});
