import type { z } from 'zod';
import type { Money } from '../money.ts';

type Ctx = z.core.$RefinementCtx<unknown>;
type Path = (string | number)[];

/** Records one invariant violation at `path` (relative to the entity). */
export function report(ctx: Ctx, path: Path, message: string): void {
  ctx.addIssue({ code: 'custom', message, path });
}

/**
 * Reports every Money nested anywhere in `value` whose currency is not `currency`. Walking the
 * whole object means a Money field added later is covered without touching the check.
 */
export function checkCurrencies(ctx: Ctx, value: unknown, currency: string, path: Path = []): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkCurrencies(ctx, item, currency, [...path, i]));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (isMoney(value)) {
    if (value.currency !== currency) {
      report(ctx, [...path, 'currency'], `is ${value.currency}, expected ${currency}`);
    }
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    checkCurrencies(ctx, child, currency, [...path, key]);
  }
}

/** Reports when `parts` do not add up to `expected` (minor units, exact). */
export function checkSum(
  ctx: Ctx,
  parts: readonly Money[],
  expected: Money,
  path: Path,
  what: string,
): void {
  const total = parts.reduce((acc, m) => acc + BigInt(m.amount), 0n);
  if (total !== BigInt(expected.amount)) {
    report(ctx, path, `must equal ${what} (${total}), is ${expected.amount}`);
  }
}

/** Reports when `end` is before `start` (or not after it, when `strict`). */
export function checkOrder(
  ctx: Ctx,
  start: string,
  end: string,
  path: Path,
  strict: boolean,
): void {
  const a = Date.parse(start);
  const b = Date.parse(end);
  if (strict ? b <= a : b < a) {
    report(ctx, path, `must be ${strict ? 'after' : 'on or after'} ${start}`);
  }
}

/** Reports each repeated `id` in a list of lines or items. */
export function checkUniqueIds(
  ctx: Ctx,
  items: readonly { id?: string | undefined }[],
  path: Path,
): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (item.id === undefined) return;
    if (seen.has(item.id)) report(ctx, [...path, i, 'id'], `duplicate id ${item.id}`);
    seen.add(item.id);
  });
}

function isMoney(value: object): value is Money {
  return (
    'amount' in value &&
    'currency' in value &&
    typeof value.amount === 'number' &&
    typeof value.currency === 'string'
  );
}
