import { parseDecimal, type Decimal } from './decimal.ts';

/** A SuiteQL expression. */
export type Expr =
  | { kind: 'literal'; value: Literal }
  | { kind: 'column'; table?: string; name: string }
  | { kind: 'call'; name: string; args: Expr[]; star: boolean; distinct: boolean }
  | { kind: 'unary'; op: 'NOT' | '-'; expr: Expr }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr }
  | { kind: 'in'; expr: Expr; list: Expr[]; not: boolean }
  | { kind: 'like'; expr: Expr; pattern: Expr; not: boolean }
  | { kind: 'isnull'; expr: Expr; not: boolean }
  | { kind: 'between'; expr: Expr; low: Expr; high: Expr; not: boolean };

/** A literal: text, an exact number, or NULL. */
export type Literal = string | { number: Decimal } | null;

export type BinaryOp =
  '=' | '!=' | '<' | '>' | '<=' | '>=' | 'AND' | 'OR' | '+' | '-' | '*' | '/' | '||';

/** One entry of the SELECT list. */
export type SelectItem =
  { kind: 'expr'; expr: Expr; alias?: string } | { kind: 'star'; table?: string };

export interface TableRef {
  table: string;
  alias: string;
}

export interface Join {
  type: 'inner' | 'left';
  table: TableRef;
  on: Expr;
}

export interface OrderItem {
  expr: Expr;
  desc: boolean;
  nullsFirst?: boolean;
}

/** A parsed `SELECT`. */
export interface SelectStatement {
  distinct: boolean;
  columns: SelectItem[];
  from: TableRef;
  joins: Join[];
  where?: Expr;
  groupBy: Expr[];
  having?: Expr;
  orderBy: OrderItem[];
}

/** A query the emulator cannot run; the message names what is wrong or unsupported. */
export class SuiteqlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SuiteqlError';
  }
}

type Token =
  | { type: 'ident'; value: string; quoted: boolean }
  | { type: 'string'; value: string }
  | { type: 'number'; value: string }
  | { type: 'op'; value: string }
  | { type: 'end' };

const RESERVED = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'GROUP',
  'BY',
  'HAVING',
  'ORDER',
  'AND',
  'OR',
  'NOT',
  'IN',
  'LIKE',
  'IS',
  'NULL',
  'BETWEEN',
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'FULL',
  'OUTER',
  'CROSS',
  'ON',
  'AS',
  'ASC',
  'DESC',
  'DISTINCT',
  'NULLS',
  'FIRST',
  'LAST',
  'UNION',
  'CASE',
  'WHEN',
  'THEN',
  'ELSE',
  'END',
  'FETCH',
  'OFFSET',
  'LIMIT',
  'WITH',
  'INTERSECT',
  'MINUS',
  'EXISTS',
]);

