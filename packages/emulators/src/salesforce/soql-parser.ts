import { SalesforceError } from './errors.ts';

/** A literal in a SOQL condition. */
export type SoqlValue =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'date'; value: string }
  | { kind: 'datetime'; ms: number; text: string }
  | { kind: 'dateLiteral'; name: string; n?: number };

/** A comparison operator. */
export type SoqlOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** A WHERE condition. */
export type SoqlCondition =
  | { kind: 'and' | 'or'; items: SoqlCondition[] }
  | { kind: 'not'; item: SoqlCondition }
  | { kind: 'compare'; field: string[]; op: SoqlOperator; value: SoqlValue }
  | { kind: 'in'; field: string[]; negate: boolean; values: SoqlValue[] }
  | { kind: 'like'; field: string[]; pattern: string };

/** One ORDER BY item. */
export interface SoqlOrder {
  field: string[];
  descending: boolean;
  nullsFirst: boolean;
}

/** A parsed query of the supported subset. */
export interface SoqlQuery {
  object: string;
  /** Field paths (`['Name']`, `['Account', 'Name']`), or `'count'` for `SELECT COUNT()`. */
  fields: string[][] | 'count';
  /** Parent-to-child subqueries in the SELECT list (`(SELECT … FROM OpportunityLineItems)`). */
  subqueries: SoqlSubquery[];
  where?: SoqlCondition;
  orderBy: SoqlOrder[];
  limit?: number;
  offset?: number;
}

/**
 * A parent-to-child subquery: `object` is the child relationship name as written
 * (`OpportunityLineItems`); `position` is how many plain fields precede it in the SELECT list.
 */
export interface SoqlSubquery extends SoqlQuery {
  position: number;
}

/** Most parent-to-child subqueries one query may hold (as in Salesforce). */
export const MAX_SUBQUERIES = 20;

type Token =
  | { t: 'ident'; v: string; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: 'number'; v: number; at: number }
  | { t: 'date'; v: string; at: number }
  | { t: 'datetime'; v: number; text: string; at: number }
  | { t: 'op'; v: string; at: number }
  | { t: 'punct'; v: string; at: number }
  | { t: 'eof'; at: number };

const malformed = (message: string): SalesforceError =>
  new SalesforceError(400, 'MALFORMED_QUERY', message);

const unsupported = (what: string): SalesforceError =>
  malformed(
    `${what} is not supported by the Salesforce emulator (supported: SELECT fields, parent fields (Account.Name), one level of child subqueries, or COUNT() FROM one object, WHERE, ORDER BY, LIMIT, OFFSET)`,
  );

const ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  f: '\f',
  '"': '"',
  "'": "'",
  '\\': '\\',
  // LIKE wildcards stay escaped for the pattern matcher.
  '%': '\\%',
  _: '\\_',
};

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2})/;
const DATE = /^\d{4}-\d{2}-\d{2}(?![\dT])/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/;

