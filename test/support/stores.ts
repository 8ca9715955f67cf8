import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import type { DialectName } from '../../src/store/migrations/migration.ts';

/** Both storage back ends; contract suites loop over this list. */
export const DIALECTS: DialectName[] = ['sqlite', 'postgres'];

/** A fresh, migrated database of the given dialect, and how to throw it away. */
export interface TestDatabase {
  url: string;
  dispose(): Promise<void>;
}

let counter = 0;

/** Creates an empty database: a new SQLite file, or a new database on the test PostgreSQL server. */
export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'revsync-sqlite-'));
    return {
      url: `sqlite:${join(dir, 'revsync.db')}`,
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const admin = inject('pgUrl');
  const name = `revsync_t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dispose: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** Opens a migrated store on a fresh database; `close` also drops the database. */
export async function openTestStore(
  dialect: DialectName,
): Promise<Store & { dispose(): Promise<void> }> {
  const database = await createTestDatabase(dialect);
  const store = await openStore({ url: database.url });
  return Object.assign(store, {
    async dispose() {
      await store.close();
      await database.dispose();
    },
  });
}