const UNSUPPORTED = new Set([
  'UNION',
  'INTERSECT',
  'MINUS',
  'CASE',
  'EXISTS',
  'WITH',
  'FETCH',
  'LIMIT',
  'RIGHT',
  'FULL',
  'CROSS',
  'OVER',
  'ROWNUM',
  'CONNECT',
  'START',
]);

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      continue;
    }
    if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw new SuiteqlError('A string literal is not closed.');
        if (sql[i] === "'") {
          if (sql[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += sql[i];
        i++;
      }
      tokens.push({ type: 'string', value });
      continue;
    }
    if (c === '"') {
      const end = sql.indexOf('"', i + 1);
      if (end < 0) throw new SuiteqlError('A quoted identifier is not closed.');
      tokens.push({ type: 'ident', value: sql.slice(i + 1, end), quoted: true });
      i = end + 1;
      continue;
    }
    const num = /^(\d+(\.\d*)?|\.\d+)/.exec(sql.slice(i));
    if (num) {
      tokens.push({ type: 'number', value: num[0] });
      i += num[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_$#]*/.exec(sql.slice(i));
    if (ident) {
      tokens.push({ type: 'ident', value: ident[0], quoted: false });
      i += ident[0].length;
      continue;
    }
    const op = /^(<>|!=|<=|>=|\|\||[=<>(),.*+\-/])/.exec(sql.slice(i));
    if (op) {
      tokens.push({ type: 'op', value: op[0] });
      i += op[0].length;
      continue;
    }
    if (c === '?' || c === ':') {
      throw new SuiteqlError('Bind parameters are not supported: put the values in the query.');
    }
    throw new SuiteqlError(`Unexpected character '${c}'.`);
  }
  tokens.push({ type: 'end' });
  return tokens;
}

/** Parses a SuiteQL `SELECT` (the subset the emulator runs). Throws {@link SuiteqlError}. */
export function parseSuiteql(sql: string): SelectStatement {
  const tokens = tokenize(sql);
  let pos = 0;

  const peek = (offset = 0): Token => tokens[Math.min(pos + offset, tokens.length - 1)] as Token;
  const describe = (t: Token): string =>
    t.type === 'end'
      ? 'the end of the query'
      : t.type === 'string'
        ? `'${t.value}'`
        : `'${t.value}'`;
  const isKeyword = (t: Token, word: string): boolean =>
    t.type === 'ident' && !t.quoted && t.value.toUpperCase() === word;
  const acceptKeyword = (...words: string[]): boolean => {
    if (words.every((w, i) => isKeyword(peek(i), w))) {
      pos += words.length;
      return true;
    }
    return false;
  };
  const expectKeyword = (word: string): void => {
    if (!acceptKeyword(word)) {
      throw new SuiteqlError(`Expected ${word} but found ${describe(peek())}.`);
    }
  };
  const acceptOp = (op: string): boolean => {
    const t = peek();
    if (t.type === 'op' && t.value === op) {
      pos++;
      return true;
    }
    return false;
  };
  const expectOp = (op: string): void => {
    if (!acceptOp(op)) throw new SuiteqlError(`Expected '${op}' but found ${describe(peek())}.`);
  };
  const checkSupported = (t: Token): void => {
    if (t.type === 'ident' && !t.quoted && UNSUPPORTED.has(t.value.toUpperCase())) {
      throw new SuiteqlError(
        `${t.value.toUpperCase()} is not supported by the emulator's SuiteQL.`,
      );
    }
  };
  const identifier = (what: string): string => {
    const t = peek();
    checkSupported(t);
    if (t.type !== 'ident' || (!t.quoted && RESERVED.has(t.value.toUpperCase()))) {
      throw new SuiteqlError(`Expected ${what} but found ${describe(t)}.`);
    }
    pos++;
    return t.value;
  };

  const primary = (): Expr => {
    const t = peek();
    checkSupported(t);
    if (t.type === 'number') {
      pos++;
      return { kind: 'literal', value: { number: parseDecimal(t.value) as Decimal } };
    }
    if (t.type === 'string') {
      pos++;
      return { kind: 'literal', value: t.value };
    }
    if (t.type === 'op' && t.value === '(') {
      pos++;
      if (isKeyword(peek(), 'SELECT')) throw new SuiteqlError('Subqueries are not supported.');
      const e = expression();
      expectOp(')');
      return e;
    }
    if (isKeyword(t, 'NULL')) {
      pos++;
      return { kind: 'literal', value: null };
    }
    if (t.type === 'ident') {
      let name = identifier('a column or function');
      let table: string | undefined;
      if (acceptOp('.')) {
        table = name;
        name = identifier('a column name');
      }
      if (acceptOp('(')) {
        const fn = (table ? `${table}.${name}` : name).toUpperCase();
        if (acceptOp('*')) {
          expectOp(')');
          return { kind: 'call', name: fn, args: [], star: true, distinct: false };
        }
        const distinct = acceptKeyword('DISTINCT');
        const args: Expr[] = [];
        if (!acceptOp(')')) {
          do args.push(expression());
          while (acceptOp(','));
          expectOp(')');
        }
        return { kind: 'call', name: fn, args, star: false, distinct };
      }
      return table === undefined ? { kind: 'column', name } : { kind: 'column', table, name };
    }
    throw new SuiteqlError(`Unexpected ${describe(t)}.`);
  };

  const unary = (): Expr => {
    if (acceptOp('-')) return { kind: 'unary', op: '-', expr: unary() };
    if (acceptOp('+')) return unary();
    return primary();
  };
  const product = (): Expr => {
    let left = unary();
    for (;;) {
      const t = peek();
      if (t.type === 'op' && (t.value === '*' || t.value === '/')) {
        pos++;
        left = { kind: 'binary', op: t.value, left, right: unary() };
      } else return left;
    }
  };
  const sum = (): Expr => {
    let left = product();
    for (;;) {
      const t = peek();
      if (t.type === 'op' && (t.value === '+' || t.value === '-' || t.value === '||')) {
        pos++;
        left = { kind: 'binary', op: t.value, left, right: product() };
      } else return left;
    }
  };
  const comparison = (): Expr => {
    const left = sum();
    const t = peek();
    if (t.type === 'op' && ['=', '!=', '<>', '<', '>', '<=', '>='].includes(t.value)) {
      pos++;
      const op = (t.value === '<>' ? '!=' : t.value) as BinaryOp;
      return { kind: 'binary', op, left, right: sum() };
    }
    if (acceptKeyword('IS')) {
      const not = acceptKeyword('NOT');
      expectKeyword('NULL');
      return { kind: 'isnull', expr: left, not };
    }
    const not = acceptKeyword('NOT');
    if (acceptKeyword('IN')) {
      expectOp('(');
      if (isKeyword(peek(), 'SELECT')) throw new SuiteqlError('Subqueries are not supported.');
      const list: Expr[] = [];
      do list.push(sum());
      while (acceptOp(','));
      expectOp(')');
      return { kind: 'in', expr: left, list, not };
    }
    if (acceptKeyword('LIKE')) return { kind: 'like', expr: left, pattern: sum(), not };
    if (acceptKeyword('BETWEEN')) {
      const low = sum();
      expectKeyword('AND');
      return { kind: 'between', expr: left, low, high: sum(), not };
    }
    if (not)
      throw new SuiteqlError(`Expected IN, LIKE or BETWEEN after NOT, found ${describe(peek())}.`);
    return left;
  };
  const negation = (): Expr =>
    acceptKeyword('NOT') ? { kind: 'unary', op: 'NOT', expr: negation() } : comparison();
  const conjunction = (): Expr => {
    let left = negation();
    while (acceptKeyword('AND')) left = { kind: 'binary', op: 'AND', left, right: negation() };
    return left;
  };
  function expression(): Expr {
    let left = conjunction();
    while (acceptKeyword('OR')) left = { kind: 'binary', op: 'OR', left, right: conjunction() };
    return left;
  }

  const alias = (): string | undefined => {
    if (acceptKeyword('AS')) return identifier('an alias');
    const t = peek();
    if (t.type === 'ident' && (t.quoted || !RESERVED.has(t.value.toUpperCase()))) {
      checkSupported(t);
      pos++;
      return t.value;
    }
    return undefined;
  };

  const tableRef = (): TableRef => {
    const table = identifier('a table name');
    if (peek().type === 'op' && (peek() as { value: string }).value === '(') {
      throw new SuiteqlError('Table functions are not supported.');
    }
    return { table, alias: alias() ?? table };
  };

  expectKeyword('SELECT');
  const distinct = acceptKeyword('DISTINCT');
  acceptKeyword('ALL');
  const columns: SelectItem[] = [];
  do {
    if (acceptOp('*')) {
      columns.push({ kind: 'star' });
    } else if (
      peek().type === 'ident' &&
      peek(1).type === 'op' &&
      (peek(1) as { value: string }).value === '.' &&
      peek(2).type === 'op' &&
      (peek(2) as { value: string }).value === '*'
    ) {
      const table = identifier('a table alias');
      pos += 2;
      columns.push({ kind: 'star', table });
    } else {
      const expr = expression();
      const name = alias();
      columns.push(
        name === undefined ? { kind: 'expr', expr } : { kind: 'expr', expr, alias: name },
      );
    }
  } while (acceptOp(','));

  expectKeyword('FROM');
  const from = tableRef();
  if (acceptOp(',')) throw new SuiteqlError('Comma joins are not supported: use JOIN … ON.');
  const joins: Join[] = [];
  for (;;) {
    checkSupported(peek());
    let type: Join['type'] | undefined;
    if (acceptKeyword('JOIN') || acceptKeyword('INNER', 'JOIN')) type = 'inner';
    else if (acceptKeyword('LEFT', 'JOIN') || acceptKeyword('LEFT', 'OUTER', 'JOIN')) type = 'left';
    if (!type) break;
    const table = tableRef();
    expectKeyword('ON');
    joins.push({ type, table, on: expression() });
  }
  const where = acceptKeyword('WHERE') ? expression() : undefined;
  const groupBy: Expr[] = [];
  if (acceptKeyword('GROUP', 'BY')) {
    do groupBy.push(expression());
    while (acceptOp(','));
  }
  const having = acceptKeyword('HAVING') ? expression() : undefined;
  const orderBy: OrderItem[] = [];
  if (acceptKeyword('ORDER', 'BY')) {
    do {
      const expr = expression();
      const desc = acceptKeyword('DESC');
      if (!desc) acceptKeyword('ASC');
      const item: OrderItem = { expr, desc };
      if (acceptKeyword('NULLS', 'FIRST')) item.nullsFirst = true;
      else if (acceptKeyword('NULLS', 'LAST')) item.nullsFirst = false;
      orderBy.push(item);
    } while (acceptOp(','));
  }
  const rest = peek();
  if (rest.type !== 'end') {
    checkSupported(rest);
    throw new SuiteqlError(`Unexpected ${describe(rest)}.`);
  }
  const statement: SelectStatement = { distinct, columns, from, joins, groupBy, orderBy };
  if (where) statement.where = where;
  if (having) statement.having = having;
  return statement;
}
