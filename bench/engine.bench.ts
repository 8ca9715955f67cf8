import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { Engine } from '../src/engine/engine.ts';
import { defineFlow } from '../src/engine/flow.ts';
import { openStore } from '../src/store/open-store.ts';
import { progress, ratePerSecond, scratchDir, type Measurement } from './harness.ts';

const RUNS = Number(process.env.BENCH_ENGINE_RUNS ?? 2000);
const STEPS = 10;
const PG_URL = process.env.REVSYNC_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Checkpointed steps per second through the engine with no-op steps: every step's result is
 * committed (with its lease fence) before the next step starts. On SQLite (synchronous=FULL),
 * and on PostgreSQL when one answers at REVSYNC_BENCH_PG_URL (default the local server).
 */
export async function benchEngine(): Promise<Measurement[]> {
  const dir = scratchDir('engine');
  try {
    const out = [await measure(`sqlite:${join(dir.path, 'engine.db')}`, 'sqlite')];
    const database = await createPgDatabase();
    if (database) {
      try {
        out.push(await measure(database.url, 'postgres'));
      } finally {
        await database.drop();
      }
    } else {
      progress(`no PostgreSQL at ${PG_URL}: the PostgreSQL engine figure is left out`);
    }
    return out;
  } finally {
    dir.remove();
  }
}

async function measure(url: string, dialect: 'sqlite' | 'postgres'): Promise<Measurement> {
  const store = await openStore({ url, poolSize: 8 });
  const flow = defineFlow({
    name: 'noop',
    triggers: ['bench.noop'],
    async run(ctx) {
      for (let i = 0; i < STEPS; i++) await ctx.step(`s${i}`, () => i);
    },
  });
  const engine = new Engine({
    store,
    flows: [flow],
    logger: pino({ level: 'silent' }),
    concurrency: 128,
  });
  progress(`${dialect}: seeding ${RUNS} runs of ${STEPS} no-op steps`);
  const events = Array.from({ length: RUNS }, (_, i) => ({
    specversion: '1.0',
    id: `noop-${i}`,
    source: 'bench',
    type: 'bench.noop',
    entitykey: `k${i}`,
  }));
  for (let i = 0; i < events.length; i += 500)
    await engine.inbox.appendMany(events.slice(i, i + 500));
  progress(`${dialect}: executing`);
  const commitsBefore = store.commits.stats.commits;
  const start = process.hrtime.bigint();
  await engine.runUntilIdle();
  const rate = ratePerSecond(RUNS * STEPS, start);
  const runRate = ratePerSecond(RUNS, start);
  const counts = await store.runs.countByStatus(store.db);
  if (counts.completed !== RUNS)
    throw new Error(`engine bench: not all runs completed: ${JSON.stringify(counts)}`);
  const commits = store.commits.stats.commits - commitsBefore;
  await store.close();
  return {
    name:
      dialect === 'sqlite'
        ? 'engine_checkpointed_steps_per_s'
        : 'engine_checkpointed_steps_per_s_postgres',
    value: rate,
    unit: 'steps/s',
    method: `${RUNS} runs × ${STEPS} no-op steps on ${dialect === 'sqlite' ? 'SQLite (synchronous=FULL)' : 'PostgreSQL (local server, one engine process)'}, concurrency 128, routing included`,
    ...(dialect === 'sqlite' && { target: 5_000 }),
    extra: { runs_per_s: runRate, commits, steps_per_commit: (RUNS * STEPS) / commits },
  };
}

async function createPgDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  try {
    await admin.connect();
  } catch {
    return undefined;
  }
  const name = `revsync_bench_${process.pid}`;
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
