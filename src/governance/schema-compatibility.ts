/**
 * Structural compatibility of two JSON Schemas (draft 2020-12, the subset zod emits), in the
 * sense of Confluent Schema Registry: a *reader* schema can read what a *writer* schema wrote
 * when every instance valid under the writer is valid under the reader. BACKWARD means the new
 * schema reads the old one's data, FORWARD the old reads the new's, FULL both; the transitive
 * forms compare against every earlier version instead of the latest only.
 *
 * The comparison is conservative: where it cannot prove that the reader accepts everything the
 * writer does (an `allOf`, `not` or `if` that changed, a changed `pattern`), it reports an issue.
 * Closed content models (`additionalProperties: false`, what `z.object` emits) follow
 * Confluent's rules: removing a property from a closed writer's reader is incompatible; adding
 * a property to an open model is incompatible unless the new property accepts anything.
 */

/** Confluent Schema Registry's compatibility modes (NONE aside: every schema here is checked). */
export const COMPATIBILITY_MODES = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;

/** @see COMPATIBILITY_MODES */
export type CompatibilityMode = (typeof COMPATIBILITY_MODES)[number];

/** The default mode, as in Confluent Schema Registry. */
export const DEFAULT_COMPATIBILITY_MODE: CompatibilityMode = 'BACKWARD';

/** True for a known mode name. */
export function isCompatibilityMode(value: unknown): value is CompatibilityMode {
  return typeof value === 'string' && (COMPATIBILITY_MODES as readonly string[]).includes(value);
}

/** What a mode requires: the new schema reads old data (backward), old reads new (forward). */
export function modeDirections(mode: CompatibilityMode): {
  backward: boolean;
  forward: boolean;
  transitive: boolean;
} {
  return {
    backward: mode.startsWith('BACKWARD') || mode.startsWith('FULL'),
    forward: mode.startsWith('FORWARD') || mode.startsWith('FULL'),
    transitive: mode.endsWith('_TRANSITIVE'),
  };
}

/** One reason a reader cannot read everything a writer wrote. */
export interface CompatibilityIssue {
  /** JSON Pointer-like path in the instance, e.g. `/lines/items/amount`. */
  path: string;
  /** Stable kind, e.g. `property_removed_from_closed_model`, `required_property_added`. */
  kind: string;
  message: string;
}

type Schema = Record<string, unknown> | boolean;
type Obj = Record<string, unknown>;

/** A schema document with its own `$defs`, so `$ref`s resolve against the right root. */
interface Rooted {
  schema: Schema;
  root: Obj;
}

/**
 * Why `reader` cannot read every instance `writer` accepts; empty when it can. Both are whole
 * schema documents (their local `$ref`s, `#/$defs/…` and `#/definitions/…`, are resolved), or
 * schemas inside documents given as `roots` (an OpenAPI document's `#/components/…`).
 */
export function compatibilityIssues(
  writer: object,
  reader: object,
  roots: { writer?: object; reader?: object } = {},
): CompatibilityIssue[] {
  const issues: CompatibilityIssue[] = [];
  compare(
    { schema: writer as Obj, root: (roots.writer ?? writer) as Obj },
    { schema: reader as Obj, root: (roots.reader ?? reader) as Obj },
    '',
    issues,
    new Set(),
  );
  return issues;
}

/** The result of checking one candidate schema against its history under a mode. */
export interface CompatibilityResult {
  compatible: boolean;
  /** Each issue names the version it was found against and the direction. */
  issues: (CompatibilityIssue & { against: number; direction: 'backward' | 'forward' })[];
}

/**
 * Checks `candidate` against earlier versions (`history`, oldest first, each with its version
 * number) under `mode`, as Confluent does when a new version is registered: the non-transitive
 * modes compare with the latest version only, the transitive ones with all of them.
 */
export function checkCompatibility(
  candidate: object,
  history: readonly { version: number; schema: object }[],
  mode: CompatibilityMode,
): CompatibilityResult {
  const { backward, forward, transitive } = modeDirections(mode);
  const against = transitive ? history : history.slice(-1);
  const issues: CompatibilityResult['issues'] = [];
  for (const previous of against) {
    if (backward) {
      for (const issue of compatibilityIssues(previous.schema, candidate)) {
        issues.push({ ...issue, against: previous.version, direction: 'backward' });
      }
    }
    if (forward) {
      for (const issue of compatibilityIssues(candidate, previous.schema)) {
        issues.push({ ...issue, against: previous.version, direction: 'forward' });
      }
    }
  }
  return { compatible: issues.length === 0, issues };
}

