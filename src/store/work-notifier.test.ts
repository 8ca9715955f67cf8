import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/stores.ts';
import { openStore } from './open-store.ts';
import type { Store } from './store.ts';

const until = async (check: () => boolean, ms = 5_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('work notifications across processes [postgres]', () => {
  let db: TestDatabase;
  let a: Store;
  let b: Store;
  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    a = await openStore({ url: db.url, poolSize: 2 });
    b = await openStore({ url: db.url, poolSize: 2, migrate: false });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await db.dispose();
  });

  it("wakes the other store's listener through LISTEN/NOTIFY, not its own", async () => {
    let heardByA = 0;
    let heardByB = 0;
    const stopA = await a.work.listen(() => (heardByA += 1));
    const stopB = await b.work.listen(() => (heardByB += 1));
    // Connecting wakes each listener once (work announced while it was away).
    const [a0, b0] = [heardByA, heardByB];
    a.work.announce();
    await until(() => heardByB > b0);
    expect(heardByA).toBe(a0);
    b.work.announce();
    await until(() => heardByA > a0);
    // Announcements made while one is in flight coalesce into one more.
    for (let i = 0; i < 50; i++) a.work.announce();
    await until(() => a.work.stats.sent >= 3);
    await new Promise((r) => setTimeout(r, 100));
    expect(a.work.stats.sent).toBeLessThan(10);
    stopA();
    stopB();
  });
});
