/**
 * QuickBooks' query language: `SELECT * | COUNT(*) | f1, f2 FROM Entity [WHERE a = 'x' AND b IN
 * ('y', 'z') AND c LIKE '%w'] [ORDERBY f [ASC|DESC]] [STARTPOSITION n] [MAXRESULTS n]`.
 * No OR, no joins, no sub-queries (QuickBooks has none); `STARTPOSITION` is 1-based and
 * `MAXRESULTS` at most 1000.
 */
import { queryParserError } from './errors.ts';
import { ENTITIES, type EntityName, type QboRecord } from './books.ts';

type Value = string | number | boolean;
type Op = '=' | '!=' | '<' | '>' | '<=' | '>=' | 'LIKE' | 'IN';

interface Condition {
  field: string;
  op: Op;
  values: Value[];
}

/** A parsed query. */
export interface ParsedQuery {
  entity: EntityName;
  /** `*`, `count`, or the selected fields. */
  select: '*' | 'count' | string[];
  where: Condition[];
  orderBy?: { field: string; desc: boolean };
  startPosition: number;
  maxResults: number;
}

const TOKEN =
  /\s*(?:('(?:[^'\\]|\\.|'')*')|(\d+(?:\.\d+)?)|(<=|>=|!=|<>|[=<>(),*])|([A-Za-z_][A-Za-z0-9_.]*))/y;

function tokenize(q: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < q.length) {
    if (/^\s*$/.test(q.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(q);
    if (!m)
      throw queryParserError(
        `Encountered " <unexpected> "${q.slice(pos, pos + 10)}" at column ${pos + 1}`,
      );
    out.push(m[1] ?? m[2] ?? m[3] ?? m[4]!);
    pos = TOKEN.lastIndex;
  }
  return out;
}

function literal(token: string | undefined): Value {
  if (token === undefined) throw queryParserError('a value is missing');
  if (token.startsWith("'")) return token.slice(1, -1).replace(/''/g, "'").replace(/\\(.)/g, '$1');
  if (/^\d/.test(token)) return Number(token);
  if (/^true$/i.test(token)) return true;
  if (/^false$/i.test(token)) return false;
  throw queryParserError(`Encountered " <IDENTIFIER> "${token}" where a value was expected`);
}

/** Parses a query; a malformed one is a `QueryParserError` fault (4000). */
export function parseQuery(q: string): ParsedQuery {
  const t = tokenize(q.trim());
  let i = 0;
  const peek = () => t[i]?.toUpperCase();
  const expect = (word: string) => {
    if (peek() !== word) throw queryParserError(`expected ${word} at "${t[i] ?? '<EOF>'}"`);
    i += 1;
  };
  expect('SELECT');
  let select: ParsedQuery['select'];
  if (t[i] === '*') {
    select = '*';
    i += 1;
  } else if (peek() === 'COUNT') {
    i += 1;
    expect('(');
    expect('*');
    expect(')');
    select = 'count';
  } else {
    select = [];
    for (;;) {
      const f = t[i++];
      if (!f || !/^[A-Za-z]/.test(f)) throw queryParserError('expected a field name');
      select.push(f);
      if (t[i] !== ',') break;
      i += 1;
    }
  }
  expect('FROM');
  const name = t[i++] ?? '';
  const entity = ENTITIES.find((e) => e.toLowerCase() === name.toLowerCase());
  if (!entity) throw queryParserError(`Invalid context declaration.: ${name}`);
  const where: Condition[] = [];
  if (peek() === 'WHERE') {
    i += 1;
    for (;;) {
      const field = t[i++];
      if (!field || !/^[A-Za-z]/.test(field)) throw queryParserError('expected a field in WHERE');
      let op = (t[i++] ?? '').toUpperCase();
      if (op === '<>') op = '!=';
      if (!['=', '!=', '<', '>', '<=', '>=', 'LIKE', 'IN'].includes(op)) {
        throw queryParserError(`Encountered " "${op}" " at WHERE ${field}`);
      }
      let values: Value[];
      if (op === 'IN') {
        expect('(');
        values = [];
        for (;;) {
          values.push(literal(t[i++]));
          if (t[i] === ',') {
            i += 1;
            continue;
          }
          expect(')');
          break;
        }
      } else values = [literal(t[i++])];
      where.push({ field, op: op as Op, values });
      if (peek() === 'AND') {
        i += 1;
        continue;
      }
      if (peek() === 'OR') throw queryParserError('OR is not supported');
      break;
    }
  }
  let orderBy: ParsedQuery['orderBy'];
  if (peek() === 'ORDERBY' || peek() === 'ORDER') {
    if (peek() === 'ORDER') {
      i += 1;
      expect('BY');
    } else i += 1;
    const field = t[i++];
    if (!field) throw queryParserError('expected a field after ORDERBY');
    let desc = false;
    if (peek() === 'DESC' || peek() === 'ASC') desc = t[i++]!.toUpperCase() === 'DESC';
    orderBy = { field, desc };
  }
  let startPosition = 1;
  let maxResults = 100;
  while (peek() === 'STARTPOSITION' || peek() === 'MAXRESULTS') {
    const which = peek();
    i += 1;
    const n = Number(t[i++]);
    if (!Number.isInteger(n) || n < 1) throw queryParserError(`${which} takes a positive integer`);
    if (which === 'STARTPOSITION') startPosition = n;
    else maxResults = Math.min(n, 1000);
  }
  if (i < t.length) throw queryParserError(`Encountered " "${t[i]}" " after the query`);
  return {
    entity,
    select,
    where,
    ...(orderBy && { orderBy }),
    startPosition,
    maxResults,
  };
}

/** A field of a record by dotted path; a reference (`{value, name}`) compares by its value. */
function fieldValue(record: QboRecord, path: string): unknown {
  let v: unknown = record;
  for (const part of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    const obj = v as Record<string, unknown>;
    const key = Object.keys(obj).find((k) => k.toLowerCase() === part.toLowerCase());
    v = key === undefined ? undefined : obj[key];
  }
  if (typeof v === 'object' && v !== null && 'value' in v) return (v as { value: unknown }).value;
  if (typeof v === 'object' && v !== null && 'Address' in v)
    return (v as { Address: unknown }).Address;
  return v;
}

function compare(a: unknown, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  // Timestamps with offsets compare as instants.
  if (typeof a === 'string' && typeof b === 'string' && /T\d\d:/.test(a) && /T\d\d:/.test(b)) {
    return Date.parse(a) - Date.parse(b);
  }
  if (typeof a === 'string' && /^\d+$/.test(a) && typeof b === 'string' && /^\d+$/.test(b)) {
    return Number(a) - Number(b);
  }
  return String(a).localeCompare(String(b));
}

function likeToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('%')
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'is');
}

