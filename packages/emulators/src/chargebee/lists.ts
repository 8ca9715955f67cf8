import { invalidParam } from './errors.ts';
import type { Params } from './params.ts';

/** Chargebee's largest page. */
export const MAX_LIMIT = 100;

/**
 * One page of a list as Chargebee answers it: `{list: [{<key>: obj}], next_offset?}`, `limit`
 * 1–100 (default 10), `offset` the opaque `next_offset` of the previous page.
 */
export function page<T>(
  items: readonly T[],
  p: Params,
  wrap: (item: T) => Record<string, unknown>,
): { list: Record<string, unknown>[]; next_offset?: string } {
  const limit = p.int('limit', { min: 1, max: MAX_LIMIT }) ?? 10;
  const start = decodeOffset(p.str('offset'));
  const slice = items.slice(start, start + limit);
  const end = start + slice.length;
  return {
    list: slice.map(wrap),
    ...(end < items.length && { next_offset: JSON.stringify([String(end), String(items.length)]) }),
  };
}

function decodeOffset(offset: string | undefined): number {
  if (offset === undefined) return 0;
  try {
    const parsed: unknown = JSON.parse(offset);
    if (Array.isArray(parsed) && /^\d+$/.test(String(parsed[0]))) return Number(parsed[0]);
  } catch {
    // fall through
  }
  throw invalidParam('offset', 'invalid offset');
}

/** Ascending or descending by `field` per `sort_by[asc|desc]`, else `defaultDesc`. */
export function sortBy<T>(
  items: T[],
  p: Params,
  fields: Record<string, (item: T) => number>,
  defaultField: string,
): T[] {
  const sort = p.object('sort_by');
  let field = defaultField;
  let asc = false;
  if (sort) {
    const [dir, name] = Object.entries(sort)[0] ?? [];
    if (dir !== 'asc' && dir !== 'desc') throw invalidParam('sort_by', 'asc or desc');
    if (name === undefined || !(name in fields))
      throw invalidParam('sort_by', `cannot sort by ${String(name)}`);
    field = name;
    asc = dir === 'asc';
  }
  const key = fields[field]!;
  // Equal keys keep creation order (ascending), reversed when descending.
  const indexed = items.map((item, i) => ({ item, i, k: key(item) }));
  indexed.sort((a, b) => (a.k - b.k || a.i - b.i) * (asc ? 1 : -1));
  return indexed.map((x) => x.item);
}
