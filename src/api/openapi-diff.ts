import { compatibilityIssues } from '../governance/schema-compatibility.ts';

/**
 * Compares two OpenAPI 3.1 documents of this API — the released one (committed in
 * `openapi/v1.json`) and the one the code generates — and sorts the differences into breaking
 * and additive changes, from an API client's point of view:
 *
 * - breaking: a removed path or operation; a new required parameter or request body; a request
 *   schema (parameter or body) that no longer accepts what it did (narrowed type, removed enum
 *   value, new required field, tighter constraint — the JSON Schema comparison of
 *   `schema-compatibility.ts`, old schema as writer, new as reader); a removed success response;
 *   in a response, a removed field, a field no longer always present, a changed type or a
 *   removed enum value.
 * - additive: everything else that differs (new paths, operations, optional parameters and
 *   fields, new response fields and enum values).
 *
 * A breaking change under `/v1/x` is allowed when the new document introduces `/v2/x` (the
 * changed contract lives under the new prefix). Written by hand because no maintained OpenAPI
 * diff library is among the dependencies (docs/api.md, "API contract check").
 */

export interface ApiChange {
  /** `GET /v1/runs`, or the path alone for path-level changes. */
  where: string;
  /** Where inside the operation: `query.limit`, `requestBody/amount`, `200/items/status`. */
  at?: string;
  kind: string;
  message: string;
}

export interface ApiDiff {
  /** Breaking changes not excused by a `/v2` path. */
  breaking: ApiChange[];
  /** Breaking changes excused because the new document adds the `/v2` counterpart. */
  excused: ApiChange[];
  additive: ApiChange[];
}

type Obj = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

export function diffOpenApi(released: object, current: object): ApiDiff {
  const oldDoc = released as Obj;
  const newDoc = current as Obj;
  const oldPaths = (oldDoc.paths ?? {}) as Record<string, Obj>;
  const newPaths = (newDoc.paths ?? {}) as Record<string, Obj>;
  const breaking: ApiChange[] = [];
  const excused: ApiChange[] = [];
  const additive: ApiChange[] = [];
  const v2Added = (path: string) => {
    const v2 = path.replace(/^\/v1(?=\/|$)/, '/v2');
    return v2 !== path && v2 in newPaths && !(v2 in oldPaths);
  };

  for (const [path, oldItem] of Object.entries(oldPaths)) {
    const report = (change: ApiChange) => (v2Added(path) ? excused : breaking).push(change);
    const newItem = newPaths[path];
    if (!newItem) {
      report({ where: path, kind: 'path_removed', message: `${path} was removed` });
      continue;
    }
    for (const method of METHODS) {
      const oldOp = oldItem[method] as Obj | undefined;
      const newOp = newItem[method] as Obj | undefined;
      const where = `${method.toUpperCase()} ${path}`;
      if (oldOp && !newOp) {
        report({ where, kind: 'operation_removed', message: `${where} was removed` });
      } else if (!oldOp && newOp) {
        additive.push({ where, kind: 'operation_added', message: `${where} was added` });
      } else if (oldOp && newOp) {
        const changes = diffOperation(where, oldOp, newOp, oldDoc, newDoc);
        changes.breaking.forEach(report);
        additive.push(...changes.additive);
      }
    }
  }
  for (const path of Object.keys(newPaths)) {
    if (!(path in oldPaths)) {
      additive.push({ where: path, kind: 'path_added', message: `${path} was added` });
    }
  }
  return { breaking, excused, additive };
}

