import { compareDecimal, decimalFromNumber, parseDecimal, type Decimal } from './decimal.ts';
import { invalidParameter } from './errors.ts';
import type { Json, JsonObject } from './state.ts';

/** A parsed `q=` filter of a record collection: conditions joined by AND (tighter) and OR. */
export type CollectionFilter = (record: JsonObject) => boolean;

type Value = string | number | boolean | Value[];

interface Condition {
  field: string;
  operator: string;
  value?: Value;
}

const STRING_OPERATORS = [
  'IS',
  'IS_NOT',
  'CONTAIN',
  'DOES_NOT_CONTAIN',
  'START_WITH',
  'DOES_NOT_START_WITH',
  'END_WITH',
  'DOES_NOT_END_WITH',
];
const NUMBER_OPERATORS = [
  'EQUAL',
  'EQUAL_NOT',
  'GREATER',
  'GREATER_OR_EQUAL',
  'LESS',
  'LESS_OR_EQUAL',
  'BETWEEN',
  'BETWEEN_NOT',
];
const DATE_OPERATORS = ['AFTER', 'BEFORE', 'ON', 'ON_OR_AFTER', 'ON_OR_BEFORE', 'NOT_ON', 'WITHIN'];
const LIST_OPERATORS = ['ANY_OF', 'ANY_OF_NOT'];
const UNARY_OPERATORS = ['EMPTY', 'EMPTY_NOT'];

/** Every operator `q=` understands. */
export const COLLECTION_OPERATORS = [
  ...STRING_OPERATORS,
  ...NUMBER_OPERATORS,
  ...DATE_OPERATORS,
  ...LIST_OPERATORS,
  ...UNARY_OPERATORS,
];

const fail = (message: string): never => {
  throw invalidParameter(`Invalid search query: ${message}`, 'q');
};

/** Splits `q` into words, `"quoted strings"`, numbers and `[a, b]` lists. */
function tokenize(q: string): (string | { quoted: string })[] {
  const tokens: (string | { quoted: string })[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      let end = i + 1;
      let text = '';
      while (end < q.length && q[end] !== '"') {
        if (q[end] === '\\' && end + 1 < q.length) end++;
        text += q[end];
        end++;
      }
      if (end >= q.length) fail('a quoted value is not closed');
      tokens.push({ quoted: text });
      i = end + 1;
    } else if (c === '[' || c === ']' || c === ',' || c === '(' || c === ')') {
      tokens.push(c);
      i++;
    } else {
      let end = i;
      while (end < q.length && !/[\s[\](),"]/.test(q[end] as string)) end++;
      tokens.push(q.slice(i, end));
      i = end;
    }
  }
  return tokens;
}

function literal(token: string | { quoted: string } | undefined): Value {
  if (token === undefined) return fail('a value is missing');
  if (typeof token === 'object') return token.quoted;
  if (token === 'true' || token === 'false') return token === 'true';
  if (/^-?\d+(\.\d+)?$/.test(token)) return Number(token);
  return token;
}

function parse(q: string): Condition[][] {
  const tokens = tokenize(q);
  let pos = 0;
  const groups: Condition[][] = [[]];
  for (;;) {
    const field = tokens[pos++];
    if (typeof field !== 'string' || /^[[\](),]$/.test(field)) fail('expected a field name');
    if (field === '(' || field === ')') fail('parentheses are not supported');
    const operatorToken = tokens[pos++];
    const operator = typeof operatorToken === 'string' ? operatorToken.toUpperCase() : '';
    if (!COLLECTION_OPERATORS.includes(operator)) {
      fail(
        `unknown operator '${typeof operatorToken === 'string' ? operatorToken : '"…"'}' after ${field as string}`,
      );
    }
    const condition: Condition = { field: field as string, operator };
    if (!UNARY_OPERATORS.includes(operator)) {
      if (tokens[pos] === '[') {
        pos++;
        const list: Value[] = [];
        while (tokens[pos] !== ']') {
          if (pos >= tokens.length) fail('a [list] is not closed');
          list.push(literal(tokens[pos++]));
          if (tokens[pos] === ',') pos++;
        }
        pos++;
        condition.value = list;
      } else {
        condition.value = literal(tokens[pos++]);
      }
    }
    (groups[groups.length - 1] as Condition[]).push(condition);
    if (pos >= tokens.length) break;
    const joiner = tokens[pos++];
    if (joiner === 'AND' || joiner === 'and') continue;
    if (joiner === 'OR' || joiner === 'or') {
      groups.push([]);
      continue;
    }
    fail(`expected AND or OR, found '${typeof joiner === 'string' ? joiner : joiner?.quoted}'`);
  }
  return groups;
}

function fieldValue(record: JsonObject, field: string): Json | undefined {
  const key = Object.keys(record).find((k) => k.toLowerCase() === field.toLowerCase());
  const v = key === undefined ? undefined : record[key];
  if (v && typeof v === 'object' && !Array.isArray(v) && 'id' in v) return v['id'];
  return v;
}

function asDecimal(v: Json | Value | undefined): Decimal | undefined {
  if (typeof v === 'number') return decimalFromNumber(v);
  if (typeof v === 'string') return parseDecimal(v);
  return undefined;
}

/** A filter date: `YYYY-MM-DD`, an ISO date-time, or NetSuite's `M/D/YYYY`. */
function asDate(v: Json | Value | undefined): { ms: number; dateOnly: boolean } | undefined {
  if (typeof v !== 'string') return undefined;
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v);
  if (us) return { ms: Date.UTC(Number(us[3]), Number(us[1]) - 1, Number(us[2])), dateOnly: true };
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return { ms: Date.parse(`${v}T00:00:00Z`), dateOnly: true };
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : { ms, dateOnly: false };
}