const ANNOTATIONS = new Set([
  '$schema',
  '$id',
  '$comment',
  '$defs',
  'definitions',
  'title',
  'description',
  'examples',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  'contentEncoding',
  'contentMediaType',
  'id',
]);
// Keywords compared by the rules below; any other keyword that differs is reported as unproven.
const HANDLED = new Set([
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'patternProperties',
  'propertyNames',
  'items',
  'prefixItems',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minProperties',
  'maxProperties',
  'anyOf',
  'oneOf',
  '$ref',
]);

function resolve(node: Rooted, seen: Set<string> = new Set()): Rooted {
  const { schema, root } = node;
  if (typeof schema !== 'object' || typeof schema.$ref !== 'string') return node;
  const ref = schema.$ref;
  if (!ref.startsWith('#/')) throw new Error(`cannot resolve the non-local $ref ${ref}`);
  if (seen.has(ref)) throw new Error(`$ref cycle at ${ref}`);
  seen.add(ref);
  let target: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    target = (target as Obj | undefined)?.[key];
  }
  if (target === undefined) throw new Error(`$ref ${ref} points nowhere`);
  const { $ref: _ref, ...siblings } = schema;
  const merged: Schema =
    Object.keys(siblings).length === 0 ? (target as Schema) : { ...(target as Obj), ...siblings };
  return resolve({ schema: merged, root }, seen);
}

/** The alternatives of a schema: its `anyOf`/`oneOf` branches (each with the base keywords). */
function branches(node: Rooted): Rooted[] {
  const { schema, root } = node;
  if (typeof schema !== 'object') return [node];
  const list = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (!Array.isArray(list)) return [node];
  const { anyOf: _a, oneOf: _o, ...base } = schema;
  const hasBase = Object.keys(base).some((k) => !ANNOTATIONS.has(k));
  return list.flatMap((branch) =>
    branches({
      schema: hasBase && typeof branch === 'object' ? { ...base, ...branch } : branch,
      root,
    }),
  );
}

function isTrivial(schema: Schema): boolean {
  if (schema === true) return true;
  if (schema === false) return false;
  return Object.keys(schema).every((k) => ANNOTATIONS.has(k));
}

function compare(
  writerNode: Rooted,
  readerNode: Rooted,
  path: string,
  issues: CompatibilityIssue[],
  visiting: Set<string>,
): void {
  const writer = resolve(writerNode);
  const reader = resolve(readerNode);
  // Recursive schemas: a pair already being compared further up is assumed compatible there.
  const key = `${JSON.stringify(writer.schema)}|${JSON.stringify(reader.schema)}`;
  if (visiting.has(key)) return;
  visiting.add(key);
  try {
    compareResolved(writer, reader, path, issues, visiting);
  } finally {
    visiting.delete(key);
  }
}

function compareResolved(
  writer: Rooted,
  reader: Rooted,
  path: string,
  issues: CompatibilityIssue[],
  visiting: Set<string>,
): void {
  const add: Add = (kind, message) => {
    issues.push({ path: path || '/', kind, message });
  };
  const r = reader.schema;
  const w = writer.schema;
  if (isTrivial(r)) return;
  if (w === false) return;
  if (r === false) return add('type_narrowed', 'the reader accepts nothing here');
  if (isTrivial(w)) return add('type_narrowed', 'the writer accepted any value here');
  const wObj = w as Obj;
  const rObj = r as Obj;

  // Alternatives: every writer branch must fit some reader branch.
  const wBranches = branches(writer);
  const rBranches = branches(reader);
  if (wBranches.length > 1 || rBranches.length > 1) {
    for (const wb of wBranches) {
      let best: CompatibilityIssue[] | undefined;
      for (const rb of rBranches) {
        const found: CompatibilityIssue[] = [];
        compare(wb, rb, path, found, visiting);
        if (found.length === 0) {
          best = [];
          break;
        }
        if (!best || found.length < best.length) best = found;
      }
      issues.push(...(best ?? []));
    }
    return;
  }

  // Keywords this comparison cannot reason about must be unchanged.
  for (const keyword of new Set([...Object.keys(wObj), ...Object.keys(rObj)])) {
    if (ANNOTATIONS.has(keyword) || HANDLED.has(keyword)) continue;
    if (keyword in rObj && JSON.stringify(wObj[keyword]) !== JSON.stringify(rObj[keyword])) {
      add('unsupported_keyword_changed', `"${keyword}" changed; compatibility cannot be proven`);
    }
  }

  compareTypes(wObj, rObj, add);
  compareValues(wObj, rObj, add);
  compareString(wObj, rObj, add);
  compareNumber(wObj, rObj, add);
  compareObject(writer, reader, path, issues, visiting, add);
  compareArray(writer, reader, path, issues, visiting, add);
}