function diffOperation(
  where: string,
  oldOp: Obj,
  newOp: Obj,
  oldDoc: Obj,
  newDoc: Obj,
): { breaking: ApiChange[]; additive: ApiChange[] } {
  const breaking: ApiChange[] = [];
  const additive: ApiChange[] = [];
  const roots = { writer: oldDoc, reader: newDoc };

  // Parameters: keyed by location and name.
  const params = (op: Obj, doc: Obj) =>
    new Map(
      ((op.parameters ?? []) as Obj[]).map((p) => {
        const param = deref(p, doc);
        return [`${String(param.in)}.${String(param.name)}`, param];
      }),
    );
  const oldParams = params(oldOp, oldDoc);
  const newParams = params(newOp, newDoc);
  for (const [key, param] of newParams) {
    const before = oldParams.get(key);
    if (!before) {
      (param.required === true ? breaking : additive).push({
        where,
        at: key,
        kind: param.required === true ? 'required_parameter_added' : 'parameter_added',
        message: `${param.required === true ? 'required' : 'optional'} parameter ${key} was added`,
      });
      continue;
    }
    if (param.required === true && before.required !== true) {
      breaking.push({
        where,
        at: key,
        kind: 'parameter_made_required',
        message: `parameter ${key} became required`,
      });
    }
    for (const issue of compatibilityIssues(
      (before.schema ?? {}) as object,
      (param.schema ?? {}) as object,
      roots,
    ).filter(requestMatters)) {
      breaking.push({
        where,
        at: `${key}${pathSuffix(issue.path)}`,
        kind: issue.kind,
        message: issue.message,
      });
    }
  }
  for (const key of oldParams.keys()) {
    if (!newParams.has(key)) {
      additive.push({
        where,
        at: key,
        kind: 'parameter_removed',
        message: `parameter ${key} is no longer read`,
      });
    }
  }

  // Request body.
  const oldBody = oldOp.requestBody ? deref(oldOp.requestBody as Obj, oldDoc) : undefined;
  const newBody = newOp.requestBody ? deref(newOp.requestBody as Obj, newDoc) : undefined;
  if (newBody && !oldBody && newBody.required === true) {
    breaking.push({
      where,
      at: 'requestBody',
      kind: 'request_body_added',
      message: 'a required request body was added',
    });
  }
  if (oldBody && newBody) {
    if (newBody.required === true && oldBody.required !== true) {
      breaking.push({
        where,
        at: 'requestBody',
        kind: 'request_body_made_required',
        message: 'the request body became required',
      });
    }
    for (const [type, media] of Object.entries(contentOf(oldBody))) {
      const next = contentOf(newBody)[type];
      if (!next) {
        breaking.push({
          where,
          at: `requestBody(${type})`,
          kind: 'media_type_removed',
          message: `${type} is no longer accepted`,
        });
        continue;
      }
      for (const issue of compatibilityIssues(
        (media.schema ?? {}) as object,
        (next.schema ?? {}) as object,
        roots,
      ).filter(requestMatters)) {
        breaking.push({
          where,
          at: `requestBody${issue.path === '/' ? '' : issue.path}`,
          kind: issue.kind,
          message: issue.message,
        });
      }
    }
  }

  // Responses: success responses must stay, and each keeps what clients read from it.
  const oldResponses = (oldOp.responses ?? {}) as Record<string, Obj>;
  const newResponses = (newOp.responses ?? {}) as Record<string, Obj>;
  for (const [status, oldResponse] of Object.entries(oldResponses)) {
    const newResponse = newResponses[status];
    if (!newResponse) {
      if (status.startsWith('2')) {
        breaking.push({
          where,
          at: status,
          kind: 'response_removed',
          message: `response ${status} was removed`,
        });
      }
      continue;
    }
    const before = contentOf(deref(oldResponse, oldDoc));
    const after = contentOf(deref(newResponse, newDoc));
    for (const [type, media] of Object.entries(before)) {
      const next = after[type];
      if (!next) {
        breaking.push({
          where,
          at: `${status}(${type})`,
          kind: 'media_type_removed',
          message: `${status} no longer returns ${type}`,
        });
        continue;
      }
      const changes: { breaking: boolean; change: ApiChange }[] = [];
      compareResponse(
        { schema: media.schema ?? {}, doc: oldDoc },
        { schema: next.schema ?? {}, doc: newDoc },
        status,
        (isBreaking, at, kind, message) =>
          changes.push({ breaking: isBreaking, change: { where, at, kind, message } }),
        new Set(),
      );
      for (const c of changes) (c.breaking ? breaking : additive).push(c.change);
    }
  }
  for (const status of Object.keys(newResponses)) {
    if (!(status in oldResponses)) {
      additive.push({
        where,
        at: status,
        kind: 'response_added',
        message: `response ${status} was added`,
      });
    }
  }
  return { breaking, additive };
}

type Report = (breaking: boolean, at: string, kind: string, message: string) => void;

