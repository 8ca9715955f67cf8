import type { Kysely } from 'kysely';

/** Which SQL engine a migration runs on; DDL differs only in column types. */
export type DialectName = 'sqlite' | 'postgres';

/** A forward-only schema change. Migrations are numbered and never edited once released. */
export interface RevsyncMigration {
  up(db: Kysely<unknown>, dialect: DialectName): Promise<void>;
}

/** Column types that differ between SQLite and PostgreSQL. */
export function types(dialect: DialectName) {
  return {
    /** Auto-incrementing 64-bit primary key. */
    serial: dialect === 'postgres' ? ('bigserial' as const) : ('integer' as const),
    /** Milliseconds since the epoch and other 64-bit integers. */
    bigint: dialect === 'postgres' ? ('bigint' as const) : ('integer' as const),
  };
}