const DAY = 86_400_000;

function compareValues(a: Json | undefined, b: Value): number | undefined {
  const x = asDecimal(a);
  const y = asDecimal(b);
  if (x && y) return compareDecimal(x, y);
  const dx = asDate(a);
  const dy = asDate(b);
  if (dx && dy) return dx.ms - dy.ms;
  return undefined;
}

function text(v: Json | undefined): string {
  return v === undefined || v === null ? '' : String(v).toLowerCase();
}

function matches(record: JsonObject, c: Condition): boolean {
  const v = fieldValue(record, c.field);
  const value = c.value;
  switch (c.operator) {
    case 'EMPTY':
      return v === undefined || v === null || v === '';
    case 'EMPTY_NOT':
      return !(v === undefined || v === null || v === '');
    case 'IS':
      return typeof value === 'boolean' ? v === value : text(v) === text(value as Json);
    case 'IS_NOT':
      return typeof value === 'boolean' ? v !== value : text(v) !== text(value as Json);
    case 'CONTAIN':
      return text(v).includes(text(value as Json));
    case 'DOES_NOT_CONTAIN':
      return !text(v).includes(text(value as Json));
    case 'START_WITH':
      return text(v).startsWith(text(value as Json));
    case 'DOES_NOT_START_WITH':
      return !text(v).startsWith(text(value as Json));
    case 'END_WITH':
      return text(v).endsWith(text(value as Json));
    case 'DOES_NOT_END_WITH':
      return !text(v).endsWith(text(value as Json));
    case 'ANY_OF':
    case 'ANY_OF_NOT': {
      const list = Array.isArray(value) ? value : [value as Value];
      const hit = list.some((x) => text(v) === text(x as Json));
      return c.operator === 'ANY_OF' ? hit : !hit;
    }
    case 'BETWEEN':
    case 'BETWEEN_NOT':
    case 'WITHIN': {
      if (!Array.isArray(value) || value.length !== 2) fail(`${c.operator} takes [from, to]`);
      const [from, to] = value as [Value, Value];
      const lo = compareValues(v, from);
      const hi = compareValues(v, to);
      const inside = lo !== undefined && hi !== undefined && lo >= 0 && hi <= 0;
      return c.operator === 'BETWEEN_NOT' ? !inside : inside;
    }
    default:
      break;
  }
  if (Array.isArray(value) || value === undefined) return fail(`${c.operator} takes one value`);
  if (DATE_OPERATORS.includes(c.operator)) {
    const field = asDate(v as Json);
    const bound = asDate(value);
    if (!bound) return fail(`'${String(value)}' is not a date`);
    if (!field) return false;
    // A date-only bound covers its whole day: AFTER 1/15/2026 means from 1/16/2026.
    const start = bound.ms;
    const end = bound.dateOnly ? bound.ms + DAY : bound.ms;
    switch (c.operator) {
      case 'AFTER':
        return bound.dateOnly ? field.ms >= end : field.ms > start;
      case 'ON_OR_AFTER':
        return field.ms >= start;
      case 'BEFORE':
        return field.ms < start;
      case 'ON_OR_BEFORE':
        return bound.dateOnly ? field.ms < end : field.ms <= start;
      case 'ON':
        return field.ms >= start && field.ms < (bound.dateOnly ? end : start + 1);
      default:
        return !(field.ms >= start && field.ms < (bound.dateOnly ? end : start + 1));
    }
  }
  const cmp = compareValues(v, value);
  if (cmp === undefined) return false;
  switch (c.operator) {
    case 'EQUAL':
      return cmp === 0;
    case 'EQUAL_NOT':
      return cmp !== 0;
    case 'GREATER':
      return cmp > 0;
    case 'GREATER_OR_EQUAL':
      return cmp >= 0;
    case 'LESS':
      return cmp < 0;
    default:
      return cmp <= 0;
  }
}

/**
 * Compiles a `q=` filter, e.g. `externalId IS "C-1"`, `email START_WITH "billing@"`,
 * `lastModifiedDate AFTER "2026-01-15T10:00:00Z"`, `subsidiary ANY_OF [1, 2] AND isInactive IS false`.
 * Throws 400 `INVALID_PARAMETER` on syntax it does not understand.
 */
export function parseCollectionFilter(q: string): CollectionFilter {
  const groups = parse(q);
  // Validate list-taking operators eagerly so a bad query fails even on an empty collection.
  for (const c of groups.flat()) {
    if (['BETWEEN', 'BETWEEN_NOT', 'WITHIN'].includes(c.operator)) {
      if (!Array.isArray(c.value) || c.value.length !== 2) fail(`${c.operator} takes [from, to]`);
    }
    if (DATE_OPERATORS.includes(c.operator) && c.operator !== 'WITHIN') {
      if (!asDate(c.value as Value)) fail(`'${String(c.value)}' is not a date`);
    }
  }
  return (record) => groups.some((group) => group.every((c) => matches(record, c)));
}
