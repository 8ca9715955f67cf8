import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { ValidationError } from '../model/revsync-error.ts';
import { migrationProvider } from './migrations/index.ts';
import type { DialectName } from './migrations/migration.ts';
import type { Database } from './schema.ts';
import { Store } from './store.ts';
import { PostgresWorkNotifier, type WorkNotifier } from './work-notifier.ts';

/** How to reach the database. */
export interface StoreOptions {
  /**
   * `sqlite:PATH` (or a bare file path; `sqlite::memory:` for tests) or `postgres://…`.
   * Default: `sqlite:.revsync/revsync.db`.
   */
  url?: string;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
  /** Run pending migrations on open (default true). */
  migrate?: boolean;
}

/** Parses a store URL into its dialect and target; throws a clear error on anything else. */
export function parseStoreUrl(url: string): { dialect: DialectName; target: string } {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return { dialect: 'postgres', target: url };
  }
  if (url.startsWith('sqlite:')) {
    const target = url.slice('sqlite:'.length);
    if (target === '') throw new ValidationError(`store url "${url}" names no SQLite file`);
    return { dialect: 'sqlite', target };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new ValidationError(
      `store url "${url}" is not supported: use sqlite:PATH or postgres://user@host:port/db`,
    );
  }
  return { dialect: 'sqlite', target: url };
}

/** Opens (and by default migrates) the store. */
export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const url = options.url ?? 'sqlite:.revsync/revsync.db';
  const { dialect, target } = parseStoreUrl(url);
  let db: Kysely<Database>;
  let work: WorkNotifier | undefined;
  if (dialect === 'sqlite') {
    if (target !== ':memory:') mkdirSync(dirname(resolve(target)), { recursive: true });
    const sqlite = new BetterSqlite3(target);
    sqlite.pragma('journal_mode = WAL');
    // FULL: a commit is on disk before it is acknowledged (webhook 2xx, step marked done).
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
    });
  } else {
    const pool = new pg.Pool({
      connectionString: target,
      max: options.poolSize ?? 10,
      types: { getTypeParser: typeParser },
    });
    // An idle client can be cut off by the server (restart, failover); the pool replaces it.
    // Without a listener that error would crash the process.
    pool.on('error', () => {});
    work = new PostgresWorkNotifier(pool, target);
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  if (options.migrate !== false) await migrate(db, dialect);
  return new Store(db, dialect, work);
}

/**
 * Kysely prepares every query afresh; better-sqlite3 statements are reusable, and preparing is
 * most of the cost of a small write. Cache them by SQL text (the set of distinct queries is small
 * and fixed, since values are always bound parameters).
 */
function withStatementCache(sqlite: BetterSqlite3.Database) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = sqlite.prepare(sql);
        if (cache.size < 2000) cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrate(db: Kysely<Database>, dialect: DialectName): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).map((r) => r.migrationName);
}

// int8 (20) and numeric counts arrive as strings from pg; our 64-bit values are timestamps and
// sequence numbers far below 2^53, so numbers are exact.
function typeParser(oid: number, format?: 'text' | 'binary') {
  if (oid === 20) return (value: string) => Number(value);
  return pg.types.getTypeParser(oid, format ?? 'text');
}