function matches(record: QboRecord, c: Condition): boolean {
  const v = fieldValue(record, c.field);
  if (v === undefined) return false;
  const first = c.values[0]!;
  switch (c.op) {
    case '=':
      return typeof first === 'string' && typeof v === 'string'
        ? v.toLowerCase() === first.toLowerCase()
        : compare(v, first) === 0;
    case '!=':
      return compare(v, first) !== 0;
    case '<':
      return compare(v, first) < 0;
    case '>':
      return compare(v, first) > 0;
    case '<=':
      return compare(v, first) <= 0;
    case '>=':
      return compare(v, first) >= 0;
    case 'LIKE':
      return likeToRegExp(String(first)).test(String(v));
    case 'IN':
      return c.values.some((x) => compare(v, x) === 0);
  }
}

/** Runs a parsed query over the realm's objects of its entity: QuickBooks' `QueryResponse`. */
export function runQuery(
  query: ParsedQuery,
  records: readonly QboRecord[],
): Record<string, unknown> {
  let rows = records.filter((r) => query.where.every((c) => matches(r, c)));
  if (query.select === 'count') return { totalCount: rows.length };
  const order = query.orderBy;
  rows = [...rows].sort((a, b) => {
    if (order) {
      const d = compare(fieldValue(a, order.field), fieldValue(b, order.field) as Value);
      if (d !== 0) return order.desc ? -d : d;
    }
    return Number(a.Id) - Number(b.Id);
  });
  const page = rows.slice(query.startPosition - 1, query.startPosition - 1 + query.maxResults);
  if (page.length === 0) return {};
  const fields = query.select;
  const shaped =
    fields === '*'
      ? page
      : page.map((r) => {
          const out: Record<string, unknown> = {
            Id: r.Id,
            SyncToken: r.SyncToken,
            domain: 'QBO',
            sparse: true,
          };
          for (const f of fields) {
            const key = Object.keys(r).find((k) => k.toLowerCase() === f.toLowerCase());
            if (key !== undefined) out[key] = r[key];
          }
          return out;
        });
  return { [query.entity]: shaped, startPosition: query.startPosition, maxResults: page.length };
}
