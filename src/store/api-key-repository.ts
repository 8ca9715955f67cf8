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
  /** After this every secret of the key is refused; null: never. */
  expiresAt: number | null;
  /** What the key is limited to on top of its role; null: the role alone decides. */
  scopes: string[] | null;
  /** When the current secret was issued by a rotation; null: never rotated. */
  rotatedAt: number | null;
  /** The secret the last rotation replaced, accepted until `previousSecretExpiresAt`. */
  previousSecretHash: string | null;
  previousSecretExpiresAt: number | null;
}

export type NewApiKey = Pick<
  ApiKeyRecord,
  'id' | 'name' | 'role' | 'secretHash' | 'createdAt' | 'createdBy'
> &
  Partial<Pick<ApiKeyRecord, 'expiresAt' | 'scopes'>>;

/** A rotation: the new secret's hash, the old one's end of grace, the key's new expiry. */
export interface ApiKeyRotation {
  secretHash: string;
  at: number;
  previousSecretExpiresAt: number;
  expiresAt: number | null;
}

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
          expires_at: key.expiresAt ?? null,
          scopes: key.scopes ? JSON.stringify(key.scopes) : null,
          rotated_at: null,
          previous_secret_hash: null,
          previous_secret_expires_at: null,
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

  /**
   * Gives a key that is not revoked a new secret; the current one becomes the previous secret
   * (any older previous secret is dropped). False when there is no such key or it is revoked.
   */
  async rotate(db: Executor, id: string, rotation: ApiKeyRotation): Promise<boolean> {
    const current = await db
      .selectFrom('api_keys')
      .select('secret_hash')
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!current) return false;
    const result = await db
      .updateTable('api_keys')
      .set({
        secret_hash: rotation.secretHash,
        rotated_at: rotation.at,
        previous_secret_hash: current.secret_hash,
        previous_secret_expires_at: rotation.previousSecretExpiresAt,
        expires_at: rotation.expiresAt,
      })
      .where('id', '=', id)
      .where('secret_hash', '=', current.secret_hash)
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
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    scopes: row.scopes === null ? null : (JSON.parse(row.scopes) as string[]),
    rotatedAt: row.rotated_at === null ? null : Number(row.rotated_at),
    previousSecretHash: row.previous_secret_hash,
    previousSecretExpiresAt:
      row.previous_secret_expires_at === null ? null : Number(row.previous_secret_expires_at),
  };
}
