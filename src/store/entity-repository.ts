import { ConflictError } from '../model/revsync-error.ts';
import type { Executor } from './executor.ts';
import { fromJson, toJson } from './json.ts';

/** A canonical record as stored: its type, data and optimistic version. */
export interface EntityRecord<T = unknown> {
  id: string;
  type: string;
  version: number;
  data: T;
  updatedAt: number;
  updatedBy: string;
}

export const EntityRepository = {
  async get<T = unknown>(db: Executor, id: string): Promise<EntityRecord<T> | undefined> {
    const row = await db.selectFrom('entities').selectAll().where('id', '=', id).executeTakeFirst();
    return (
      row && {
        id: row.id,
        type: row.type,
        version: row.version,
        data: fromJson<T>(row.data) as T,
        updatedAt: row.updated_at,
        updatedBy: row.updated_by,
      }
    );
  },

  /**
   * Writes a record. With `expectedVersion` the write happens only if the stored version still
   * matches (0 = must not exist yet); otherwise a {@link ConflictError}. Returns the new version.
   */
  async put(
    db: Executor,
    entity: {
      id: string;
      type: string;
      data: unknown;
      updatedBy: string;
      at: number;
      expectedVersion?: number;
    },
  ): Promise<number> {
    const current = await db
      .selectFrom('entities')
      .select('version')
      .where('id', '=', entity.id)
      .executeTakeFirst();
    const currentVersion = current?.version ?? 0;
    if (entity.expectedVersion !== undefined && entity.expectedVersion !== currentVersion) {
      throw new ConflictError(
        `${entity.type} ${entity.id} is at version ${currentVersion}, expected ${entity.expectedVersion}`,
      );
    }
    const version = currentVersion + 1;
    if (current) {
      const result = await db
        .updateTable('entities')
        .set({
          data: toJson(entity.data),
          version,
          updated_at: entity.at,
          updated_by: entity.updatedBy,
        })
        .where('id', '=', entity.id)
        .where('version', '=', currentVersion)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) {
        throw new ConflictError(`${entity.type} ${entity.id} changed concurrently`);
      }
    } else {
      await db
        .insertInto('entities')
        .values({
          id: entity.id,
          type: entity.type,
          version,
          data: toJson(entity.data),
          updated_at: entity.at,
          updated_by: entity.updatedBy,
        })
        .execute();
    }
    return version;
  },

  async list<T = unknown>(
    db: Executor,
    type: string,
    limit = 100,
    afterId?: string,
  ): Promise<EntityRecord<T>[]> {
    let q = db.selectFrom('entities').selectAll().where('type', '=', type);
    if (afterId !== undefined) q = q.where('id', '>', afterId);
    const rows = await q.orderBy('id').limit(limit).execute();
    return rows.map((row) => ({
      id: row.id,
      type: row.type,
      version: row.version,
      data: fromJson<T>(row.data) as T,
      updatedAt: row.updated_at,
      updatedBy: row.updated_by,
    }));
  },
};
