import {
  addDecimal,
  compareDecimal,
  decimalFromInteger,
  divideDecimal,
  formatDecimal,
  multiplyDecimal,
  parseDecimal,
  roundDecimal,
  subtractDecimal,
  type Decimal,
} from './decimal.ts';
import type { NetsuiteState } from './state.ts';
import {
  parseSuiteql,
  SuiteqlError,
  type Expr,
  type SelectStatement,
  type TableRef,
} from './suiteql-parser.ts';
import {
  SUITEQL_TABLES,
  type Row,
  type SqlDate,
  type SqlNumber,
  type SqlValue,
  type SuiteqlTable,
} from './suiteql-tables.ts';

/** The rows of a query, each value in `columns` order. */
export interface SuiteqlResult {
  columns: string[];
  rows: SqlValue[][];
}

type Scope = Map<string, Row | null>;

interface Context {
  scope: Scope;
  /** The rows of the current group, when aggregating. */
  group?: Scope[];
}

interface Source {
  ref: TableRef;
  key: string;
  table: SuiteqlTable;
  name: string;
}

const AGGREGATES = new Set(['COUNT', 'SUM', 'MIN', 'MAX', 'AVG']);
const SCALARS: Record<string, [min: number, max: number]> = {
  TO_DATE: [1, 2],
  TO_TIMESTAMP: [1, 2],
  TO_CHAR: [1, 2],
  TO_NUMBER: [1, 1],
  NVL: [2, 2],
  COALESCE: [1, 20],
  UPPER: [1, 1],
  LOWER: [1, 1],
  TRIM: [1, 1],
  LENGTH: [1, 1],
  TRUNC: [1, 1],
  ROUND: [1, 2],
  ABS: [1, 1],
  'BUILTIN.DF': [1, 1],
};
const SPECIAL_COLUMNS = new Set(['SYSDATE', 'CURRENT_DATE', 'CURRENT_TIMESTAMP', 'SYSTIMESTAMP']);

const number = (value: Decimal): SqlNumber => ({ kind: 'number', value });
const isNumber = (v: SqlValue): v is SqlNumber => typeof v === 'object' && v?.kind === 'number';
const isDate = (v: SqlValue): v is SqlDate => typeof v === 'object' && v?.kind === 'date';

const DAY_MS = 86_400_000;

/** Reads a date the way the emulator lets strings stand in for dates. */
function parseDateText(text: string): SqlDate | undefined {
  const us =
    /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(am|pm)?)?$/i.exec(
      text.trim(),
    );
  if (us) {
    let hour = Number(us[4] ?? 0);
    const ampm = us[7]?.toLowerCase();
    if (ampm === 'pm' && hour < 12) hour += 12;
    if (ampm === 'am' && hour === 12) hour = 0;
    const ms = Date.UTC(
      Number(us[3]),
      Number(us[1]) - 1,
      Number(us[2]),
      hour,
      Number(us[5] ?? 0),
      Number(us[6] ?? 0),
    );
    return { kind: 'date', ms, hasTime: us[4] !== undefined };
  }
  const iso =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(
      text.trim(),
    );
  if (iso) {
    if (iso[4] === undefined)
      return {
        kind: 'date',
        ms: Date.parse(`${iso[1]}-${iso[2]}-${iso[3]}T00:00:00Z`),
        hasTime: false,
      };
    const zone = iso[7] ?? 'Z';
    const ms = Date.parse(
      `${iso[1]}-${iso[2]}-${iso[3]}T${iso[4]}:${iso[5]}:${iso[6] ?? '00'}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`,
    );
    return Number.isNaN(ms) ? undefined : { kind: 'date', ms, hasTime: true };
  }
  return undefined;
}

const FORMAT_TOKEN = /YYYY|HH24|HH12|HH|MM|DD|MI|SS|AM|PM|"[^"]*"|[^A-Za-z"]+|[A-Za-z]+/gi;

