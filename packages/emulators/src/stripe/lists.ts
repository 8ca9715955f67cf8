import { invalidRequest, stripeError } from './errors.ts';
import type { Params } from './params.ts';
import type { ListBody } from './state.ts';

/**
 * One page of a list, newest first: `limit` 1–100 (default 10), `starting_after` /
 * `ending_before` exclusive cursors, `has_more`. `items` must already be newest first.
 */
export function paginate<T extends { id: string }>(
  items: readonly T[],
  p: Params,
  url: string,
): ListBody<T> {
  const limit = p.int('limit', { min: 1, max: 100 }) ?? 10;
  const after = p.str('starting_after');
  const before = p.str('ending_before');
  if (after && before) {
    throw invalidRequest(
      'You may only specify one of these parameters: ending_before, starting_after.',
      'ending_before',
      'parameters_exclusive',
    );
  }
  const find = (id: string, param: string): number => {
    const i = items.findIndex((x) => x.id === id);
    if (i < 0) {
      throw stripeError(404, {
        type: 'invalid_request_error',
        code: 'resource_missing',
        message: `No such object: '${id}'`,
        param,
      });
    }
    return i;
  };
  if (before) {
    const i = find(before, 'ending_before');
    const start = Math.max(0, i - limit);
    return { object: 'list', data: items.slice(start, i), has_more: start > 0, url };
  }
  const start = after ? find(after, 'starting_after') + 1 : 0;
  return {
    object: 'list',
    data: items.slice(start, start + limit),
    has_more: start + limit < items.length,
    url,
  };
}

/** A predicate for a range filter such as `created[gte]=…` or `created=…`. */
export function rangeFilter(p: Params, key: string): (value: number) => boolean {
  if (!p.has(key)) return () => true;
  const exact = p.obj(key) ? undefined : p.int(key);
  if (exact !== undefined) return (v) => v === exact;
  const r = p.obj(key);
  if (!r) return () => true;
  r.allow('gt', 'gte', 'lt', 'lte');
  const gt = r.int('gt');
  const gte = r.int('gte');
  const lt = r.int('lt');
  const lte = r.int('lte');
  return (v) =>
    (gt === undefined || v > gt) &&
    (gte === undefined || v >= gte) &&
    (lt === undefined || v < lt) &&
    (lte === undefined || v <= lte);
}

/** An embedded list (subscription items, invoice lines) in Stripe's shape. */
export function embeddedList<T>(data: T[], url: string): ListBody<T> {
  return { object: 'list', data, has_more: false, total_count: data.length, url };
}
