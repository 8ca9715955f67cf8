import type { Executor } from './executor.ts';

/** A CRM object revsync writes billing fields to. */
export interface CrmWritebackTarget {
  system: string;
  objectType: string;
  objectId: string;
}

/** A field's value as revsync last wrote it (canonical JSON) and when. */
export interface CrmWrittenValue {
  value: string;
  writtenAt: number;
}

/**
 * The CRM billing write-back ledger: per CRM object and field, the value revsync last wrote and
 * when. Shared by every worker on the store (no process-local state). Writes are plain upserts
 * with no history, audit or events: the ledger is a cache of what revsync sent, not a record of
 * the business.
 */
export const CrmWritebackRepository = {
  /** The last written value of each of `fields` that has one. */
  async lastWritten(
    db: Executor,
    target: CrmWritebackTarget,
    fields: readonly string[],
  ): Promise<Map<string, CrmWrittenValue>> {
    const out = new Map<string, CrmWrittenValue>();
    if (fields.length === 0) return out;
    const rows = await db
      .selectFrom('crm_writebacks')
      .select(['field', 'value', 'written_at'])
      .where('system', '=', target.system)
      .where('object_type', '=', target.objectType)
      .where('object_id', '=', target.objectId)
      .where('field', 'in', [...fields])
      .execute();
    for (const row of rows)
      out.set(row.field, { value: row.value, writtenAt: Number(row.written_at) });
    return out;
  },

  /** Records `values` (field → canonical JSON) as written at `at`, replacing what was there. */
  async record(
    db: Executor,
    target: CrmWritebackTarget,
    values: Readonly<Record<string, string>>,
    at: number,
  ): Promise<void> {
    const rows = Object.entries(values).map(([field, value]) => ({
      system: target.system,
      object_type: target.objectType,
      object_id: target.objectId,
      field,
      value,
      written_at: at,
    }));
    if (rows.length === 0) return;
    await db
      .insertInto('crm_writebacks')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['system', 'object_type', 'object_id', 'field']).doUpdateSet((eb) => ({
          value: eb.ref('excluded.value'),
          written_at: eb.ref('excluded.written_at'),
        })),
      )
      .execute();
  },
};