function formatTokens(format: string): string[] {
  const tokens = format.match(FORMAT_TOKEN) ?? [];
  for (const t of tokens) {
    if (/^[A-Za-z]+$/.test(t) && !/^(YYYY|HH24|HH12|HH|MM|DD|MI|SS|AM|PM)$/i.test(t)) {
      throw new SuiteqlError(
        `The date format element '${t}' is not supported (use YYYY MM DD HH24 HH MI SS AM).`,
      );
    }
  }
  return tokens;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `TO_CHAR(date, format)` (UTC). */
export function formatDate(ms: number, format: string): string {
  const d = new Date(ms);
  return formatTokens(format)
    .map((t) => {
      switch (t.toUpperCase()) {
        case 'YYYY':
          return String(d.getUTCFullYear());
        case 'MM':
          return pad(d.getUTCMonth() + 1);
        case 'DD':
          return pad(d.getUTCDate());
        case 'HH24':
          return pad(d.getUTCHours());
        case 'HH':
        case 'HH12':
          return pad(d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12);
        case 'MI':
          return pad(d.getUTCMinutes());
        case 'SS':
          return pad(d.getUTCSeconds());
        case 'AM':
        case 'PM':
          return d.getUTCHours() < 12 ? 'AM' : 'PM';
        default:
          return t.startsWith('"') ? t.slice(1, -1) : t;
      }
    })
    .join('');
}

/** `TO_DATE(text, format)` (UTC). */
function parseWithFormat(text: string, format: string): SqlDate {
  const parts: string[] = [];
  const pattern = formatTokens(format)
    .map((t) => {
      const u = t.toUpperCase();
      if (u === 'YYYY') return (parts.push(u), '(\\d{4})');
      if (['MM', 'DD', 'HH24', 'HH', 'HH12', 'MI', 'SS'].includes(u))
        return (parts.push(u), '(\\d{1,2})');
      if (u === 'AM' || u === 'PM') return (parts.push('AM'), '(AM|PM)');
      const literal = t.startsWith('"') ? t.slice(1, -1) : t;
      return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  const m = new RegExp(`^${pattern}$`, 'i').exec(text.trim());
  if (!m) throw new SuiteqlError(`The date '${text}' does not match the format '${format}'.`);
  const f: Record<string, number> = { YYYY: 1970, MM: 1, DD: 1, HH: 0, MI: 0, SS: 0 };
  let pm: boolean | undefined;
  parts.forEach((p, i) => {
    const v = m[i + 1] as string;
    if (p === 'AM') pm = v.toUpperCase() === 'PM';
    else f[p === 'HH24' || p === 'HH12' ? 'HH' : p] = Number(v);
  });
  let hour = f['HH'] as number;
  if (pm === true && hour < 12) hour += 12;
  if (pm === false && hour === 12) hour = 0;
  const ms = Date.UTC(
    f['YYYY'] as number,
    (f['MM'] as number) - 1,
    f['DD'] as number,
    hour,
    f['MI'] as number,
    f['SS'] as number,
  );
  const hasTime = parts.some((p) => p.startsWith('HH') || p === 'MI' || p === 'SS');
  return { kind: 'date', ms, hasTime };
}

function toNumber(v: SqlValue): Decimal | null {
  if (v === null) return null;
  if (isNumber(v)) return v.value;
  if (typeof v === 'string') {
    const d = parseDecimal(v);
    if (d) return d;
    throw new SuiteqlError(`Invalid number: '${v}'.`);
  }
  throw new SuiteqlError('A date was used where a number is expected.');
}

function toDate(v: SqlValue): SqlDate | null {
  if (v === null) return null;
  if (isDate(v)) return v;
  if (typeof v === 'string') {
    const d = parseDateText(v);
    if (d) return d;
    throw new SuiteqlError(`Invalid date: '${v}' (use TO_DATE('2026-01-31', 'YYYY-MM-DD')).`);
  }
  throw new SuiteqlError('A number was used where a date is expected.');
}

function toText(v: SqlValue): string | null {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (isNumber(v)) return formatDecimal(v.value);
  // NetSuite's default date format preference, M/D/YYYY; the time of day is not shown.
  const d = new Date(v.ms);
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
}

/** Three-way comparison with Oracle's implicit conversions; `null` when either side is NULL. */
function compareValues(a: SqlValue, b: SqlValue): number | null {
  if (a === null || b === null) return null;
  if (isNumber(a) || isNumber(b))
    return compareDecimal(toNumber(a) as Decimal, toNumber(b) as Decimal);
  if (isDate(a) || isDate(b)) return (toDate(a) as SqlDate).ms - (toDate(b) as SqlDate).ms;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A key that is equal for equal values (numbers compared by value). */
function valueKey(v: SqlValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `s:${v}`;
  return isNumber(v) ? `n:${formatDecimal(v.value)}` : `d:${v.ms}`;
}

function likeRegex(pattern: string): RegExp {
  const body = [...pattern]
    .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}

function containsAggregate(e: Expr): boolean {
  switch (e.kind) {
    case 'call':
      return AGGREGATES.has(e.name) || e.args.some(containsAggregate);
    case 'unary':
      return containsAggregate(e.expr);
    case 'binary':
      return containsAggregate(e.left) || containsAggregate(e.right);
    case 'in':
      return containsAggregate(e.expr) || e.list.some(containsAggregate);
    case 'like':
      return containsAggregate(e.expr) || containsAggregate(e.pattern);
    case 'isnull':
      return containsAggregate(e.expr);
    case 'between':
      return [e.expr, e.low, e.high].some(containsAggregate);
    default:
      return false;
  }
}

/** `alias.column` of every column an expression reads outside aggregate calls. */
function columnsOutsideAggregates(e: Expr): string[] {
  switch (e.kind) {
    case 'column':
      return e.table === undefined ? [] : [`${e.table}.${e.name}`];
    case 'call':
      return AGGREGATES.has(e.name) ? [] : e.args.flatMap(columnsOutsideAggregates);
    case 'unary':
    case 'isnull':
      return columnsOutsideAggregates(e.expr);
    case 'binary':
      return [...columnsOutsideAggregates(e.left), ...columnsOutsideAggregates(e.right)];
    case 'in':
      return [e.expr, ...e.list].flatMap(columnsOutsideAggregates);
    case 'like':
      return [e.expr, e.pattern].flatMap(columnsOutsideAggregates);
    case 'between':
      return [e.expr, e.low, e.high].flatMap(columnsOutsideAggregates);
    default:
      return [];
  }
}

/** Runs a SuiteQL query over the state. Throws {@link SuiteqlError} on what it cannot run. */
export function runSuiteql(sql: string, state: NetsuiteState, nowMs: number): SuiteqlResult {
  const stmt: SelectStatement = parseSuiteql(sql);
  const sources: Source[] = [stmt.from, ...stmt.joins.map((j) => j.table)].map((ref) => {
    const name = ref.table.toLowerCase();
    const table = SUITEQL_TABLES[name];
    if (!table) {
      throw new SuiteqlError(
        `Record '${ref.table}' was not found. The emulator has: ${Object.keys(SUITEQL_TABLES).join(', ')}.`,
      );
    }
    return { ref, key: ref.alias.toLowerCase(), table, name };
  });
  const seenAliases = new Set<string>();
  for (const s of sources) {
    if (seenAliases.has(s.key)) throw new SuiteqlError(`The alias '${s.ref.alias}' is used twice.`);
    seenAliases.add(s.key);
  }

  const hasColumn = (source: Source, column: string): boolean =>
    source.table.columns.includes(column) ||
    source.table.customPrefixes.some((p) => column.startsWith(p));

  /** Resolves every column to `alias.column`, in place; checks functions. */
  const check = (e: Expr, where: 'select' | 'filter' | 'group'): void => {
    switch (e.kind) {
      case 'column': {
        const column = e.name.toLowerCase();
        if (e.table !== undefined) {
          const source = sources.find((s) => s.key === (e.table as string).toLowerCase());
          if (!source) throw new SuiteqlError(`Unknown table or alias '${e.table}'.`);
          if (!hasColumn(source, column)) {
            throw new SuiteqlError(`Field '${e.name}' for record '${source.name}' was not found.`);
          }
          e.table = source.key;
          e.name = column;
          return;
        }
        const matches = sources.filter((s) => hasColumn(s, column));
        if (matches.length > 1) {
          throw new SuiteqlError(`Column '${e.name}' is ambiguous: qualify it with a table alias.`);
        }
        const only = matches[0];
        if (!only) {
          if (SPECIAL_COLUMNS.has(e.name.toUpperCase())) return;
          throw new SuiteqlError(
            `Field '${e.name}' for record '${sources[0]?.name}' was not found.`,
          );
        }
        e.table = only.key;
        e.name = column;
        return;
      }
      case 'call': {
        if (AGGREGATES.has(e.name)) {
          if (where === 'filter')
            throw new SuiteqlError(`${e.name} is not allowed in WHERE or ON.`);
          if (e.star ? e.name !== 'COUNT' : e.args.length !== 1) {
            throw new SuiteqlError(`${e.name} takes one argument.`);
          }
          e.args.forEach((a) => {
            if (containsAggregate(a)) throw new SuiteqlError('Aggregates cannot be nested.');
            check(a, where);
          });
          return;
        }
        const arity = SCALARS[e.name];
        if (!arity)
          throw new SuiteqlError(
            `The function ${e.name} is not supported by the emulator's SuiteQL.`,
          );
        if (e.star || e.args.length < arity[0] || e.args.length > arity[1]) {
          throw new SuiteqlError(`Wrong number of arguments for ${e.name}.`);
        }
        if (e.name === 'BUILTIN.DF' && e.args[0]?.kind !== 'column') {
          throw new SuiteqlError('BUILTIN.DF takes a column.');
        }
        e.args.forEach((a) => check(a, where));
        return;
      }
      case 'unary':
        return check(e.expr, where);
      case 'binary':
        check(e.left, where);
        return check(e.right, where);
      case 'in':
        check(e.expr, where);
        return e.list.forEach((x) => check(x, where));
      case 'like':
        check(e.expr, where);
        return check(e.pattern, where);
      case 'isnull':
        return check(e.expr, where);
      case 'between':
        return [e.expr, e.low, e.high].forEach((x) => check(x, where));
      default:
        return;
    }
  };

  const aggregate = (e: Extract<Expr, { kind: 'call' }>, ctx: Context): SqlValue => {
    const group = ctx.group ?? [];
    if (e.star) return number(decimalFromInteger(group.length));
    let values = group
      .map((scope) => value(e.args[0] as Expr, { scope }))
      .filter((v) => v !== null);
    if (e.distinct) {
      const seen = new Set<string>();
      values = values.filter((v) => {
        const key = valueKey(v);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    }
    switch (e.name) {
      case 'COUNT':
        return number(decimalFromInteger(values.length));
      case 'SUM':
      case 'AVG': {
        if (values.length === 0) return null;
        const total = values.reduce<Decimal>(
          (s, v) => addDecimal(s, toNumber(v) as Decimal),
          decimalFromInteger(0),
        );
        if (e.name === 'SUM') return number(total);
        return number(divideDecimal(total, decimalFromInteger(values.length), 12) as Decimal);
      }
      default: {
        if (values.length === 0) return null;
        return values.reduce((best, v) => {
          const c = compareValues(v, best) as number;
          return (e.name === 'MIN' ? c < 0 : c > 0) ? v : best;
        });
      }
    }
  };

  const scalar = (e: Extract<Expr, { kind: 'call' }>, ctx: Context): SqlValue => {
    const arg = (i: number) => value(e.args[i] as Expr, ctx);
    switch (e.name) {
      case 'TO_DATE':
      case 'TO_TIMESTAMP': {
        const v = arg(0);
        if (v === null || isDate(v)) return v;
        const text = toText(v) as string;
        const format = e.args.length > 1 ? toText(arg(1)) : null;
        return format === null ? toDate(text) : parseWithFormat(text, format);
      }
      case 'TO_CHAR': {
        const v = arg(0);
        if (v === null) return null;
        if (isDate(v)) {
          const format = e.args.length > 1 ? toText(arg(1)) : null;
          return format === null ? toText(v) : formatDate(v.ms, format);
        }
        return toText(v);
      }
      case 'TO_NUMBER': {
        const n = toNumber(arg(0));
        return n === null ? null : number(n);
      }
      case 'NVL':
      case 'COALESCE': {
        for (let i = 0; i < e.args.length; i++) {
          const v = arg(i);
          if (v !== null) return v;
        }
        return null;
      }
      case 'UPPER':
      case 'LOWER':
      case 'TRIM': {
        const t = toText(arg(0));
        if (t === null) return null;
        return e.name === 'UPPER'
          ? t.toUpperCase()
          : e.name === 'LOWER'
            ? t.toLowerCase()
            : t.trim();
      }
      case 'LENGTH': {
        const t = toText(arg(0));
        return t === null ? null : number(decimalFromInteger(t.length));
      }
      case 'TRUNC': {
        const v = arg(0);
        if (v === null) return null;
        if (isDate(v))
          return { kind: 'date', ms: Math.floor(v.ms / DAY_MS) * DAY_MS, hasTime: false };
        const n = toNumber(v) as Decimal;
        const rounded = roundDecimal(n, 0);
        const truncated =
          compareDecimal(rounded, n) * (n.units < 0n ? -1 : 1) > 0
            ? subtractDecimal(rounded, decimalFromInteger(n.units < 0n ? -1 : 1))
            : rounded;
        return number(truncated);
      }
      case 'ROUND': {
        const n = toNumber(arg(0));
        const digits = e.args.length > 1 ? toNumber(arg(1)) : decimalFromInteger(0);
        if (n === null || digits === null) return null;
        return number(roundDecimal(n, Number(digits.units)));
      }
      case 'ABS': {
        const n = toNumber(arg(0));
        return n === null ? null : number(n.units < 0n ? { units: -n.units, scale: n.scale } : n);
      }
      case 'BUILTIN.DF': {
        const col = e.args[0] as Extract<Expr, { kind: 'column' }>;
        const source = sources.find((s) => s.key === col.table);
        const row = ctx.scope.get(col.table ?? '');
        if (!source || !row) return null;
        const display = source.table.display[col.name];
        return display ? display(row, state) : toText(row[col.name] ?? null);
      }
      default:
        throw new SuiteqlError(
          `The function ${e.name} is not supported by the emulator's SuiteQL.`,
        );
    }
  };

  function value(e: Expr, ctx: Context): SqlValue {
    switch (e.kind) {
      case 'literal':
        return e.value === null || typeof e.value === 'string' ? e.value : number(e.value.number);
      case 'column': {
        if (e.table === undefined) {
          const special = e.name.toUpperCase();
          if (special === 'CURRENT_DATE')
            return { kind: 'date', ms: Math.floor(nowMs / DAY_MS) * DAY_MS, hasTime: false };
          return { kind: 'date', ms: nowMs, hasTime: true };
        }
        const row = ctx.scope.get(e.table);
        return row ? (row[e.name] ?? null) : null;
      }
      case 'call':
        if (AGGREGATES.has(e.name)) {
          if (!ctx.group) throw new SuiteqlError(`${e.name} needs GROUP BY context.`);
          return aggregate(e, ctx);
        }
        return scalar(e, ctx);
      case 'unary': {
        if (e.op === 'NOT') return booleanValue(predicate(e, ctx));
        const n = toNumber(value(e.expr, ctx));
        return n === null ? null : number({ units: -n.units, scale: n.scale });
      }
      case 'binary': {
        if (['AND', 'OR', '=', '!=', '<', '>', '<=', '>='].includes(e.op)) {
          return booleanValue(predicate(e, ctx));
        }
        const a = value(e.left, ctx);
        const b = value(e.right, ctx);
        if (e.op === '||') return (toText(a) ?? '') + (toText(b) ?? '');
        if (a === null || b === null) return null;
        if (isDate(a) && (e.op === '+' || e.op === '-')) {
          if (isDate(b) && e.op === '-') {
            return number(
              divideDecimal(
                decimalFromInteger(a.ms - b.ms),
                decimalFromInteger(DAY_MS),
                6,
              ) as Decimal,
            );
          }
          const days = toNumber(b) as Decimal;
          const delta = Number(formatDecimal(multiplyDecimal(days, decimalFromInteger(DAY_MS))));
          return { kind: 'date', ms: a.ms + (e.op === '+' ? delta : -delta), hasTime: true };
        }
        const x = toNumber(a) as Decimal;
        const y = toNumber(b) as Decimal;
        switch (e.op) {
          case '+':
            return number(addDecimal(x, y));
          case '-':
            return number(subtractDecimal(x, y));
          case '*':
            return number(multiplyDecimal(x, y));
          default: {
            const q = divideDecimal(x, y, 12);
            if (!q) throw new SuiteqlError('Division by zero.');
            return number(q);
          }
        }
      }
      default:
        return booleanValue(predicate(e, ctx));
    }
  }

  function booleanValue(b: boolean | null): SqlValue {
    return b === null ? null : b ? 'T' : 'F';
  }

  function predicate(e: Expr, ctx: Context): boolean | null {
    switch (e.kind) {
      case 'unary': {
        if (e.op !== 'NOT') break;
        const v = predicate(e.expr, ctx);
        return v === null ? null : !v;
      }
      case 'binary': {
        if (e.op === 'AND') {
          const a = predicate(e.left, ctx);
          if (a === false) return false;
          const b = predicate(e.right, ctx);
          return b === false ? false : a === null || b === null ? null : true;
        }
        if (e.op === 'OR') {
          const a = predicate(e.left, ctx);
          if (a === true) return true;
          const b = predicate(e.right, ctx);
          return b === true ? true : a === null || b === null ? null : false;
        }
        const c = compareValues(value(e.left, ctx), value(e.right, ctx));
        if (c === null) return null;
        switch (e.op) {
          case '=':
            return c === 0;
          case '!=':
            return c !== 0;
          case '<':
            return c < 0;
          case '>':
            return c > 0;
          case '<=':
            return c <= 0;
          case '>=':
            return c >= 0;
          default:
            break;
        }
        break;
      }
      case 'in': {
        const v = value(e.expr, ctx);
        if (v === null) return null;
        let sawNull = false;
        for (const item of e.list) {
          const c = compareValues(v, value(item, ctx));
          if (c === 0) return !e.not;
          if (c === null) sawNull = true;
        }
        return sawNull ? null : e.not;
      }
      case 'like': {
        const v = toText(value(e.expr, ctx));
        const p = toText(value(e.pattern, ctx));
        if (v === null || p === null) return null;
        return likeRegex(p).test(v) !== e.not;
      }
      case 'isnull':
        return (value(e.expr, ctx) === null) !== e.not;
      case 'between': {
        const v = value(e.expr, ctx);
        const lo = compareValues(v, value(e.low, ctx));
        const hi = compareValues(v, value(e.high, ctx));
        if (lo === null || hi === null) return null;
        return (lo >= 0 && hi <= 0) !== e.not;
      }
      default:
        break;
    }
    const v = value(e, ctx);
    if (v === 'T') return true;
    if (v === 'F') return false;
    if (v === null) return null;
    throw new SuiteqlError('Expected a condition (e.g. a = b) but found a value.');
  }

  // Compile.
  stmt.columns.forEach((c) => {
    if (c.kind === 'expr') check(c.expr, 'select');
    else if (c.table !== undefined && !sources.some((s) => s.key === c.table?.toLowerCase())) {
      throw new SuiteqlError(`Unknown table or alias '${c.table}'.`);
    }
  });
  stmt.joins.forEach((j) => check(j.on, 'filter'));
  if (stmt.where) check(stmt.where, 'filter');
  stmt.groupBy.forEach((g) => check(g, 'group'));
  if (stmt.having) check(stmt.having, 'select');
  const grouped =
    stmt.groupBy.length > 0 ||
    stmt.having !== undefined ||
    stmt.columns.some((c) => c.kind === 'expr' && containsAggregate(c.expr));
  if (grouped && stmt.columns.some((c) => c.kind === 'star')) {
    throw new SuiteqlError('SELECT * cannot be combined with GROUP BY or aggregates.');
  }
  if (grouped) {
    // Simplified Oracle rule: outside aggregates, use only columns that GROUP BY uses.
    const grouping = new Set(stmt.groupBy.flatMap((g) => columnsOutsideAggregates(g)));
    const used = [
      ...stmt.columns.flatMap((c) => (c.kind === 'expr' ? columnsOutsideAggregates(c.expr) : [])),
      ...(stmt.having ? columnsOutsideAggregates(stmt.having) : []),
    ];
    const stray = used.find((c) => !grouping.has(c));
    if (stray) throw new SuiteqlError(`${stray} is not a GROUP BY expression.`);
  }

  // Output columns.
  const tableRows = new Map(sources.map((s) => [s.key, s.table.rows(state)]));
  const outputs: { name: string; expr?: Expr; source?: string; column?: string }[] = [];
  let unnamed = 0;
  for (const c of stmt.columns) {
    if (c.kind === 'star') {
      const chosen =
        c.table === undefined ? sources : sources.filter((s) => s.key === c.table?.toLowerCase());
      for (const s of chosen) {
        const extra = new Set<string>();
        for (const row of tableRows.get(s.key) ?? []) {
          for (const k of Object.keys(row)) if (!s.table.columns.includes(k)) extra.add(k);
        }
        for (const column of [...s.table.columns, ...[...extra].sort()]) {
          if (!outputs.some((o) => o.name === column))
            outputs.push({ name: column, source: s.key, column });
        }
      }
    } else {
      const name =
        c.alias?.toLowerCase() ??
        (c.expr.kind === 'column' && c.expr.table !== undefined ? c.expr.name : `expr${++unnamed}`);
      outputs.push({ name, expr: c.expr });
    }
  }

  // FROM and JOINs.
  const [first, ...joined] = sources as [Source, ...Source[]];
  let scopes: Scope[] = (tableRows.get(first.key) ?? []).map((row) => new Map([[first.key, row]]));
  stmt.joins.forEach((join, i) => {
    const source = joined[i] as Source;
    const right = tableRows.get(source.key) ?? [];
    const on = join.on;
    const equi =
      on.kind === 'binary' &&
      on.op === '=' &&
      on.left.kind === 'column' &&
      on.right.kind === 'column'
        ? on.left.table === source.key && on.right.table !== source.key
          ? { inner: on.left, outer: on.right }
          : on.right.table === source.key && on.left.table !== source.key
            ? { inner: on.right, outer: on.left }
            : undefined
        : undefined;
    const keyOf = (v: SqlValue): string | undefined => (v === null ? undefined : valueKey(v));
    let index: Map<string, Row[]> | undefined;
    if (equi) {
      index = new Map();
      for (const row of right) {
        const k = keyOf(row[equi.inner.name] ?? null);
        if (k === undefined) continue;
        const list = index.get(k);
        if (list) list.push(row);
        else index.set(k, [row]);
      }
    }
    const next: Scope[] = [];
    for (const scope of scopes) {
      let candidates: Row[];
      if (equi && index) {
        const k = keyOf(value(equi.outer, { scope }));
        candidates = k === undefined ? [] : (index.get(k) ?? []);
      } else {
        candidates = right;
      }
      let matched = false;
      for (const row of candidates) {
        const combined = new Map(scope).set(source.key, row);
        if (predicate(on, { scope: combined }) === true) {
          next.push(combined);
          matched = true;
        }
      }
      if (!matched && join.type === 'left') next.push(new Map(scope).set(source.key, null));
    }
    scopes = next;
  });

  // WHERE.
  if (stmt.where) {
    const where = stmt.where;
    scopes = scopes.filter((scope) => predicate(where, { scope }) === true);
  }

  // GROUP BY.
  let contexts: Context[];
  if (grouped) {
    const groups = new Map<string, Scope[]>();
    for (const scope of scopes) {
      const key = stmt.groupBy.map((g) => valueKey(value(g, { scope }))).join('\u0000');
      const list = groups.get(key);
      if (list) list.push(scope);
      else groups.set(key, [scope]);
    }
    if (groups.size === 0 && stmt.groupBy.length === 0) groups.set('', []);
    contexts = [...groups.values()].map((group) => ({ scope: group[0] ?? new Map(), group }));
    if (stmt.having) {
      const having = stmt.having;
      contexts = contexts.filter((ctx) => predicate(having, ctx) === true);
    }
  } else {
    contexts = scopes.map((scope) => ({ scope }));
  }

  const project = (ctx: Context): SqlValue[] =>
    outputs.map((o) =>
      o.expr
        ? value(o.expr, ctx)
        : (ctx.scope.get(o.source as string)?.[o.column as string] ?? null),
    );
  let entries = contexts.map((ctx) => ({ ctx, values: project(ctx) }));

  // ORDER BY (select aliases and positions allowed).
  if (stmt.orderBy.length > 0) {
    const keys = stmt.orderBy.map((o) => {
      if (o.expr.kind === 'literal' && o.expr.value !== null && typeof o.expr.value === 'object') {
        const position = Number(o.expr.value.number.units);
        if (position < 1 || position > outputs.length)
          throw new SuiteqlError(`ORDER BY position ${position} is out of range.`);
        return { ...o, position: position - 1 };
      }
      if (o.expr.kind === 'column' && o.expr.table === undefined) {
        const byAlias = outputs.findIndex(
          (out) => out.expr && out.name === (o.expr as { name: string }).name.toLowerCase(),
        );
        if (byAlias >= 0) return { ...o, position: byAlias };
      }
      check(o.expr, 'select');
      return { ...o, position: undefined };
    });
    const sortKeys = entries.map((entry) =>
      keys.map((k) =>
        k.position !== undefined ? (entry.values[k.position] ?? null) : value(k.expr, entry.ctx),
      ),
    );
    const order = entries.map((_, i) => i);
    order.sort((a, b) => {
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as (typeof keys)[number];
        const x = sortKeys[a]?.[i] ?? null;
        const y = sortKeys[b]?.[i] ?? null;
        const nullsFirst = k.nullsFirst ?? k.desc;
        if (x === null || y === null) {
          if (x === y) continue;
          return (x === null) === nullsFirst ? -1 : 1;
        }
        const c = compareValues(x, y) as number;
        if (c !== 0) return k.desc ? -c : c;
      }
      return a - b;
    });
    entries = order.map((i) => entries[i] as (typeof entries)[number]);
  }

  let rows = entries.map((e) => e.values);
  if (stmt.distinct) {
    const seen = new Set<string>();
    rows = rows.filter((r) => {
      const key = r.map(valueKey).join('\u0000');
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
  return { columns: outputs.map((o) => o.name), rows };
}

/** A value as SuiteQL over REST renders it: text; dates as `M/D/YYYY`; `null` stays `null`. */
export function renderSqlValue(v: SqlValue): string | null {
  return toText(v);
}
