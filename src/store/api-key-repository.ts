import type { Selectable } from 'kysely';
import { ConflictError } from '../model/revsync-error.ts';
import type { Executor } from './executor.ts';
import type { ApiKeyTable } from './schema.ts';

/** An API key as stored: never the key itself, only the hash of its secret. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  /** `viewer`, `operator` or `admin`; the governance module owns the meaning. */
  role: string;
  secretHash: string;
  createdAt: number;
  createdBy: string;
  lastUsedAt: number | null;
  revokedAt: number | null;
  revokedBy: string | null;
}

export type NewApiKey = Pick<
  ApiKeyRecord,
  'id' | 'name' | 'role' | 'secretHash' | 'createdAt' | 'createdBy'
>;

/** Rows ↔ records for `api_keys`. */
export const ApiKeyRepository = {
  /** Stores a new key; a name already used by a key that is not revoked is a {@link ConflictError}. */
  async insert(db: Executor, key: NewApiKey): Promise<void> {
    const taken = await db
      .selectFrom('api_keys')
      .select('id')
      .where('name', '=', key.name)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (taken) throw new ConflictError(`an API key named "${key.name}" already exists`);
    try {
      await db
        .insertInto('api_keys')
        .values({
          id: key.id,
          name: key.name,
          role: key.role,
          secret_hash: key.secretHash,
          created_at: key.createdAt,
          created_by: key.createdBy,
          last_used_at: null,
          revoked_at: null,
          revoked_by: null,
        })
        .execute();
    } catch (caught) {
      // Two concurrent creations of one name: the partial unique index decides.
      if (isUniqueViolation(caught)) {
        throw new ConflictError(`an API key named "${key.name}" already exists`, { cause: caught });
      }
      throw caught;
    }
  },

  async get(db: Executor, id: string): Promise<ApiKeyRecord | undefined> {
    const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toApiKeyRecord(row);
  },

  /** Keys by creation time; revoked ones only when asked. */
  async list(db: Executor, options: { includeRevoked?: boolean } = {}): Promise<ApiKeyRecord[]> {
    let q = db.selectFrom('api_keys').selectAll();
    if (!options.includeRevoked) q = q.where('revoked_at', 'is', null);
    const rows = await q.orderBy('created_at').orderBy('id').execute();
    return rows.map(toApiKeyRecord);
  },

  /** Revokes a key; false when there is no such key or it was already revoked. */
  async revoke(db: Executor, id: string, by: { at: number; actor: string }): Promise<boolean> {
    const result = await db
      .updateTable('api_keys')
      .set({ revoked_at: by.at, revoked_by: by.actor })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /** Records that the key was used (callers throttle this; it is a hint, not an audit). */
  async touch(db: Executor, id: string, at: number): Promise<void> {
    await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  },
};

function isUniqueViolation(caught: unknown): boolean {
  const code = (caught as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

function toApiKeyRecord(row: Selectable<ApiKeyTable>): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    secretHash: row.secret_hash,
    createdAt: row.created_at,
    createdBy: row.created_by,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
  };
}