function tokenize(soql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < soql.length) {
    const c = soql[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = soql.slice(i);
    if (c === "'") {
      let v = '';
      let j = i + 1;
      for (;;) {
        const d = soql[j];
        if (d === undefined) throw malformed(`unterminated string literal at column ${i + 1}`);
        if (d === "'") break;
        if (d === '\\') {
          const e = soql[j + 1] ?? '';
          const mapped = ESCAPES[e];
          if (mapped === undefined)
            throw malformed(`invalid escape sequence \\${e} at column ${j + 1}`);
          v += mapped;
          j += 2;
          continue;
        }
        v += d;
        j++;
      }
      out.push({ t: 'string', v, at: i });
      i = j + 1;
      continue;
    }
    const dt = DATETIME.exec(rest);
    if (dt) {
      const ms = Date.parse(dt[0]);
      if (Number.isNaN(ms)) throw malformed(`invalid date-time literal ${dt[0]}`);
      out.push({ t: 'datetime', v: ms, text: dt[0], at: i });
      i += dt[0].length;
      continue;
    }
    const d = DATE.exec(rest);
    if (d) {
      const ms = Date.parse(`${d[0]}T00:00:00Z`);
      if (Number.isNaN(ms) || !new Date(ms).toISOString().startsWith(d[0]))
        throw malformed(`invalid date literal ${d[0]}`);
      out.push({ t: 'date', v: d[0], at: i });
      i += d[0].length;
      continue;
    }
    const prev = out[out.length - 1];
    // A sign belongs to a number only where a value may start (after an operator, '(' or ',').
    const signAllowed = !prev || prev.t === 'op' || (prev.t === 'punct' && prev.v !== ')');
    const n = NUMBER.exec(rest);
    if (n && (/[\d.]/.test(c) || signAllowed)) {
      out.push({ t: 'number', v: Number(n[0]), at: i });
      i += n[0].length;
      continue;
    }
    const id = IDENT.exec(rest);
    if (id) {
      out.push({ t: 'ident', v: id[0], at: i });
      i += id[0].length;
      continue;
    }
    const op = /^(<=|>=|!=|<>|=|<|>)/.exec(rest);
    if (op) {
      out.push({ t: 'op', v: op[0] === '<>' ? '!=' : op[0], at: i });
      i += op[0].length;
      continue;
    }
    if ('(),:'.includes(c)) {
      out.push({ t: 'punct', v: c, at: i });
      i++;
      continue;
    }
    throw malformed(`unexpected character '${c}' at column ${i + 1}`);
  }
  out.push({ t: 'eof', at: soql.length });
  return out;
}

const UNSUPPORTED_CLAUSES: Record<string, string> = {
  GROUP: 'GROUP BY',
  HAVING: 'HAVING',
  WITH: 'WITH',
  FOR: 'FOR VIEW / FOR REFERENCE / FOR UPDATE',
  USING: 'USING SCOPE',
  TYPEOF: 'TYPEOF',
  UPDATE: 'UPDATE TRACKING / VIEWSTAT',
  INCLUDES: 'INCLUDES (multi-select picklists)',
  EXCLUDES: 'EXCLUDES (multi-select picklists)',
};