/** A response schema as clients read it: fields they rely on must stay, with their types. */
function compareResponse(
  before: { schema: unknown; doc: Obj },
  after: { schema: unknown; doc: Obj },
  at: string,
  report: Report,
  seen: Set<string>,
): void {
  const o = deref(asObj(before.schema), before.doc);
  const n = deref(asObj(after.schema), after.doc);
  const key = `${JSON.stringify(o)}|${JSON.stringify(n)}`;
  if (seen.has(key)) return;
  seen.add(key);
  try {
    const oBranches = alternatives(o);
    const nBranches = alternatives(n);
    if (oBranches.length > 1 || nBranches.length > 1) {
      // Every new alternative must be one clients already handle.
      for (const nb of nBranches) {
        let best: Parameters<Report>[] | undefined;
        for (const ob of oBranches) {
          const found: Parameters<Report>[] = [];
          compareResponse(
            { schema: ob, doc: before.doc },
            { schema: nb, doc: after.doc },
            at,
            (...a) => found.push(a),
            seen,
          );
          const broken = found.filter((f) => f[0]);
          if (!best || broken.length < best.filter((f) => f[0]).length) best = found;
          if (broken.length === 0) break;
        }
        for (const args of best ?? []) report(...args);
      }
      return;
    }
    if (Object.keys(o).length === 0) return; // clients could assume nothing
    const oTypes = typesOf(o);
    const nTypes = typesOf(n);
    const widened = [...nTypes].filter(
      (t) => !oTypes.has(t) && !(t === 'integer' && oTypes.has('number')),
    );
    if (widened.length > 0) {
      report(
        true,
        at,
        'response_type_changed',
        `may now be ${widened.join(' or ')} (was ${[...oTypes].join(' or ')})`,
      );
    }
    const oValues = valuesOf(o);
    const nValues = valuesOf(n);
    if (oValues && nValues) {
      const kept = new Set(nValues.map((v) => JSON.stringify(v)));
      const had = new Set(oValues.map((v) => JSON.stringify(v)));
      for (const v of oValues) {
        if (!kept.has(JSON.stringify(v)))
          report(true, at, 'enum_value_removed', `${JSON.stringify(v)} is no longer returned`);
      }
      for (const v of nValues) {
        if (!had.has(JSON.stringify(v)))
          report(false, at, 'enum_value_added', `${JSON.stringify(v)} may now be returned`);
      }
    } else if (oValues && !nValues) {
      report(true, at, 'enum_removed', 'no longer limited to fixed values');
    }
    if (oTypes.has('object') && nTypes.has('object')) {
      const oProps = (o.properties ?? {}) as Obj;
      const nProps = (n.properties ?? {}) as Obj;
      const oRequired = new Set((o.required ?? []) as string[]);
      const nRequired = new Set((n.required ?? []) as string[]);
      for (const [name, schema] of Object.entries(oProps)) {
        const child = `${at}/${name}`;
        if (!(name in nProps)) {
          report(true, child, 'response_field_removed', `"${name}" is no longer returned`);
          continue;
        }
        if (oRequired.has(name) && !nRequired.has(name)) {
          report(
            true,
            child,
            'response_field_made_optional',
            `"${name}" is no longer always returned`,
          );
        }
        compareResponse(
          { schema, doc: before.doc },
          { schema: nProps[name], doc: after.doc },
          child,
          report,
          seen,
        );
      }
      for (const name of Object.keys(nProps)) {
        if (!(name in oProps))
          report(false, `${at}/${name}`, 'response_field_added', `"${name}" is now returned`);
      }
    }
    if (oTypes.has('array') && nTypes.has('array') && o.items !== undefined) {
      compareResponse(
        { schema: o.items, doc: before.doc },
        { schema: n.items ?? {}, doc: after.doc },
        `${at}/items`,
        report,
        seen,
      );
    }
  } finally {
    seen.delete(key);
  }
}

/**
 * Request schemas are open (zod strips unknown members of a request), so a property added to
 * one was ignored before, not refused: the JSON Schema rule for open models does not apply.
 */
function requestMatters(issue: { kind: string }): boolean {
  return issue.kind !== 'property_added_to_open_model';
}

function asObj(value: unknown): Obj {
  return typeof value === 'object' && value !== null ? (value as Obj) : {};
}

/** Follows `$ref`s inside the document. */
function deref(node: Obj, doc: Obj, depth = 0): Obj {
  if (typeof node.$ref !== 'string') return node;
  if (depth > 32) throw new Error(`$ref chain too deep at ${node.$ref}`);
  if (!node.$ref.startsWith('#/'))
    throw new Error(`cannot resolve the non-local $ref ${node.$ref}`);
  let target: unknown = doc;
  for (const part of node.$ref.slice(2).split('/')) {
    target = (target as Obj | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  if (target === undefined) throw new Error(`$ref ${node.$ref} points nowhere`);
  const { $ref: _ref, ...siblings } = node;
  return deref({ ...(target as Obj), ...siblings }, doc, depth + 1);
}

function contentOf(node: Obj): Record<string, Obj> {
  return (node.content ?? {}) as Record<string, Obj>;
}

function alternatives(schema: Obj): Obj[] {
  const list = (schema.anyOf ?? schema.oneOf) as Obj[] | undefined;
  if (!Array.isArray(list)) return [schema];
  const { anyOf: _a, oneOf: _o, ...base } = schema;
  return list.map((branch) => ({ ...base, ...branch }));
}

function typesOf(schema: Obj): Set<string> {
  if (typeof schema.type === 'string') return new Set([schema.type]);
  if (Array.isArray(schema.type)) return new Set(schema.type as string[]);
  const values = valuesOf(schema);
  if (values) {
    return new Set(
      values.map((v) =>
        v === null
          ? 'null'
          : Array.isArray(v)
            ? 'array'
            : typeof v === 'number'
              ? Number.isInteger(v)
                ? 'integer'
                : 'number'
              : typeof v,
      ),
    );
  }
  return new Set(['null', 'boolean', 'object', 'array', 'number', 'string']);
}

function valuesOf(schema: Obj): unknown[] | undefined {
  if ('const' in schema) return [schema.const];
  if (Array.isArray(schema.enum)) return schema.enum;
  return undefined;
}

function pathSuffix(path: string): string {
  return path === '/' ? '' : path;
}
