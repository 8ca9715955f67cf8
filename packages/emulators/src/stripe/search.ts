import { invalidRequest } from './errors.ts';
import type { Params } from './params.ts';

/** A value a search field can take on an object. */
export type SearchValue = string | number | boolean | null | undefined;

/** Reads a field (`email`, `status`, `created`, `metadata['k']` → `metadata.k`) from an object. */
export type FieldReader<T> = (obj: T, field: string) => SearchValue;

interface Clause {
  negate: boolean;
  field: string;
  op: ':' | '~' | '>' | '<' | '>=' | '<=';
  value: string | number | null;
}

/** A search result page: `{object:'search_result', data, has_more, next_page, url}`. */
export interface SearchResult<T> {
  object: 'search_result';
  data: T[];
  has_more: boolean;
  next_page: string | null;
  url: string;
  total_count?: number;
}

const CLAUSE =
  /^\s*(-?)\s*(metadata\[(?:'[^']*'|"[^"]*")\]|[a-z_][a-z0-9_.]*)\s*(>=|<=|:|~|>|<)\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|null)\s*/;

function syntaxError(query: string): Error {
  return invalidRequest(
    `We were unable to parse your search query. Try using the format \`metadata["key"]:"value"\` to query for metadata or \`key:"value"\` to query for other fields. Query: ${query}`,
    'query',
  );
}

/** Parses Stripe's search query language: clauses joined by all-`AND` or all-`OR`. */
export function parseSearchQuery(query: string): { clauses: Clause[]; mode: 'AND' | 'OR' } {
  const clauses: Clause[] = [];
  const joins = new Set<string>();
  let rest = query;
  for (;;) {
    const m = CLAUSE.exec(rest);
    if (!m) throw syntaxError(query);
    const [whole, neg, rawField, op, rawValue] = m as unknown as [
      string,
      string,
      string,
      Clause['op'],
      string,
    ];
    const field = rawField.startsWith('metadata[')
      ? `metadata.${rawField.slice(10, -2)}`
      : rawField;
    let value: Clause['value'];
    if (rawValue === 'null') value = null;
    else if (rawValue.startsWith("'") || rawValue.startsWith('"')) {
      value = rawValue.slice(1, -1).replace(/\\(.)/g, '$1');
    } else value = Number(rawValue);
    clauses.push({ negate: neg === '-', field, op, value });
    rest = rest.slice(whole.length);
    if (rest.trim() === '') break;
    const j = /^(AND|OR)\s+/.exec(rest);
    if (!j) throw syntaxError(query);
    joins.add(j[1] as string);
    rest = rest.slice(j[0].length);
  }
  if (joins.size > 1) {
    throw invalidRequest('Search queries cannot combine `AND` and `OR`.', 'query');
  }
  return { clauses, mode: joins.has('OR') ? 'OR' : 'AND' };
}

function matches(actual: SearchValue, c: Clause): boolean {
  if (c.op === ':') {
    if (c.value === null) return actual === null || actual === undefined || actual === '';
    if (actual === null || actual === undefined) return false;
    return String(actual).toLowerCase() === String(c.value).toLowerCase();
  }
  if (c.op === '~') {
    if (actual === null || actual === undefined || c.value === null) return false;
    return String(actual).toLowerCase().includes(String(c.value).toLowerCase());
  }
  const a = Number(actual);
  const v = Number(c.value);
  if (actual === null || actual === undefined || Number.isNaN(a) || Number.isNaN(v)) return false;
  return c.op === '>' ? a > v : c.op === '<' ? a < v : c.op === '>=' ? a >= v : a <= v;
}

/**
 * Runs a search over `items` (newest first) and pages it with `page` / `next_page` tokens.
 * `fields` lists the fields the resource supports (metadata is always searchable).
 */
export function search<T>(
  items: readonly T[],
  p: Params,
  url: string,
  fields: readonly string[],
  read: FieldReader<T>,
): SearchResult<T> {
  const query = p.reqStr('query');
  const { clauses, mode } = parseSearchQuery(query);
  for (const c of clauses) {
    if (!c.field.startsWith('metadata.') && !fields.includes(c.field)) {
      throw invalidRequest(
        `Field \`${c.field}\` is an unsupported search field for resource. See http://stripe.com/docs/search#query-fields for a list of supported fields.`,
        'query',
      );
    }
  }
  const test = (obj: T, c: Clause): boolean => matches(read(obj, c.field), c) !== c.negate;
  const hits = items.filter((obj) =>
    mode === 'AND' ? clauses.every((c) => test(obj, c)) : clauses.some((c) => test(obj, c)),
  );
  const limit = p.int('limit', { min: 1, max: 100 }) ?? 10;
  const page = p.str('page');
  let offset = 0;
  if (page) {
    const decoded = Number(Buffer.from(page, 'base64url').toString('utf8').replace(/^o:/, ''));
    if (!Number.isInteger(decoded) || decoded < 0)
      throw invalidRequest('Invalid page token.', 'page');
    offset = decoded;
  }
  const data = hits.slice(offset, offset + limit);
  const more = offset + limit < hits.length;
  const result: SearchResult<T> = {
    object: 'search_result',
    data,
    has_more: more,
    next_page: more ? Buffer.from(`o:${offset + limit}`).toString('base64url') : null,
    url,
  };
  if (p.expand().includes('total_count')) result.total_count = hits.length;
  return result;
}

/** The common reader: `metadata.k` from `metadata`, anything else a top-level scalar. */
export function readField(obj: object, field: string): SearchValue {
  const o = obj as Record<string, unknown>;
  if (field.startsWith('metadata.')) {
    const md = o['metadata'] as Record<string, string> | null | undefined;
    return md?.[field.slice(9)];
  }
  const v = o[field];
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null
    ? v
    : undefined;
}
