import { invalid } from './errors.ts';
import type { ObjectType, PropertyDefinition } from './schema.ts';
import { compareIds, type HubspotState, type StoredObject } from './state.ts';

/** One filter of a search request. */
export interface SearchFilter {
  propertyName: string;
  operator: string;
  value?: string | number | boolean;
  highValue?: string | number;
  values?: (string | number)[];
}

/** `POST /crm/v3/objects/{objectType}/search`. */
export interface SearchRequest {
  filterGroups?: { filters?: SearchFilter[] }[];
  sorts?: (string | { propertyName: string; direction?: 'ASCENDING' | 'DESCENDING' })[];
  query?: string;
  properties?: string[];
  limit?: number;
  after?: string | number;
}

/** HubSpot's search limits: 5 groups, 6 filters per group, 18 in all, 200 per page, 10 000 deep. */
const MAX_GROUPS = 5;
const MAX_FILTERS_PER_GROUP = 6;
const MAX_FILTERS = 18;
const MAX_LIMIT = 200;
const MAX_DEPTH = 10_000;

const OPERATORS = new Set([
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
]);

/**
 * Runs a search: filter groups are ORed, filters in a group ANDed; one sort (ties broken by id,
 * ascending); `after` is the offset of the next page, as HubSpot's opaque cursor is.
 */
export function searchObjects(
  state: HubspotState,
  type: ObjectType,
  request: SearchRequest,
): { results: StoredObject[]; total: number; next: string | undefined } {
  const groups = request.filterGroups ?? [];
  if (groups.length > MAX_GROUPS) throw invalid(`At most ${MAX_GROUPS} filterGroups are allowed`);
  let count = 0;
  for (const g of groups) {
    const n = g.filters?.length ?? 0;
    if (n > MAX_FILTERS_PER_GROUP)
      throw invalid(`At most ${MAX_FILTERS_PER_GROUP} filters are allowed per filterGroup`);
    count += n;
    for (const f of g.filters ?? []) {
      if (!OPERATORS.has(f.operator)) throw invalid(`Unknown operator ${String(f.operator)}`);
      if (!state.property(type, f.propertyName))
        throw invalid(
          `There was a problem with the request: property ${f.propertyName} does not exist`,
        );
    }
  }
  if (count > MAX_FILTERS) throw invalid(`At most ${MAX_FILTERS} filters are allowed`);
  const limit = request.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw invalid(`limit must be between 1 and ${MAX_LIMIT}`);
  const offset = request.after === undefined || request.after === '' ? 0 : Number(request.after);
  if (!Number.isInteger(offset) || offset < 0)
    throw invalid(`after ${String(request.after)} is not a valid cursor`);
  if (offset + limit > MAX_DEPTH)
    throw invalid(`Search can page through at most ${MAX_DEPTH} results; narrow the filters`);

  const query = request.query?.toLowerCase().trim();
  let matches = [...state.table(type).values()].filter(
    (o) =>
      !o.archived &&
      (groups.length === 0 ||
        groups.some((g) => (g.filters ?? []).every((f) => matchFilter(state, type, o, f)))) &&
      (!query || Object.values(o.properties).some((v) => v.toLowerCase().includes(query))),
  );
  const sort = request.sorts?.[0];
  const sortName = typeof sort === 'string' ? sort.replace(/^-/, '') : sort?.propertyName;
  const descending =
    typeof sort === 'string' ? sort.startsWith('-') : sort?.direction === 'DESCENDING';
  const def = sortName ? state.property(type, sortName) : undefined;
  matches = matches.sort((a, b) => {
    const c = sortName ? compareValues(def, a.properties[sortName], b.properties[sortName]) : 0;
    return (descending ? -c : c) || compareIds(a.id, b.id);
  });
  const page = matches.slice(offset, offset + limit);
  const next = offset + limit < matches.length ? String(offset + limit) : undefined;
  return { results: page, total: matches.length, next };
}

function comparable(def: PropertyDefinition | undefined, value: string): number | string {
  if (!def) return value;
  if (def.type === 'number' || def.name === 'hs_object_id') return Number(value);
  if (def.type === 'datetime' || def.type === 'date') {
    return /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  }
  return value.toLowerCase();
}

function compareValues(def: PropertyDefinition | undefined, a?: string, b?: string): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  const x = comparable(def, a);
  const y = comparable(def, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function matchFilter(
  state: HubspotState,
  type: ObjectType,
  o: StoredObject,
  f: SearchFilter,
): boolean {
  const def = state.property(type, f.propertyName);
  const stored = o.properties[f.propertyName];
  if (f.operator === 'HAS_PROPERTY') return stored !== undefined && stored !== '';
  if (f.operator === 'NOT_HAS_PROPERTY') return stored === undefined || stored === '';
  if (stored === undefined) return f.operator === 'NEQ' || f.operator === 'NOT_IN';
  const v = comparable(def, stored);
  const want = (x: unknown) => comparable(def, String(x));
  switch (f.operator) {
    case 'EQ':
      return v === want(f.value);
    case 'NEQ':
      return v !== want(f.value);
    case 'LT':
      return v < want(f.value);
    case 'LTE':
      return v <= want(f.value);
    case 'GT':
      return v > want(f.value);
    case 'GTE':
      return v >= want(f.value);
    case 'BETWEEN':
      return v >= want(f.value) && v <= want(f.highValue);
    case 'IN':
      return (f.values ?? []).some((x) => want(x) === v);
    case 'NOT_IN':
      return !(f.values ?? []).some((x) => want(x) === v);
    case 'CONTAINS_TOKEN':
      return stored.toLowerCase().includes(
        String(f.value ?? '')
          .replace(/\*/g, '')
          .toLowerCase(),
      );
    case 'NOT_CONTAINS_TOKEN':
      return !stored.toLowerCase().includes(
        String(f.value ?? '')
          .replace(/\*/g, '')
          .toLowerCase(),
      );
    default:
      return false;
  }
}
