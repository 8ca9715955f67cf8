import { SalesforceError } from './errors.ts';
import { salesforceId } from './salesforce-id.ts';
import {
  childRelationshipsOf,
  isNumberType,
  isTextType,
  parseDateTime,
  type FieldDef,
  type FieldType,
  type ObjectDef,
} from './schema.ts';
import {
  parseSoql,
  type SoqlCondition,
  type SoqlOrder,
  type SoqlQuery,
  type SoqlSubquery,
  type SoqlValue,
} from './soql-parser.ts';
import type { SalesforceState, SfRecord } from './state.ts';

/** The rows of a query, before paging. */
export interface SoqlResult {
  /** Rows matched (after LIMIT / OFFSET); for `COUNT()` the count. */
  totalSize: number;
  /** Projected records (`attributes` + the selected fields); empty for `COUNT()`. */
  records: SfRecord[];
}

/** The nested query result of a parent-to-child subquery, as in a record of the parent. */
export interface SoqlChildResult {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: SfRecord[];
}

/** What a query runs against. */
export interface SoqlContext {
  state: SalesforceState;
  /** API version for `attributes.url`, e.g. `62.0`. */
  version: string;
  /** `queryAll`: include records in the recycle bin. */
  includeDeleted: boolean;
  /** Epoch ms for date literals such as `TODAY` (UTC days). */
  now: number;
  /**
   * Pages the child records of one parent's subquery (a first batch and a `nextRecordsUrl`);
   * without it every child record is inline and `done` is true.
   */
  pageChildren?: (records: SfRecord[]) => SoqlChildResult;
}

/** Largest OFFSET Salesforce accepts. */
export const MAX_OFFSET = 2000;

const DAY = 86_400_000;

const filterError = (message: string): SalesforceError =>
  new SalesforceError(400, 'INVALID_QUERY_FILTER_OPERATOR', message);

