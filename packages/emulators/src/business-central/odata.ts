/**
 * The OData v4 the emulator reads: resource paths (`companies(<id>)/salesInvoices(<id>)/…`) and
 * the query options BC's API pages honour — `$filter` (eq ne gt ge lt le, and or not, brackets,
 * contains/startswith/endswith), `$orderby`, `$top`, `$skip`, `$select`, `$expand`.
 */
import { badRequest } from './errors.ts';

export interface PathSegment {
  name: string;
  /** The key in brackets, unquoted (`companies(…)`, `subscriptions('…')`). */
  key?: string;
}

export function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  for (const raw of path.split('/').filter(Boolean)) {
    const part = decodeURIComponent(raw);
    const m = /^([^()]+)(?:\((.*)\))?$/.exec(part);
    if (!m) throw badRequest(`Bad Request - Error in query syntax: '${part}'.`);
    const name = m[1] as string;
    let key = m[2];
    if (key !== undefined) {
      key = key.trim();
      const named = /^\w+=(.*)$/.exec(key);
      if (named) key = named[1] as string;
      if (/^'.*'$/.test(key)) key = key.slice(1, -1).replace(/''/g, "'");
    }
    segments.push(key === undefined ? { name } : { name, key });
  }
  return segments;
}

// ---- $filter ----------------------------------------------------------------------------

type Literal = string | number | boolean | null;
export type FilterExpr =
  | { kind: 'cmp'; op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'; field: string; value: Literal }
  | { kind: 'fn'; fn: 'contains' | 'startswith' | 'endswith'; field: string; value: string }
  | { kind: 'and' | 'or'; left: FilterExpr; right: FilterExpr }
  | { kind: 'not'; expr: FilterExpr };

type Token =
  | { t: 'ident'; v: string }
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'lit'; v: string }
  | { t: '(' | ')' | ',' };

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      out.push({ t: c });
      i++;
      continue;
    }
    if (c === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= s.length)
          throw badRequest(`Bad Request - Error in query syntax: unterminated string in $filter.`);
        if (s[i] === "'") {
          if (s[i + 1] === "'") {
            v += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += s[i];
        i++;
      }
      out.push({ t: 'str', v });
      continue;
    }
    const m = /^[^\s(),']+/.exec(s.slice(i));
    const word = m?.[0] ?? c;
    i += word.length;
    // guid'…' / datetime'…' prefixes of OData v3 are accepted too.
    if ((word === 'guid' || word === 'datetime') && s[i] === "'") continue;
    if (/^-?\d+(\.\d+)?$/.test(word)) out.push({ t: 'num', v: Number(word) });
    else if (DATETIME.test(word) || DATE.test(word) || GUID.test(word))
      out.push({ t: 'lit', v: word });
    else out.push({ t: 'ident', v: word });
  }
  return out;
}

