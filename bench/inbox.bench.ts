import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { openStore } from '../src/store/open-store.ts';
import { Inbox } from '../src/store/inbox.ts';
import { progress, ratePerSecond, scratchDir, type Measurement } from './harness.ts';

const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 3) * 1000;

/**
 * Durable inbox appends from concurrent appenders (group commit) beside the raw rate of
 * single-row, single-commit inserts into a bare SQLite table with the same pragmas on the same
 * disk — the ceiling of "one fsync per event".
 */
export async function benchInbox(): Promise<Measurement[]> {
  const dir = scratchDir('inbox');
  try {
    progress('raw SQLite single-commit inserts');
    const raw = rawSingleCommit(join(dir.path, 'raw.db'));
    progress('durable inbox appends, 64 concurrent appenders');
    const grouped = await inboxAppends(`sqlite:${join(dir.path, 'inbox.db')}`, 64);
    return [
      {
        name: 'sqlite_raw_single_commit_inserts_per_s',
        value: raw,
        unit: 'inserts/s',
        method: 'better-sqlite3, WAL, synchronous=FULL, one INSERT per transaction, one writer',
      },
      {
        name: 'inbox_durable_appends_per_s',
        value: grouped.rate,
        unit: 'appends/s',
        method:
          'Inbox.append (validate envelope, de-duplicate, commit with fsync) from 64 concurrent appenders; group commit, one multi-row insert per commit',
        target: 10_000,
        extra: {
          ratio_to_raw_single_commit: grouped.rate / raw,
          commits: grouped.commits,
          appends_per_commit: grouped.appends / grouped.commits,
        },
      },
    ];
  } finally {
    dir.remove();
  }
}

function rawSingleCommit(file: string): number {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(
    'create table t (seq integer primary key, source text, id text, body text, unique (source, id))',
  );
  const insert = db.prepare('insert into t (source, id, body) values (?, ?, ?)');
  const body = JSON.stringify(sampleEvent(0));
  let n = 0;
  const start = process.hrtime.bigint();
  const deadline = Date.now() + DURATION_MS;
  while (Date.now() < deadline) {
    insert.run('bench', `e${n}`, body);
    n++;
  }
  const rate = ratePerSecond(n, start);
  db.close();
  return rate;
}

async function inboxAppends(url: string, appenders: number) {
  const store = await openStore({ url });
  const inbox = new Inbox(store);
  let n = 0;
  const before = { ...store.commits.stats };
  const deadline = Date.now() + DURATION_MS;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: appenders }, async () => {
      while (Date.now() < deadline) {
        await inbox.append(sampleEvent(n++));
      }
    }),
  );
  const rate = ratePerSecond(n, start);
  const commits = store.commits.stats.commits - before.commits;
  await store.close();
  return { rate, commits, appends: n };
}

function sampleEvent(i: number) {
  return {
    specversion: '1.0',
    id: `evt_bench_${i}`,
    source: 'https://stripe.com/acct_bench',
    type: 'com.stripe.invoice.finalized',
    subject: `in_${i}`,
    entitykey: `cus_${i % 500}`,
    time: '2026-11-27T00:00:00Z',
    data: {
      id: `in_${i}`,
      object: 'invoice',
      total: 12_300,
      currency: 'usd',
      lines: [{ amount: 12_300 }],
    },
  };
}
