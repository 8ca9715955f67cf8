/**
 * Splits a long list for multi-row inserts and `in (…)` lists, keeping each statement well
 * below SQLite's (32,766) and PostgreSQL's (65,535) bound-parameter limits.
 */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
