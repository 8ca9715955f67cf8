import type { Selectable } from 'kysely';
import type { Executor } from './executor.ts';
import { fromJson, toJson } from './json.ts';
import type { SyncConflictTable } from './schema.ts';

/**
 * A sync conflict: both sides changed a field since the last sync, or a new record duplicates an
 * existing one by the match rules. Queued for a person; never resolved automatically.
 */
export interface SyncConflict {
  id: string;
  entityType: string;
  entityId: string;
  kind: 'field' | 'duplicate';
  field: string | null;
  /** What each system holds, e.g. `{ salesforce: 'EUR', netsuite: 'USD' }`. */
  values: Record<string, unknown>;
  message: string;
  status: 'open' | 'resolved';
  correlationId: string | null;
  createdAt: number;
  resolvedAt: number | null;
  resolution: { actor: string; note?: string } | null;
}

export const ConflictRepository = {
  /** Opens a conflict unless the same one (entity, kind, field) is already open; returns whether it was new. */
  async open(
    db: Executor,
    conflict: Omit<SyncConflict, 'status' | 'resolvedAt' | 'resolution'>,
  ): Promise<boolean> {
    const result = await db
      .insertInto('sync_conflicts')
      .values({
        id: conflict.id,
        entity_type: conflict.entityType,
        entity_id: conflict.entityId,
        kind: conflict.kind,
        field: conflict.field,
        values: toJson(conflict.values),
        message: conflict.message,
        status: 'open',
        correlation_id: conflict.correlationId,
        created_at: conflict.createdAt,
        resolved_at: null,
        resolution: null,
      })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  },

  async resolve(
    db: Executor,
    id: string,
    resolution: { actor: string; note?: string },
    at: number,
  ): Promise<boolean> {
    const result = await db
      .updateTable('sync_conflicts')
      .set({ status: 'resolved', resolved_at: at, resolution: toJson(resolution) })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  async list(
    db: Executor,
    filter: { status?: 'open' | 'resolved'; entityId?: string; limit?: number } = {},
  ): Promise<SyncConflict[]> {
    let q = db.selectFrom('sync_conflicts').selectAll();
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.entityId) q = q.where('entity_id', '=', filter.entityId);
    const rows = await q
      .orderBy('created_at', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(toConflict);
  },
};

function toConflict(row: Selectable<SyncConflictTable>): SyncConflict {
  return {
    id: row.id,
    entityType: row.entity_type,
    entityId: row.entity_id,
    kind: row.kind as SyncConflict['kind'],
    field: row.field,
    values: fromJson<Record<string, unknown>>(row.values) ?? {},
    message: row.message,
    status: row.status as SyncConflict['status'],
    correlationId: row.correlation_id,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
    resolution: fromJson(row.resolution),
  };
}
