import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from './support/seeded.ts';
import { EffectTarget } from './support/effect-target.ts';
import { createTestDatabase, type TestDatabase } from './support/stores.ts';
import { runWorker, startWorker } from './support/worker-process.ts';
import { openStore } from '../src/store/open-store.ts';

const RUNS = 1000;
const KEYS = 30;
const STEPS = 3;
const KILLS = 25;

describe('crash recovery [sqlite]', () => {
  let target: EffectTarget;
  let db: TestDatabase;

  beforeAll(async () => {
    target = await new EffectTarget().start();
    target.latencyMs = 5;
    db = await createTestDatabase('sqlite');
  });
  afterAll(async () => {
    await target.stop();
    await db.dispose();
  });

  it(`survives ${KILLS} SIGKILLs at random points: every run completes and every effect is applied exactly once`, async () => {
    const env = { REVSYNC_STORE_URL: db.url, TARGET_URL: target.url, STEPS: String(STEPS) };
    await runWorker({ ...env, SEED: String(RUNS), KEYS: String(KEYS) });

    const rng = createRng(20261127);
    let killsMidWork = 0;
    let kills = 0;
    for (
      let i = 0;
      killsMidWork < KILLS && target.applied.size < RUNS * STEPS && i < 4 * KILLS;
      i++
    ) {
      const before = target.applied.size;
      const w = startWorker({ ...env, WORKER_NAME: `w${i}` });
      await w.ready;
      await new Promise((r) => setTimeout(r, 20 + Math.floor(rng() * 180)));
      w.child.kill('SIGKILL');
      await w.exited;
      kills += 1;
      if (target.applied.size < RUNS * STEPS && target.applied.size > before) killsMidWork += 1;
    }
    await runWorker({ ...env, EXIT_WHEN_DONE: '1', WORKER_NAME: 'final' });

    const store = await openStore({ url: db.url });
    try {
      expect(await store.runs.countByStatus(store.db)).toEqual({ completed: RUNS });
      const runs = await store.runs.list(store.db, { limit: RUNS * 2 });
      const expected = new Set(
        runs.flatMap((r) => Array.from({ length: STEPS }, (_, s) => `${r.id}-effect-${s}`)),
      );
      expect(new Set(target.applied.keys())).toEqual(expected);
    } finally {
      await store.close();
    }
    // Each (run, step) effect appears once; repeats arrived with the same key and were replays.
    expect(target.applied.size).toBe(RUNS * STEPS);
    for (const [, seqs] of target.order) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(killsMidWork).toBeGreaterThanOrEqual(20);
    console.log(
      `[crash test] ${kills} kills (${killsMidWork} with work in flight), ${target.applied.size} effects applied once, ` +
        `${target.replays} idempotent replays, ${target.requests} requests`,
    );
  }, 300_000);
});
