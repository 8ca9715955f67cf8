import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EffectTarget } from './support/effect-target.ts';
import { createTestDatabase, type TestDatabase } from './support/stores.ts';
import { runWorker, startWorker, type WorkerProcess } from './support/worker-process.ts';
import { openStore } from '../src/store/open-store.ts';

const RUNS = 1000;
const KEYS = 50;
const STEPS = 2;

describe('several workers [postgres]', () => {
  let target: EffectTarget;
  let db: TestDatabase;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    target = await new EffectTarget().start();
    target.latencyMs = 2;
    db = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await target.stop();
    await db.dispose();
  });

  it('3 workers, one killed midway: 1,000 runs over 50 keys all complete, in per-key order, each effect once', async () => {
    const env = {
      REVSYNC_STORE_URL: db.url,
      TARGET_URL: target.url,
      STEPS: String(STEPS),
      LEASE_MS: '2000',
      CONCURRENCY: '8',
    };
    await runWorker({ ...env, SEED: String(RUNS), KEYS: String(KEYS) });
    for (const name of ['a', 'b', 'c']) workers.push(startWorker({ ...env, WORKER_NAME: name }));
    await Promise.all(workers.map((w) => w.ready));

    while (target.applied.size < (RUNS * STEPS) / 3) await new Promise((r) => setTimeout(r, 20));
    workers[0]!.child.kill('SIGKILL');
    await workers[0]!.exited;
    const atKill = target.applied.size;

    const store = await openStore({ url: db.url, poolSize: 2 });
    try {
      const deadline = Date.now() + 180_000;
      for (;;) {
        const counts = await store.runs.countByStatus(store.db);
        if (counts.completed === RUNS) break;
        if (Date.now() > deadline) throw new Error(`not done: ${JSON.stringify(counts)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await store.runs.countByStatus(store.db)).toEqual({ completed: RUNS });
    } finally {
      await store.close();
    }
    for (const w of workers.slice(1)) w.child.kill('SIGTERM');
    await Promise.all(workers.slice(1).map((w) => w.exited));

    expect(target.applied.size).toBe(RUNS * STEPS);
    const byWorker = new Map<string, number>();
    for (const e of target.applied.values())
      byWorker.set(e.worker, (byWorker.get(e.worker) ?? 0) + 1);
    expect(byWorker.get('a')).toBeGreaterThan(0);
    expect((byWorker.get('b') ?? 0) + (byWorker.get('c') ?? 0)).toBeGreaterThan(
      RUNS * STEPS - atKill - 1,
    );
    expect(target.order.size).toBe(KEYS);
    for (const [key, seqs] of target.order) {
      expect(seqs, key).toEqual([...seqs].sort((a, b) => a - b));
      expect(seqs).toHaveLength((RUNS / KEYS) * STEPS);
    }
    console.log(
      `[multi-worker] effects by worker ${JSON.stringify(Object.fromEntries(byWorker))}, ` +
        `${target.replays} idempotent replays after the kill at ${atKill} effects`,
    );
  }, 300_000);
});