type Add = (kind: string, message: string) => void;

const ALL_TYPES = ['null', 'boolean', 'object', 'array', 'number', 'integer', 'string'];

/** The JSON types a schema admits (from `type`, else from `const`/`enum`, else all). */
function typesOf(schema: Obj): Set<string> {
  if (typeof schema.type === 'string') return new Set([schema.type]);
  if (Array.isArray(schema.type)) return new Set(schema.type as string[]);
  const values = valuesOf(schema);
  if (values) return new Set(values.map(jsonType));
  return new Set(ALL_TYPES);
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function valuesOf(schema: Obj): unknown[] | undefined {
  if ('const' in schema) return [schema.const];
  if (Array.isArray(schema.enum)) return schema.enum;
  return undefined;
}

function compareTypes(w: Obj, r: Obj, add: Add): void {
  const readerTypes = typesOf(r);
  for (const type of typesOf(w)) {
    const ok =
      readerTypes.has(type) ||
      (type === 'integer' && readerTypes.has('number')) ||
      // a number schema with multipleOf 1 is an integer; rare enough to ignore
      false;
    if (!ok) add('type_narrowed', `the reader no longer accepts ${type}`);
  }
}

function compareValues(w: Obj, r: Obj, add: Add): void {
  const readerValues = valuesOf(r);
  if (!readerValues) return;
  const writerValues = valuesOf(w);
  if (!writerValues) {
    add('enum_added', 'the reader restricts to fixed values where the writer did not');
    return;
  }
  const allowed = new Set(readerValues.map((v) => JSON.stringify(v)));
  for (const value of writerValues) {
    if (!allowed.has(JSON.stringify(value))) {
      add('enum_value_removed', `the reader no longer accepts ${JSON.stringify(value)}`);
    }
  }
}

/** A lower bound the reader raised (or added), or an upper bound it lowered (or added). */
function bound(
  w: Obj,
  r: Obj,
  keyword: string,
  direction: 'min' | 'max',
  add: Add,
  kind = 'constraint_narrowed',
): void {
  const rv = r[keyword];
  if (typeof rv !== 'number') return;
  const wv = w[keyword];
  if (typeof wv !== 'number' || (direction === 'min' ? rv > wv : rv < wv)) {
    add(kind, `${keyword} ${typeof wv === 'number' ? `${wv} → ` : 'added: '}${rv}`);
  }
}

function compareString(w: Obj, r: Obj, add: Add): void {
  if (!typesOf(w).has('string') || valuesOf(w)) return;
  bound(w, r, 'minLength', 'min', add);
  bound(w, r, 'maxLength', 'max', add);
  if (typeof r.pattern === 'string' && r.pattern !== w.pattern) {
    add(
      'pattern_changed',
      `pattern ${w.pattern === undefined ? 'added' : 'changed'}: ${r.pattern}`,
    );
  }
  if (typeof r.format === 'string' && r.format !== w.format) {
    add('format_changed', `format ${w.format === undefined ? 'added' : 'changed'}: ${r.format}`);
  }
}

function compareNumber(w: Obj, r: Obj, add: Add): void {
  const types = typesOf(w);
  if ((!types.has('number') && !types.has('integer')) || valuesOf(w)) return;
  bound(w, r, 'minimum', 'min', add);
  bound(w, r, 'maximum', 'max', add);
  bound(w, r, 'exclusiveMinimum', 'min', add);
  bound(w, r, 'exclusiveMaximum', 'max', add);
  if (typeof r.multipleOf === 'number') {
    const wm = w.multipleOf;
    if (typeof wm !== 'number' || !Number.isInteger(wm / r.multipleOf)) {
      add('constraint_narrowed', `multipleOf ${String(wm ?? 'added')} → ${r.multipleOf}`);
    }
  }
}

function propertiesOf(schema: Obj): Record<string, Schema> {
  return (schema.properties ?? {}) as Record<string, Schema>;
}

function requiredOf(schema: Obj): Set<string> {
  return new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
}

/** What the schema accepts for a property it does not list (`true` when open). */
function additionalOf(schema: Obj): Schema {
  if (schema.additionalProperties === undefined) return true;
  return schema.additionalProperties as Schema;
}

function compareObject(
  writer: Rooted,
  reader: Rooted,
  path: string,
  issues: CompatibilityIssue[],
  visiting: Set<string>,
  add: Add,
): void {
  const w = writer.schema as Obj;
  const r = reader.schema as Obj;
  if (!typesOf(w).has('object') || !typesOf(r).has('object')) return;
  const wProps = propertiesOf(w);
  const rProps = propertiesOf(r);
  const wRequired = requiredOf(w);
  const rRequired = requiredOf(r);
  const wAdditional = additionalOf(w);
  const rAdditional = additionalOf(r);

  for (const name of rRequired) {
    if (!wRequired.has(name)) {
      issues.push({
        path: `${path}/${name}`,
        kind: name in wProps ? 'property_made_required' : 'required_property_added',
        message: `"${name}" is required by the reader but ${name in wProps ? 'optional' : 'absent'} in the writer`,
      });
    }
  }
  for (const [name, wProp] of Object.entries(wProps)) {
    const child = `${path}/${name}`;
    if (name in rProps) {
      compare(
        { schema: wProp, root: writer.root },
        { schema: rProps[name]!, root: reader.root },
        child,
        issues,
        visiting,
      );
    } else if (rAdditional === false) {
      issues.push({
        path: child,
        kind: 'property_removed_from_closed_model',
        message: `"${name}" was removed and the reader accepts no other properties`,
      });
    } else if (rAdditional !== true) {
      compare(
        { schema: wProp, root: writer.root },
        { schema: rAdditional, root: reader.root },
        child,
        issues,
        visiting,
      );
    }
  }
  for (const [name, rProp] of Object.entries(rProps)) {
    if (name in wProps || wAdditional === false) continue;
    // The writer could have written this property with any value its additionalProperties allows.
    const found: CompatibilityIssue[] = [];
    compare(
      { schema: wAdditional, root: writer.root },
      { schema: rProp, root: reader.root },
      `${path}/${name}`,
      found,
      visiting,
    );
    if (found.length > 0) {
      issues.push({
        path: `${path}/${name}`,
        kind: 'property_added_to_open_model',
        message: `"${name}" was added to an open content model; older data may hold it with another shape`,
      });
    }
  }
  if (rAdditional !== true && wAdditional !== false) {
    compare(
      { schema: wAdditional, root: writer.root },
      { schema: rAdditional, root: reader.root },
      `${path}/*`,
      issues,
      visiting,
    );
  }
  if (w.patternProperties !== undefined || r.patternProperties !== undefined) {
    if (JSON.stringify(w.patternProperties) !== JSON.stringify(r.patternProperties)) {
      add(
        'unsupported_keyword_changed',
        'patternProperties changed; compatibility cannot be proven',
      );
    }
  }
  if (r.propertyNames !== undefined) {
    compare(
      { schema: (w.propertyNames ?? true) as Schema, root: writer.root },
      { schema: r.propertyNames as Schema, root: reader.root },
      `${path}/(names)`,
      issues,
      visiting,
    );
  }
  bound(w, r, 'minProperties', 'min', add);
  bound(w, r, 'maxProperties', 'max', add);
}

function compareArray(
  writer: Rooted,
  reader: Rooted,
  path: string,
  issues: CompatibilityIssue[],
  visiting: Set<string>,
  add: Add,
): void {
  const w = writer.schema as Obj;
  const r = reader.schema as Obj;
  if (!typesOf(w).has('array') || !typesOf(r).has('array')) return;
  if (r.items !== undefined) {
    compare(
      { schema: (w.items ?? true) as Schema, root: writer.root },
      { schema: r.items as Schema, root: reader.root },
      `${path}/items`,
      issues,
      visiting,
    );
  }
  if (r.prefixItems !== undefined || w.prefixItems !== undefined) {
    const wp = (w.prefixItems ?? []) as Schema[];
    const rp = (r.prefixItems ?? []) as Schema[];
    rp.forEach((rItem, i) =>
      compare(
        { schema: wp[i] ?? ((w.items ?? true) as Schema), root: writer.root },
        { schema: rItem, root: reader.root },
        `${path}/${i}`,
        issues,
        visiting,
      ),
    );
  }
  bound(w, r, 'minItems', 'min', add);
  bound(w, r, 'maxItems', 'max', add);
  if (r.uniqueItems === true && w.uniqueItems !== true) {
    add('constraint_narrowed', 'uniqueItems added');
  }
}