/** Keywords that cannot be field names in the supported grammar. */
const RESERVED = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'AND',
  'OR',
  'NOT',
  'IN',
  'LIKE',
  'ORDER',
  'BY',
  'LIMIT',
  'OFFSET',
  'ASC',
  'DESC',
  'NULLS',
  'NULL',
  'TRUE',
  'FALSE',
  ...Object.keys(UNSUPPORTED_CLAUSES),
]);

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)] as Token;
  }
  private next(): Token {
    const t = this.peek();
    if (t.t !== 'eof') this.pos++;
    return t;
  }
  private isWord(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.t === 'ident' && t.v.toUpperCase() === word;
  }
  private isPunct(p: string): boolean {
    const t = this.peek();
    return t.t === 'punct' && t.v === p;
  }
  private unexpected(t: Token = this.peek()): SalesforceError {
    if (t.t === 'ident' && UNSUPPORTED_CLAUSES[t.v.toUpperCase()]) {
      return unsupported(UNSUPPORTED_CLAUSES[t.v.toUpperCase()] as string);
    }
    const text = t.t === 'eof' ? '<EOF>' : t.t === 'datetime' ? t.text : String(t.v);
    return malformed(`unexpected token: '${text}' at column ${t.at + 1}`);
  }
  private expectWord(word: string): void {
    if (!this.isWord(word)) throw this.unexpected();
    this.pos++;
  }
  private expectPunct(p: string): void {
    if (!this.isPunct(p)) throw this.unexpected();
    this.pos++;
  }

  parse(): SoqlQuery {
    const q = this.query(false);
    if (this.peek().t !== 'eof') throw this.unexpected();
    return q;
  }

  /** `SELECT … FROM … [WHERE] [ORDER BY] [LIMIT] [OFFSET]`; a subquery stops before its `)`. */
  private query(nested: boolean): SoqlQuery {
    this.expectWord('SELECT');
    const { fields, subqueries } = this.fieldList(nested);
    this.expectWord('FROM');
    const from = this.next();
    if (from.t !== 'ident' || RESERVED.has(from.v.toUpperCase())) throw this.unexpected(from);
    if (from.v.includes('.'))
      throw unsupported(
        nested ? 'A relationship path in the FROM of a subquery' : 'A relationship in FROM',
      );
    const q: SoqlQuery = { object: from.v, fields, subqueries, orderBy: [] };
    if (
      this.peek().t === 'ident' &&
      !RESERVED.has((this.peek() as { v: string }).v.toUpperCase())
    ) {
      throw unsupported('An object alias in FROM');
    }
    if (this.isPunct(',')) throw unsupported('More than one object in FROM');
    if (this.isWord('WHERE')) {
      this.pos++;
      q.where = this.condition();
    }
    if (this.isWord('ORDER')) {
      this.pos++;
      this.expectWord('BY');
      do q.orderBy.push(this.orderItem());
      while (this.isPunct(',') && this.next());
    }
    if (this.isWord('LIMIT')) {
      this.pos++;
      q.limit = this.count('LIMIT');
    }
    if (this.isWord('OFFSET')) {
      if (nested) throw unsupported('OFFSET in a subquery');
      this.pos++;
      q.offset = this.count('OFFSET');
    }
    if (fields === 'count' && q.orderBy.length > 0)
      throw malformed('ORDER BY is not allowed with COUNT()');
    return q;
  }

  private count(clause: string): number {
    const t = this.next();
    if (t.t !== 'number' || !Number.isInteger(t.v) || t.v < 0) {
      throw malformed(`${clause} must be followed by a non-negative integer`);
    }
    return t.v;
  }

  private fieldList(nested: boolean): {
    fields: string[][] | 'count';
    subqueries: SoqlSubquery[];
  } {
    if (this.isWord('COUNT') && this.peek(1).t === 'punct') {
      if (nested) throw unsupported('COUNT() in a subquery');
      this.pos++;
      this.expectPunct('(');
      if (!this.isPunct(')'))
        throw unsupported('The aggregate function COUNT(field) (aggregate queries)');
      this.pos++;
      if (this.isPunct(',')) throw malformed('COUNT() must be the only item of the SELECT list');
      return { fields: 'count', subqueries: [] };
    }
    const fields: string[][] = [];
    const subqueries: SoqlSubquery[] = [];
    const seen = new Set<string>();
    do {
      if (this.isPunct('(')) {
        // Salesforce (API 58.0+) nests up to five levels over REST; the emulator serves one.
        if (nested) throw unsupported('A subquery inside a subquery');
        this.pos++;
        const sub: SoqlSubquery = { ...this.query(true), position: fields.length };
        this.expectPunct(')');
        const key = sub.object.toLowerCase();
        if (seen.has(key)) throw malformed(`duplicate field selected: ${sub.object}`);
        seen.add(key);
        subqueries.push(sub);
        if (subqueries.length > MAX_SUBQUERIES) {
          throw malformed(
            `SOQL statements cannot query more than ${MAX_SUBQUERIES} different child types`,
          );
        }
        continue;
      }
      const path = this.fieldPath();
      const key = path.join('.').toLowerCase();
      if (seen.has(key)) throw malformed(`duplicate field selected: ${path.join('.')}`);
      seen.add(key);
      fields.push(path);
    } while (this.isPunct(',') && this.next());
    return { fields, subqueries };
  }

  private fieldPath(): string[] {
    const t = this.next();
    if (t.t !== 'ident' || RESERVED.has(t.v.toUpperCase())) throw this.unexpected(t);
    if (this.isPunct('(')) {
      const fn = t.v.toUpperCase();
      if (fn === 'FIELDS') throw unsupported('FIELDS()');
      if (['COUNT', 'COUNT_DISTINCT', 'SUM', 'AVG', 'MIN', 'MAX'].includes(fn)) {
        throw unsupported(`The aggregate function ${t.v}(field) (aggregate queries)`);
      }
      throw unsupported(`The function ${t.v}()`);
    }
    const path = t.v.split('.');
    if (path.length > 2) throw unsupported(`A relationship path more than one level deep (${t.v})`);
    return path;
  }

  private orderItem(): SoqlOrder {
    const field = this.fieldPath();
    let descending = false;
    if (this.isWord('ASC')) this.pos++;
    else if (this.isWord('DESC')) {
      this.pos++;
      descending = true;
    }
    let nullsFirst = !descending;
    if (this.isWord('NULLS')) {
      this.pos++;
      if (this.isWord('FIRST')) nullsFirst = true;
      else if (this.isWord('LAST')) nullsFirst = false;
      else throw this.unexpected();
      this.pos++;
    }
    return { field, descending, nullsFirst };
  }

  /** AND and OR may not be mixed without parentheses, as in SOQL. */
  private condition(): SoqlCondition {
    const first = this.unary();
    const joiner = this.isWord('AND') ? 'AND' : this.isWord('OR') ? 'OR' : undefined;
    if (!joiner) return first;
    const items = [first];
    while (this.isWord(joiner)) {
      this.pos++;
      items.push(this.unary());
    }
    if (this.isWord(joiner === 'AND' ? 'OR' : 'AND')) {
      throw malformed(
        `unexpected token: '${String((this.peek() as { v: string }).v)}': use parentheses to combine AND and OR`,
      );
    }
    return { kind: joiner === 'AND' ? 'and' : 'or', items };
  }

  private unary(): SoqlCondition {
    if (this.isWord('NOT')) {
      this.pos++;
      return { kind: 'not', item: this.unary() };
    }
    if (this.isPunct('(')) {
      this.pos++;
      const inner = this.condition();
      this.expectPunct(')');
      return inner;
    }
    return this.predicate();
  }

  private predicate(): SoqlCondition {
    const field = this.fieldPath();
    const t = this.peek();
    if (t.t === 'op') {
      this.pos++;
      return { kind: 'compare', field, op: t.v as SoqlOperator, value: this.value() };
    }
    if (this.isWord('LIKE')) {
      this.pos++;
      const v = this.next();
      if (v.t !== 'string') throw malformed('LIKE must be followed by a string literal');
      return { kind: 'like', field, pattern: v.v };
    }
    let negate = false;
    if (this.isWord('NOT') && this.isWord('IN', 1)) {
      this.pos++;
      negate = true;
    }
    if (this.isWord('IN')) {
      this.pos++;
      this.expectPunct('(');
      if (this.isWord('SELECT')) throw unsupported('A semi-join (IN (SELECT …))');
      const values: SoqlValue[] = [];
      do values.push(this.value());
      while (this.isPunct(',') && this.next());
      this.expectPunct(')');
      return { kind: 'in', field, negate, values };
    }
    throw this.unexpected();
  }

  private value(): SoqlValue {
    const t = this.next();
    switch (t.t) {
      case 'string':
        return { kind: 'string', value: t.v };
      case 'number':
        return { kind: 'number', value: t.v };
      case 'date':
        return { kind: 'date', value: t.v };
      case 'datetime':
        return { kind: 'datetime', ms: t.v, text: t.text };
      case 'ident': {
        const word = t.v.toUpperCase();
        if (word === 'NULL') return { kind: 'null' };
        if (word === 'TRUE' || word === 'FALSE') return { kind: 'boolean', value: word === 'TRUE' };
        if (this.isPunct(':')) {
          this.pos++;
          const n = this.next();
          if (n.t !== 'number' || !Number.isInteger(n.v) || n.v < 0)
            throw malformed(`${t.v}: expects a non-negative integer after ':'`);
          return { kind: 'dateLiteral', name: word, n: n.v };
        }
        if (/^[A-Z_0-9]+$/.test(word)) return { kind: 'dateLiteral', name: word };
        throw this.unexpected(t);
      }
      default:
        throw this.unexpected(t);
    }
  }
}

/**
 * Parses the SOQL subset the emulator runs; anything else is a 400 `MALFORMED_QUERY` naming
 * what is not supported.
 */
export function parseSoql(soql: string): SoqlQuery {
  return new Parser(tokenize(soql)).parse();
}
