import { join } from 'node:path';
import { connect } from 'nats';
import { pino } from 'pino';
import { NatsUsageIngest } from '../src/ingest/nats-usage.ts';
import { openStore } from '../src/store/open-store.ts';
import { startTestNats } from '../test/support/nats-server.ts';
import { progress, ratePerSecond, scratchDir, type Measurement } from './harness.ts';

const EVENTS = Number(process.env.BENCH_USAGE_EVENTS ?? 100_000);
const BATCH = Number(process.env.BENCH_USAGE_BATCH ?? 1000);

/**
 * JetStream usage ingest: EVENTS usage records are published to a fresh stream first (a backlog),
 * then a {@link NatsUsageIngest} on a SQLite file store (WAL, synchronous=FULL) consumes them;
 * the clock runs from its start until every record is committed to the ledger and acknowledged.
 * NATS comes from REVSYNC_TEST_NATS_URL, else nats://127.0.0.1:4222, else a throwaway
 * `nats-server -js` (as the tests do).
 */
export async function benchUsageNats(): Promise<Measurement[]> {
  const nats = await startTestNats();
  const dir = scratchDir('usage-nats');
  const nc = await connect({ servers: nats.url });
  const stream = `usage_bench_${process.pid}_${Date.now().toString(36)}`;
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    progress(
      `publishing ${EVENTS.toLocaleString('en-US')} usage events to ${stream} (${nats.description})`,
    );
    const js = nc.jetstream();
    const enc = new TextEncoder();
    const base = Date.parse('2026-03-01T00:00:00Z');
    const publishStart = process.hrtime.bigint();
    for (let i = 0; i < EVENTS; i += 1000) {
      const acks = [];
      for (let j = i; j < Math.min(EVENTS, i + 1000); j++) {
        const body = {
          subscriptionItemId: `si_${j % 500}`,
          quantity: (j % 9) + 1,
          timestamp: new Date(base + j * 10).toISOString(),
          source: 'meter',
          dedupeKey: `evt-${j}`,
        };
        acks.push(js.publish(`${stream}.events`, enc.encode(JSON.stringify(body))));
      }
      await Promise.all(acks);
    }
    const publishRate = ratePerSecond(EVENTS, publishStart);

    const store = await openStore({ url: `sqlite:${join(dir.path, 'usage.db')}` });
    const ingest = new NatsUsageIngest({
      store,
      logger: pino({ level: 'warn' }),
      servers: nats.url,
      stream,
      batchSize: BATCH,
    });
    progress(`consuming into SQLite (batches of ${BATCH})`);
    const start = process.hrtime.bigint();
    await ingest.start();
    while (ingest.stats.accepted + ingest.stats.duplicates < EVENTS) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const rate = ratePerSecond(EVENTS, start);
    await ingest.stop();
    const stored = await store.db
      .selectFrom('usage_records')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const info = await jsm.consumers.info(stream, 'revsync-usage');
    await store.close();
    if (Number(stored.n) !== EVENTS || info.num_ack_pending !== 0 || info.num_pending !== 0) {
      throw new Error(
        `usage bench: ${stored.n} of ${EVENTS} stored, ${info.num_pending} pending, ${info.num_ack_pending} unacknowledged`,
      );
    }
    return [
      {
        name: 'usage_nats_events_per_s',
        value: rate,
        unit: 'events/s',
        method: `${EVENTS} usage records as a JetStream backlog, consumed by the durable pull consumer (batches of ${BATCH}, max_ack_pending ${2 * BATCH}), validated, stored de-duplicated in one SQLite transaction (WAL, synchronous=FULL) per batch, then acknowledged; timed until all are committed`,
        target: 20_000,
        extra: {
          batches: ingest.stats.batches,
          publish_events_per_s: publishRate,
          nats: nats.description,
        },
      },
    ];
  } finally {
    await jsm_delete(nc, stream);
    await nc.drain();
    await nats.stop();
    dir.remove();
  }
}

async function jsm_delete(nc: Awaited<ReturnType<typeof connect>>, stream: string): Promise<void> {
  try {
    await (await nc.jetstreamManager()).streams.delete(stream);
  } catch {
    // The stream was never created.
  }
}