export function parseFilter(input: string): FilterExpr {
  const tokens = tokenize(input);
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (why: string): never => {
    throw badRequest(`Bad Request - Error in query syntax: ${why} in $filter '${input}'.`);
  };
  const word = (w: string) => {
    const t = peek();
    return t?.t === 'ident' && t.v.toLowerCase() === w;
  };
  const literal = (): Literal => {
    const t = tokens[pos++];
    if (!t) return fail('a value expected');
    if (t.t === 'str' || t.t === 'lit') return t.v;
    if (t.t === 'num') return t.v;
    if (t.t === 'ident') {
      if (t.v === 'true') return true;
      if (t.v === 'false') return false;
      if (t.v === 'null') return null;
    }
    return fail('a value expected');
  };
  const primary = (): FilterExpr => {
    if (word('not')) {
      pos++;
      return { kind: 'not', expr: primary() };
    }
    const t = peek();
    if (t?.t === '(') {
      pos++;
      const e = or();
      if (peek()?.t !== ')') fail("')' expected");
      pos++;
      return e;
    }
    if (t?.t !== 'ident') return fail('a property expected');
    pos++;
    const lower = t.v.toLowerCase();
    if (
      (lower === 'contains' || lower === 'startswith' || lower === 'endswith') &&
      peek()?.t === '('
    ) {
      pos++;
      const f = tokens[pos++];
      if (f?.t !== 'ident') fail('a property expected');
      if (tokens[pos++]?.t !== ',') fail("',' expected");
      const v = literal();
      if (tokens[pos++]?.t !== ')') fail("')' expected");
      return { kind: 'fn', fn: lower, field: (f as { v: string }).v, value: String(v) };
    }
    const op = tokens[pos++];
    const ops = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const;
    const o = op?.t === 'ident' ? ops.find((x) => x === op.v.toLowerCase()) : undefined;
    if (!o) return fail(`an operator expected after '${t.v}'`);
    return { kind: 'cmp', op: o, field: t.v, value: literal() };
  };
  const and = (): FilterExpr => {
    let left = primary();
    while (word('and')) {
      pos++;
      left = { kind: 'and', left, right: primary() };
    }
    return left;
  };
  const or = (): FilterExpr => {
    let left = and();
    while (word('or')) {
      pos++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const e = or();
  if (pos !== tokens.length) fail('unexpected input');
  return e;
}

function compare(a: unknown, b: Literal): number | undefined {
  if (a === null || a === undefined || b === null) return undefined;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') {
    if (DATETIME.test(b) && DATETIME.test(a)) return Date.parse(a) - Date.parse(b);
    if (GUID.test(b)) return a.toLowerCase().localeCompare(b.toLowerCase());
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'number') return Number(a) - b;
  return undefined;
}

export function evalFilter(e: FilterExpr, row: Record<string, unknown>): boolean {
  switch (e.kind) {
    case 'and':
      return evalFilter(e.left, row) && evalFilter(e.right, row);
    case 'or':
      return evalFilter(e.left, row) || evalFilter(e.right, row);
    case 'not':
      return !evalFilter(e.expr, row);
    case 'fn': {
      const v = row[e.field];
      if (typeof v !== 'string') return false;
      const a = v.toLowerCase();
      const b = e.value.toLowerCase();
      return e.fn === 'contains'
        ? a.includes(b)
        : e.fn === 'startswith'
          ? a.startsWith(b)
          : a.endsWith(b);
    }
    case 'cmp': {
      if (!(e.field in row)) {
        throw badRequest(
          `Could not find a property named '${e.field}' on type 'Microsoft.NAV.entity'.`,
        );
      }
      const v = row[e.field];
      if (e.value === null)
        return e.op === 'eq'
          ? v === null || v === ''
          : e.op === 'ne'
            ? v !== null && v !== ''
            : false;
      const c = compare(v, e.value);
      if (c === undefined) return e.op === 'ne';
      switch (e.op) {
        case 'eq':
          return c === 0;
        case 'ne':
          return c !== 0;
        case 'gt':
          return c > 0;
        case 'ge':
          return c >= 0;
        case 'lt':
          return c < 0;
        case 'le':
          return c <= 0;
      }
    }
  }
}

export function parseOrderBy(s: string): { field: string; desc: boolean }[] {
  return s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const [field, dir] = p.split(/\s+/);
      if (dir !== undefined && !/^(asc|desc)$/i.test(dir)) {
        throw badRequest(`Bad Request - Error in query syntax: $orderby '${s}'.`);
      }
      return { field: field as string, desc: /^desc$/i.test(dir ?? '') };
    });
}

export function sortRows(
  rows: Record<string, unknown>[],
  order: { field: string; desc: boolean }[],
) {
  return [...rows].sort((x, y) => {
    for (const { field, desc } of order) {
      const a = x[field];
      const b = y[field];
      let c = 0;
      if (typeof a === 'number' && typeof b === 'number') c = a - b;
      else c = String(a ?? '').localeCompare(String(b ?? ''));
      if (c !== 0) return desc ? -c : c;
    }
    return 0;
  });
}

/** `$top`/`$skip` as a non-negative integer. */
export function intOption(name: string, value: string | null): number | undefined {
  if (value === null) return undefined;
  if (!/^\d+$/.test(value))
    throw badRequest(`Bad Request - Error in query syntax: ${name}=${value}.`);
  return Number(value);
}
