/** One changed value between two JSON documents. */
export interface JsonChange {
  path: string;
  before: unknown;
  after: unknown;
}

/** Lists what changed from `before` to `after`, by JSON path (`$.lines[0].amount`). */
export function jsonDiff(before: unknown, after: unknown, path = '$'): JsonChange[] {
  if (Object.is(before, after)) return [];
  const bothObjects =
    typeof before === 'object' && before !== null && typeof after === 'object' && after !== null;
  if (!bothObjects || Array.isArray(before) !== Array.isArray(after)) {
    return [{ path, before: before ?? null, after: after ?? null }];
  }
  const changes: JsonChange[] = [];
  if (Array.isArray(before) && Array.isArray(after)) {
    const n = Math.max(before.length, after.length);
    for (let i = 0; i < n; i++) changes.push(...jsonDiff(before[i], after[i], `${path}[${i}]`));
    return changes;
  }
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    changes.push(...jsonDiff(a[key], b[key], `${path}.${key}`));
  }
  return changes;
}
