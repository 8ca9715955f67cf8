import { sql, type RawBuilder } from 'kysely';

/** A window of time cut into equal buckets: `[from, to)` in steps of `bucketMs`. */
export interface BucketWindow {
  from: number;
  to: number;
  bucketMs: number;
}

/** A count per bucket; `bucket` is the bucket's index from the window's start. */
export interface BucketCount {
  bucket: number;
  count: number;
}

/**
 * The bucket index of a millisecond column, computed in SQL so only one row per bucket comes
 * back. `cast(… as bigint)` truncates on both back ends (SQLite may divide in floating point).
 */
export function bucketOf(column: string, window: BucketWindow): RawBuilder<number> {
  return sql<number>`cast((${sql.ref(column)} - ${window.from}) / ${window.bucketMs} as bigint)`;
}

/** Rows from a grouped bucket query as numbers (PostgreSQL returns bigint counts). */
export function toBucketCounts(rows: { bucket: unknown; count: unknown }[]): BucketCount[] {
  return rows
    .map((r) => ({ bucket: Number(r.bucket), count: Number(r.count) }))
    .sort((a, b) => a.bucket - b.bucket);
}
