import { join } from 'node:path';
import { pino } from 'pino';
import { Engine } from '../src/engine/engine.ts';
import { defineFlow } from '../src/engine/flow.ts';
import { openStore } from '../src/store/open-store.ts';
import { progress, ratePerSecond, scratchDir, type Measurement } from './harness.ts';

const RUNS = Number(process.env.BENCH_ENGINE_RUNS ?? 2000);
const STEPS = 10;

/**
 * Checkpointed steps per second through the engine with no-op steps: every step's result is
 * committed (fsync'd, with its lease fence) before the next step starts.
 */
export async function benchEngine(): Promise<Measurement[]> {
  const dir = scratchDir('engine');
  try {
    const store = await openStore({ url: `sqlite:${join(dir.path, 'engine.db')}` });
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
    progress(`seeding ${RUNS} runs of ${STEPS} no-op steps`);
    const events = Array.from({ length: RUNS }, (_, i) => ({
      specversion: '1.0',
      id: `noop-${i}`,
      source: 'bench',
      type: 'bench.noop',
      entitykey: `k${i}`,
    }));
    for (let i = 0; i < events.length; i += 500)
      await engine.inbox.appendMany(events.slice(i, i + 500));
    await engine.runUntilIdle({ maxRounds: 0 }).catch(() => {});
    progress('executing');
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
    return [
      {
        name: 'engine_checkpointed_steps_per_s',
        value: rate,
        unit: 'steps/s',
        method: `${RUNS} runs × ${STEPS} no-op steps on SQLite (synchronous=FULL), concurrency 128, routing included`,
        target: 5_000,
        extra: { runs_per_s: runRate, commits, steps_per_commit: (RUNS * STEPS) / commits },
      },
    ];
  } finally {
    dir.remove();
  }
}
