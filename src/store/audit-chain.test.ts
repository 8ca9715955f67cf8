import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS } from '../../test/support/stores.ts';
import { auditEntryHash, auditHashInput, GENESIS_HASH } from './audit-chain.ts';
import type { AuditRecord } from './audit-repository.ts';
import { canonicalJson } from './canonical-json.ts';
import { migrationProvider } from './migrations/index.ts';
import { openStore } from './open-store.ts';
import type { Database } from './schema.ts';

/** Walks the chain the simple way: positions 1…n, each linking to the one before. */
function expectIntactChain(entries: AuditRecord[]): void {
  let prev = GENESIS_HASH;
  entries.forEach((e, i) => {
    expect(e.seq).toBe(i + 1);
    expect(e.prevHash).toBe(prev);
    expect(auditEntryHash(e, e.prevHash)).toBe(e.hash);
    prev = e.hash;
  });
}

describe('canonical JSON', () => {
  it('sorts keys, drops whitespace, writes integers as integers', () => {
    expect(canonicalJson({ b: [1, 2.5, -0, 1e21], a: { d: null, c: 'x"\n', u: undefined } })).toBe(
      '{"a":{"c":"x\\"\\n","d":null},"b":[1,2.5,0,1000000000000000000000]}',
    );
    expect(canonicalJson({ é: 1, z: 2, A: 3 })).toBe('{"A":3,"z":2,"é":1}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/NaN/);
  });

  it('hashes the documented layout', () => {
    const entry = {
      seq: 1,
      at: 1700000000000,
      actor: 'ann',
      action: 'run.replay',
      targetType: 'run',
      targetId: 'run_1',
      details: { replay: 'run_2' },
    };
    expect(auditHashInput(entry, GENESIS_HASH)).toBe(
      `{"action":"run.replay","actor":"ann","at":1700000000000,"details":{"replay":"run_2"},"prevHash":"${GENESIS_HASH}","seq":1,"targetId":"run_1","targetType":"run","v":1}`,
    );
  });
});

for (const dialect of DIALECTS) {
  describe(`audit hash chain [${dialect}]`, () => {
    it('chains appends made in and outside transactions', async () => {
      const database = await createTestDatabase(dialect);
      const store = await openStore({ url: database.url });
      try {
        await store.audit.record(store.db, entry('a', 1));
        await store.transaction(async (trx) => {
          await store.audit.record(trx, entry('b', 2));
          await store.audit.record(trx, entry('c', 3));
        });
        await store
          .transaction(async (trx) => {
            await store.audit.record(trx, entry('rolled back', 4));
            throw new Error('abort');
          })
          .catch(() => {});
        await store.audit.record(store.db, { ...entry('d', 5), details: { u: undefined, n: 1 } });
        const chain = await store.audit.chain(store.db);
        expect(chain.map((e) => e.actor)).toEqual(['a', 'b', 'c', 'd']);
        expectIntactChain(chain);
        expect(await store.audit.head(store.db)).toEqual({ seq: 4, hash: chain[3]!.hash });
      } finally {
        await store.close();
        await database.dispose();
      }
    });

    it('chains the entries stored before migration 0007, in id order', async () => {
      const database = await createTestDatabase(dialect);
      const db = rawKysely(dialect, database.url);
      try {
        const migrator = new Migrator({ db, provider: migrationProvider(dialect) });
        const before = await migrator.migrateTo('0006_canonical_events');
        expect(before.error).toBeUndefined();
        for (const actor of ['old1', 'old2', 'old3']) {
          await db
            .insertInto('audit_log')
            .values({ ...row(actor), details: JSON.stringify({ actor }) } as never)
            .execute();
        }
      } finally {
        await db.destroy();
      }
      const store = await openStore({ url: database.url });
      try {
        await store.audit.record(store.db, entry('new', 9));
        const chain = await store.audit.chain(store.db);
        expect(chain.map((e) => e.actor)).toEqual(['old1', 'old2', 'old3', 'new']);
        expectIntactChain(chain);
      } finally {
        await store.close();
        await database.dispose();
      }
    });

    it('stays one chain under concurrent appenders (separate pools, like worker processes)', async () => {
      const database = await createTestDatabase(dialect);
      const first = await openStore({ url: database.url });
      // SQLite is one process with one writer; PostgreSQL is shared by several workers.
      const others =
        dialect === 'postgres'
          ? await Promise.all([1, 2, 3].map(() => openStore({ url: database.url, poolSize: 4 })))
          : [];
      const stores = [first, ...others];
      try {
        await Promise.all(
          stores.flatMap((store, w) =>
            Array.from({ length: 25 }, (_, i) =>
              i % 2 === 0
                ? store.audit.record(store.db, entry(`w${w}`, i))
                : store.transaction(async (trx) => {
                    // Some other work in the same transaction, then the audit entry.
                    await trx.selectFrom('audit_log').select('id').limit(1).execute();
                    await store.audit.record(trx, entry(`w${w}`, i));
                  }),
            ),
          ),
        );
        const chain = await first.audit.chain(first.db);
        expect(chain).toHaveLength(stores.length * 25);
        expectIntactChain(chain);
      } finally {
        for (const store of stores) await store.close();
        await database.dispose();
      }
    });
  });
}

function entry(actor: string, n: number) {
  return {
    at: 1_700_000_000_000 + n,
    actor,
    action: 'test.action',
    targetType: 'thing',
    targetId: `t${n}`,
    details: { n },
  };
}

function row(actor: string) {
  return { at: 1_700_000_000_000, actor, action: 'old', target_type: 'thing', target_id: 'x' };
}

function rawKysely(dialect: string, url: string): Kysely<Database> {
  if (dialect === 'sqlite') {
    return new Kysely<Database>({
      dialect: new SqliteDialect({ database: new BetterSqlite3(url.slice('sqlite:'.length)) }),
    });
  }
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }),
  });
}
