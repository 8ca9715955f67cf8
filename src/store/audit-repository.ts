import type { Executor } from './executor.ts';
import { fromJson, toJson } from './json.ts';

/** One recorded action of a person or process: who did what to which object, with details. */
export interface AuditRecord {
  id: number;
  at: number;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
}

export const AuditRepository = {
  async record(db: Executor, entry: Omit<AuditRecord, 'id'>): Promise<void> {
    await db
      .insertInto('audit_log')
      .values({
        at: entry.at,
        actor: entry.actor,
        action: entry.action,
        target_type: entry.targetType,
        target_id: entry.targetId,
        details: toJson(entry.details),
      })
      .execute();
  },

  async list(
    db: Executor,
    filter: {
      targetType?: string;
      targetId?: string;
      actor?: string;
      limit?: number;
      /** Newest first, before this id (for paging). */
      beforeId?: number;
    } = {},
  ): Promise<AuditRecord[]> {
    let q = db.selectFrom('audit_log').selectAll();
    if (filter.targetType !== undefined) q = q.where('target_type', '=', filter.targetType);
    if (filter.targetId !== undefined) q = q.where('target_id', '=', filter.targetId);
    if (filter.actor !== undefined) q = q.where('actor', '=', filter.actor);
    if (filter.beforeId !== undefined) q = q.where('id', '<', filter.beforeId);
    const rows = await q
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      targetType: r.target_type,
      targetId: r.target_id,
      details: fromJson<Record<string, unknown>>(r.details) ?? {},
    }));
  },
};
