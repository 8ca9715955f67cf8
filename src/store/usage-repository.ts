import { sql } from 'kysely';
import { chunks } from './chunks.ts';
import type { Executor } from './executor.ts';

/** One usage record as ingested. */
export interface UsageRecordRow {
  source: string;
  dedupeKey: string;
  subscriptionItemId: string;
  quantity: number;
  timestamp: number;
}

/** A source's statement that a period is complete: how many records, summing to what. */
export interface UsageManifest {
  source: string;
  subscriptionItemId: string;
  periodStart: number;
  periodEnd: number;
  count: number;
  sum: number;
}

/** Per source, what arrived in a period. */
export interface UsageTally {
  source: string;
  count: number;
  sum: number;
}

/**
 * Rows per insert statement: 6 bound values each keeps a statement far below SQLite's and
 * PostgreSQL's parameter limits, and a few statements per batch instead of one per record.
 */
export const UsageRepository = {
  /**
   * Stores records, ignoring (source, dedupe key) pairs already there (or earlier in the same
   * call); returns how many were new. Rows go in multi-row statements of 500 ({@link chunks}).
   */
  async insert(db: Executor, records: UsageRecordRow[], receivedAt: number): Promise<number> {
    let accepted = 0;
    for (const chunk of chunks(records)) {
      const result = await db
        .insertInto('usage_records')
        .values(
          chunk.map((r) => ({
            source: r.source,
            dedupe_key: r.dedupeKey,
            subscription_item_id: r.subscriptionItemId,
            quantity: r.quantity,
            timestamp: r.timestamp,
            received_at: receivedAt,
          })),
        )
        .onConflict((oc) => oc.columns(['source', 'dedupe_key']).doNothing())
        .executeTakeFirst();
      accepted += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return accepted;
  },

  async putManifest(db: Executor, manifest: UsageManifest, at: number): Promise<void> {
    await db
      .insertInto('usage_manifests')
      .values({
        source: manifest.source,
        subscription_item_id: manifest.subscriptionItemId,
        period_start: manifest.periodStart,
        period_end: manifest.periodEnd,
        count: manifest.count,
        sum: manifest.sum,
        closed_at: at,
      })
      .onConflict((oc) =>
        oc.columns(['source', 'subscription_item_id', 'period_start']).doUpdateSet({
          period_end: manifest.periodEnd,
          count: manifest.count,
          sum: manifest.sum,
          closed_at: at,
        }),
      )
      .execute();
  },

  async manifests(
    db: Executor,
    subscriptionItemId: string,
    periodStart: number,
  ): Promise<UsageManifest[]> {
    const rows = await db
      .selectFrom('usage_manifests')
      .selectAll()
      .where('subscription_item_id', '=', subscriptionItemId)
      .where('period_start', '=', periodStart)
      .orderBy('source')
      .execute();
    return rows.map((r) => ({
      source: r.source,
      subscriptionItemId: r.subscription_item_id,
      periodStart: r.period_start,
      periodEnd: r.period_end,
      count: Number(r.count),
      sum: Number(r.sum),
    }));
  },

  /** Count and sum per source of records in [periodStart, periodEnd). */
  async tally(
    db: Executor,
    subscriptionItemId: string,
    periodStart: number,
    periodEnd: number,
  ): Promise<UsageTally[]> {
    const rows = await db
      .selectFrom('usage_records')
      .select([
        'source',
        sql<number>`count(*)`.as('count'),
        sql<number>`coalesce(sum(quantity), 0)`.as('sum'),
      ])
      .where('subscription_item_id', '=', subscriptionItemId)
      .where('timestamp', '>=', periodStart)
      .where('timestamp', '<', periodEnd)
      .groupBy('source')
      .orderBy('source')
      .execute();
    return rows.map((r) => ({ source: r.source, count: Number(r.count), sum: Number(r.sum) }));
  },
};

/** The usage periods some source has closed that start in `[from, to)`, one row per item and period. */
export async function usagePeriodsStartingBetween(
  db: Executor,
  from: number,
  to: number,
): Promise<{ subscriptionItemId: string; periodStart: number; periodEnd: number }[]> {
  const rows = await db
    .selectFrom('usage_manifests')
    .select([
      'subscription_item_id',
      'period_start',
      (eb) => eb.fn.max('period_end').as('period_end'),
    ])
    .where('period_start', '>=', from)
    .where('period_start', '<', to)
    .groupBy(['subscription_item_id', 'period_start'])
    .orderBy('period_start')
    .orderBy('subscription_item_id')
    .execute();
  return rows.map((r) => ({
    subscriptionItemId: r.subscription_item_id,
    periodStart: Number(r.period_start),
    periodEnd: Number(r.period_end),
  }));
}