const noColumn = (name: string, object: string): SalesforceError =>
  new SalesforceError(
    400,
    'INVALID_FIELD',
    `No such column '${name}' on entity '${object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
  );

/** [start, end) in epoch ms of a date literal such as `TODAY` or `LAST_N_DAYS:30` (UTC). */
export function dateLiteralRange(
  name: string,
  n: number | undefined,
  now: number,
): [number, number] {
  const today = Math.floor(now / DAY) * DAY;
  const d = new Date(today);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const week = today - d.getUTCDay() * DAY; // weeks start on Sunday
  const q = Math.floor(m / 3) * 3;
  const month = (k: number): number => Date.UTC(y, m + k, 1);
  const quarter = (k: number): number => Date.UTC(y, q + 3 * k, 1);
  const year = (k: number): number => Date.UTC(y + k, 0, 1);
  const needsN = name.includes('_N_') || name.startsWith('N_');
  if (needsN !== (n !== undefined)) {
    throw new SalesforceError(
      400,
      'MALFORMED_QUERY',
      needsN ? `${name} needs a number: ${name}:n` : `unexpected ':' after ${name}`,
    );
  }
  const k = n ?? 0;
  const ranges: Record<string, () => [number, number]> = {
    YESTERDAY: () => [today - DAY, today],
    TODAY: () => [today, today + DAY],
    TOMORROW: () => [today + DAY, today + 2 * DAY],
    LAST_WEEK: () => [week - 7 * DAY, week],
    THIS_WEEK: () => [week, week + 7 * DAY],
    NEXT_WEEK: () => [week + 7 * DAY, week + 14 * DAY],
    LAST_MONTH: () => [month(-1), month(0)],
    THIS_MONTH: () => [month(0), month(1)],
    NEXT_MONTH: () => [month(1), month(2)],
    LAST_90_DAYS: () => [today - 90 * DAY, today + DAY],
    NEXT_90_DAYS: () => [today + DAY, today + 91 * DAY],
    LAST_QUARTER: () => [quarter(-1), quarter(0)],
    THIS_QUARTER: () => [quarter(0), quarter(1)],
    NEXT_QUARTER: () => [quarter(1), quarter(2)],
    LAST_YEAR: () => [year(-1), year(0)],
    THIS_YEAR: () => [year(0), year(1)],
    NEXT_YEAR: () => [year(1), year(2)],
    LAST_N_DAYS: () => [today - k * DAY, today + DAY],
    NEXT_N_DAYS: () => [today + DAY, today + (k + 1) * DAY],
    N_DAYS_AGO: () => [today - k * DAY, today - (k - 1) * DAY],
    LAST_N_WEEKS: () => [week - 7 * k * DAY, week],
    NEXT_N_WEEKS: () => [week + 7 * DAY, week + 7 * (k + 1) * DAY],
    N_WEEKS_AGO: () => [week - 7 * k * DAY, week - 7 * (k - 1) * DAY],
    LAST_N_MONTHS: () => [month(-k), month(0)],
    NEXT_N_MONTHS: () => [month(1), month(k + 1)],
    N_MONTHS_AGO: () => [month(-k), month(-k + 1)],
    LAST_N_QUARTERS: () => [quarter(-k), quarter(0)],
    NEXT_N_QUARTERS: () => [quarter(1), quarter(k + 1)],
    LAST_N_YEARS: () => [year(-k), year(0)],
    NEXT_N_YEARS: () => [year(1), year(k + 1)],
    N_YEARS_AGO: () => [year(-k), year(-k + 1)],
  };
  const range = ranges[name];
  if (!range)
    throw new SalesforceError(
      400,
      'MALFORMED_QUERY',
      `unexpected token: '${name}' (not a supported date literal)`,
    );
  return range();
}

/** A selected or filtered field, resolved against the schema. */
interface Resolved {
  /** Canonical field name (on the parent for relationship paths). */
  name: string;
  type: FieldType;
  /** Loose comparisons: a custom field whose type was only inferred. */
  loose: boolean;
  /** The canonical relationship name for a parent path (`Account`, `Owner`, `Thing__r`). */
  relationship?: string;
  get(rec: SfRecord): unknown;
  parent?(rec: SfRecord): { object: ObjectDef; record: SfRecord } | undefined;
}

type Comparable = string | number | boolean | null;

/** A subquery resolved against the parent object: which child records it reads, and how. */
interface ChildPlan {
  sub: SoqlSubquery;
  /** The canonical relationship name, the key of the nested result. */
  name: string;
  /** The child's reference field that points at the parent. */
  field: string;
  executor: Executor;
  plan: Plan;
}

/** A query compiled against the schema. */
interface Plan {
  selected: Resolved[];
  where: (r: SfRecord) => boolean;
  order: (Omit<SoqlOrder, 'field'> & { field: Resolved })[];
  children: ChildPlan[];
}

class Executor {
  readonly object: ObjectDef;

  /** `object`: the child object a subquery reads (its FROM names a relationship, not one). */
  constructor(
    private readonly q: SoqlQuery,
    private readonly ctx: SoqlContext,
    object?: ObjectDef,
  ) {
    const o = object ?? ctx.state.schema.find(q.object, true);
    if (!o) {
      throw new SalesforceError(
        400,
        'INVALID_TYPE',
        `sObject type '${q.object}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    this.object = o;
  }

  run(): SoqlResult {
    const plan = this.plan();
    const rows = this.select(plan, this.ctx.state.all(this.object.name));
    if (this.q.fields === 'count') return { totalSize: rows.length, records: [] };
    return { totalSize: rows.length, records: rows.map((r) => this.project(r, plan)) };
  }

  /** Resolves fields, filter, order and subqueries once, before any row is read. */
  plan(): Plan {
    const selected = this.q.fields === 'count' ? [] : this.q.fields.map((p) => this.resolve(p));
    const where = this.q.where ? this.compile(this.q.where) : () => true;
    const order = this.q.orderBy.map((o) => ({ ...o, field: this.resolve(o.field) }));
    if ((this.q.offset ?? 0) > MAX_OFFSET) {
      throw new SalesforceError(
        400,
        'NUMBER_OUTSIDE_VALID_RANGE',
        `Maximum SOQL offset allowed is ${MAX_OFFSET}`,
      );
    }
    const relationships = childRelationshipsOf(this.ctx.state.schema, this.object);
    const children = this.q.subqueries.map((sub): ChildPlan => {
      const lower = sub.object.toLowerCase();
      const rel = relationships.find((r) => r.relationshipName.toLowerCase() === lower);
      if (!rel) {
        throw new SalesforceError(
          400,
          'INVALID_TYPE',
          `Didn't understand relationship '${sub.object}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
        );
      }
      const executor = new Executor(sub, this.ctx, rel.child);
      return {
        sub,
        name: rel.relationshipName,
        field: rel.field.name,
        executor,
        plan: executor.plan(),
      };
    });
    return { selected, where, order, children };
  }

  /** The candidate rows that pass the filter, ordered, with OFFSET and LIMIT applied. */
  select(plan: Plan, candidates: SfRecord[]): SfRecord[] {
    const { where, order } = plan;
    let rows = candidates.filter(
      (r) => (this.ctx.includeDeleted || r['IsDeleted'] !== true) && where(r),
    );
    if (order.length > 0) {
      rows.sort((a, b) => {
        for (const o of order) {
          const x = this.comparable(o.field, o.field.get(a));
          const y = this.comparable(o.field, o.field.get(b));
          if (x === y) continue;
          if (x === null) return o.nullsFirst ? -1 : 1;
          if (y === null) return o.nullsFirst ? 1 : -1;
          const c = x < y ? -1 : 1;
          return o.descending ? -c : c;
        }
        return 0;
      });
    }
    const offset = this.q.offset ?? 0;
    rows = rows.slice(offset, this.q.limit === undefined ? undefined : offset + this.q.limit);
    return rows;
  }

  /** One parent's nested result of a subquery: null without children, as in Salesforce. */
  private children(parent: SfRecord, child: ChildPlan): SoqlChildResult | null {
    const id = parent['Id'];
    const rows = child.executor.select(
      child.plan,
      this.ctx.state.all(child.executor.object.name).filter((r) => r[child.field] === id),
    );
    if (rows.length === 0) return null;
    const records = rows.map((r) => child.executor.project(r, child.plan));
    return this.ctx.pageChildren?.(records) ?? { totalSize: records.length, done: true, records };
  }

  private url(o: ObjectDef, id: unknown): string {
    return `/services/data/v${this.ctx.version}/sobjects/${o.name}/${String(id)}`;
  }

  /** A row as the API returns it: `attributes`, then the SELECT items in their order. */
  project(rec: SfRecord, plan: Plan): SfRecord {
    const out: SfRecord = {
      attributes: { type: this.object.name, url: this.url(this.object, rec['Id']) },
    };
    const childrenAt = (position: number): void => {
      for (const c of plan.children)
        if (c.sub.position === position) out[c.name] = this.children(rec, c);
    };
    for (const [i, f] of plan.selected.entries()) {
      childrenAt(i);
      if (!f.relationship || !f.parent) {
        out[f.name] = f.get(rec);
        continue;
      }
      const parent = f.parent(rec);
      if (!parent) {
        out[f.relationship] ??= null;
        continue;
      }
      const nested = (out[f.relationship] as SfRecord | null | undefined) ?? {
        attributes: { type: parent.object.name, url: this.url(parent.object, parent.record['Id']) },
      };
      nested[f.name] = parent.record[f.name] ?? null;
      out[f.relationship] = nested;
    }
    childrenAt(plan.selected.length);
    return out;
  }

  private resolve(path: string[]): Resolved {
    const { schema } = this.ctx.state;
    const [first, second] = path as [string, string | undefined];
    if (second === undefined) {
      const f = schema.fieldForRead(this.object, first);
      if (!f) throw noColumn(first, this.object.name);
      return {
        name: f.name,
        type: f.type,
        loose: f.inferred === true,
        get: (r) => r[f.name] ?? null,
      };
    }
    const lower = first.toLowerCase();
    let ref: FieldDef | undefined = this.object.fields.find(
      (f) => f.relationshipName?.toLowerCase() === lower,
    );
    if (!ref && lower.endsWith('__r'))
      ref = schema.fieldForRead(this.object, `${first.slice(0, -3)}__c`);
    if (!ref) {
      throw new SalesforceError(
        400,
        'INVALID_FIELD',
        `Didn't understand relationship '${first}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    const refField = ref;
    const target =
      refField.referenceTo && !refField.inferred ? schema.find(refField.referenceTo) : undefined;
    let def: FieldDef | undefined;
    if (target) {
      def = schema.fieldForRead(target, second);
      if (!def) throw noColumn(second, target.name);
    }
    const { state } = this.ctx;
    const parent = (rec: SfRecord): { object: ObjectDef; record: SfRecord } | undefined => {
      const id = rec[refField.name];
      const found = typeof id === 'string' ? state.get(id) : undefined;
      if (!found || found.record['IsDeleted'] === true) return undefined;
      return { object: state.objectOf(found.object), record: found.record };
    };
    const name = def?.name ?? second;
    return {
      name,
      type: def?.type ?? 'string',
      loose: !def || def.inferred === true,
      relationship: refField.relationshipName ?? `${first.slice(0, -3)}__r`,
      get: (rec) => {
        const p = parent(rec);
        if (!p) return null;
        if (def) return p.record[def.name] ?? null;
        const dynamic = schema.fieldForRead(p.object, second);
        return dynamic ? (p.record[dynamic.name] ?? null) : null;
      },
      parent,
    };
  }

  /** A stored value in a form that compares with `<` (text lower-cased; dates as epoch ms). */
  private comparable(f: Resolved, v: unknown): Comparable {
    if (v === null || v === undefined) return null;
    if (f.type === 'date' && typeof v === 'string') return Date.parse(`${v}T00:00:00Z`);
    if (f.type === 'datetime' && typeof v === 'string') return parseDateTime(v) ?? null;
    if (typeof v === 'string')
      return f.type === 'id' || f.type === 'reference' ? v : v.toLowerCase();
    if (typeof v === 'number' || typeof v === 'boolean') return v;
    return JSON.stringify(v);
  }

  /** A literal for field `f`: the comparable value, or a date range; type-checked like SOQL. */
  private literal(
    f: Resolved,
    path: string,
    v: SoqlValue,
  ): Comparable | { range: [number, number] } {
    if (v.kind === 'null') return null;
    if (v.kind === 'dateLiteral') {
      if (!f.loose && f.type !== 'date' && f.type !== 'datetime') {
        throw filterError(
          `value of filter criterion for field '${path}' must be of type ${f.type} and should not be a date literal`,
        );
      }
      return { range: dateLiteralRange(v.name, v.n, this.ctx.now) };
    }
    const type = f.type;
    const wrong = (): SalesforceError =>
      filterError(
        `value of filter criterion for field '${path}' must be of type ${type === 'datetime' ? 'dateTime' : type} and ${
          isTextType(type) || type === 'id' || type === 'reference'
            ? 'should be enclosed in quotes'
            : 'should not be enclosed in quotes'
        }`,
      );
    if (type === 'id' || type === 'reference') {
      if (v.kind !== 'string') throw wrong();
      const id = salesforceId.normalize(v.value);
      if (!id) {
        if (f.loose) return v.value;
        throw filterError(`invalid ID field: ${v.value}`);
      }
      return id;
    }
    if (f.loose) {
      switch (v.kind) {
        case 'string':
          return this.comparable(f, v.value);
        case 'date':
          return type === 'date' ? Date.parse(`${v.value}T00:00:00Z`) : v.value;
        case 'datetime':
          return v.ms;
        default:
          return v.value;
      }
    }
    if (isTextType(type)) {
      if (v.kind !== 'string') throw wrong();
      return v.value.toLowerCase();
    }
    if (isNumberType(type)) {
      if (v.kind !== 'number') throw wrong();
      return v.value;
    }
    if (type === 'boolean') {
      if (v.kind !== 'boolean') throw wrong();
      return v.value;
    }
    if (type === 'date') {
      if (v.kind !== 'date') throw wrong();
      return Date.parse(`${v.value}T00:00:00Z`);
    }
    if (type === 'datetime') {
      if (v.kind !== 'datetime') throw wrong();
      return v.ms;
    }
    throw wrong();
  }

  private compile(c: SoqlCondition): (r: SfRecord) => boolean {
    switch (c.kind) {
      case 'and': {
        const items = c.items.map((i) => this.compile(i));
        return (r) => items.every((i) => i(r));
      }
      case 'or': {
        const items = c.items.map((i) => this.compile(i));
        return (r) => items.some((i) => i(r));
      }
      case 'not': {
        const item = this.compile(c.item);
        return (r) => !item(r);
      }
      case 'like': {
        const f = this.resolve(c.field);
        if (!f.loose && !isTextType(f.type)) {
          throw filterError(
            `invalid operator on ${f.type} field '${c.field.join('.')}': LIKE applies to text fields`,
          );
        }
        const source = c.pattern
          .split(/(\\[%_]|%|_)/)
          .map((part) =>
            part === '%'
              ? '.*'
              : part === '_'
                ? '.'
                : part === '\\%' || part === '\\_'
                  ? `\\${part[1]}`
                  : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
          )
          .join('');
        const re = new RegExp(`^${source}$`, 'is');
        return (r) => {
          const v = f.get(r);
          return v !== null && v !== undefined && re.test(String(v));
        };
      }
      case 'in': {
        const f = this.resolve(c.field);
        const path = c.field.join('.');
        const tests = c.values.map((v) => this.test(f, '=', this.literal(f, path, v)));
        return c.negate ? (r) => !tests.some((t) => t(r)) : (r) => tests.some((t) => t(r));
      }
      case 'compare': {
        const f = this.resolve(c.field);
        return this.test(f, c.op, this.literal(f, c.field.join('.'), c.value));
      }
    }
  }

  private test(
    f: Resolved,
    op: string,
    lit: Comparable | { range: [number, number] },
  ): (r: SfRecord) => boolean {
    return (r) => {
      const v = this.comparable(f, f.get(r));
      if (lit !== null && typeof lit === 'object') {
        if (v === null || typeof v !== 'number') return op === '!=';
        const [start, end] = lit.range;
        switch (op) {
          case '=':
            return v >= start && v < end;
          case '!=':
            return v < start || v >= end;
          case '<':
            return v < start;
          case '<=':
            return v < end;
          case '>':
            return v >= end;
          default:
            return v >= start;
        }
      }
      if (op === '=') return v === lit;
      if (op === '!=') return v !== lit;
      if (v === null || lit === null || typeof v !== typeof lit) return false;
      switch (op) {
        case '<':
          return v < lit;
        case '<=':
          return v <= lit;
        case '>':
          return v > lit;
        default:
          return v >= lit;
      }
    };
  }
}

/** Parses and runs a SOQL query of the supported subset against the org's records. */
export function runSoql(soql: string, ctx: SoqlContext): SoqlResult {
  return new Executor(parseSoql(soql), ctx).run();
}
