import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AckPolicy, connect, nanos, type NatsConnection } from 'nats';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, createTestDatabase, openTestStore } from '../../test/support/stores.ts';
import { startApiHarness } from '../../test/support/api-harness.ts';
import { startTestNats, type TestNats } from '../../test/support/nats-server.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { NatsUsageIngest, storeUsageBatch } from './nats-usage.ts';

const WORKER = fileURLToPath(new URL('../../test/fixtures/nats-usage-worker.ts', import.meta.url));
const PERIOD_START = Date.parse('2026-03-01T00:00:00Z');
const PERIOD_END = Date.parse('2026-04-01T00:00:00Z');
const logger = pino({ level: 'silent' });

let nats: TestNats;
let nc: NatsConnection;
let streams = 0;
const created: string[] = [];

beforeAll(async () => {
  nats = await startTestNats();
  console.log(`[revsync tests] NATS: ${nats.description}`);
  nc = await connect({ servers: nats.url });
});

afterAll(async () => {
  // A shared server keeps no test streams behind.
  const jsm = await nc?.jetstreamManager();
  for (const name of created) await jsm?.streams.delete(name).catch(() => false);
  await nc?.drain();
  await nats?.stop();
});

/** A stream name no other test (or earlier run on a shared server) uses. */
function uniqueStream(): string {
  const name = `usage_t_${process.pid}_${Date.now().toString(36)}_${streams++}`;
  created.push(name);
  return name;
}

function record(i: number, items = 10) {
  return {
    subscriptionItemId: `si_${i % items}`,
    quantity: (i % 7) + 1,
    timestamp: new Date(PERIOD_START + i * 1000).toISOString(),
    source: 'meter',
    dedupeKey: `evt-${i}`,
  };
}

/** Publishes records 0..n-1 (and whatever else is given) to `<stream>.events`, confirmed by JetStream. */
async function publish(stream: string, bodies: (string | object)[]): Promise<void> {
  const js = nc.jetstream();
  const enc = new TextEncoder();
  for (let i = 0; i < bodies.length; i += 500) {
    await Promise.all(
      bodies
        .slice(i, i + 500)
        .map((b) =>
          js.publish(`${stream}.events`, enc.encode(typeof b === 'string' ? b : JSON.stringify(b))),
        ),
    );
  }
}

async function createStream(stream: string): Promise<void> {
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
}

/** Count and sum over every item for the period, straight from the ledger. */
async function ledger(store: Store): Promise<{ count: number; sum: number }> {
  let count = 0;
  let sum = 0;
  for (let item = 0; item < 10; item++) {
    for (const t of await store.usage.tally(store.db, `si_${item}`, PERIOD_START, PERIOD_END)) {
      count += t.count;
      sum += t.sum;
    }
  }
  return { count, sum };
}

function expected(n: number): { count: number; sum: number } {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += record(i).quantity;
  return { count: n, sum };
}

async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function pendingOf(stream: string, consumer: string) {
  const info = await (await nc.jetstreamManager()).consumers.info(stream, consumer);
  return {
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
    delivered: info.delivered.consumer_seq,
  };
}

for (const dialect of DIALECTS) {
  describe(`NATS JetStream usage ingest (${dialect})`, () => {
    it('aggregates published events exactly once, re-sent ones included, and acks them all', async () => {
      const store = await openTestStore(dialect);
      const stream = uniqueStream();
      const ingest = new NatsUsageIngest({
        store,
        logger,
        servers: nats.url,
        stream,
        batchSize: 250,
      });
      try {
        // The ingest creates the missing stream.
        await ingest.start();
        const bodies = Array.from({ length: 3000 }, (_, i) => record(i));
        // The producer re-sends 500 of them (its own retry): same dedupe keys, new messages.
        await publish(stream, [...bodies, ...bodies.slice(1000, 1500)]);
        await until('the stream is consumed', async () => {
          const p = await pendingOf(stream, 'revsync-usage');
          return p.pending === 0 && p.ackPending === 0;
        });
        expect(await ledger(store)).toEqual(expected(3000));
        expect(ingest.stats).toMatchObject({ accepted: 3000, duplicates: 500, deadLettered: 0 });
        // Bounded: no fetch held more than a batch.
        expect(ingest.stats.batches).toBeGreaterThanOrEqual(3500 / 250);
      } finally {
        await ingest.stop();
        await store.dispose();
      }
    });

    it('dead-letters a malformed message (exception + term) without blocking the rest', async () => {
      const store = await openTestStore(dialect);
      const stream = uniqueStream();
      await createStream(stream);
      const good = Array.from({ length: 400 }, (_, i) => record(i));
      await publish(stream, [
        ...good.slice(0, 200),
        '{not json',
        { ...record(9999), quantity: -3 },
        ...good.slice(200),
      ]);
      const ingest = new NatsUsageIngest({
        store,
        logger,
        servers: nats.url,
        stream,
        batchSize: 100,
      });
      try {
        await ingest.start();
        await until('the stream is consumed', async () => {
          const p = await pendingOf(stream, 'revsync-usage');
          return p.pending === 0 && p.ackPending === 0;
        });
        expect(await ledger(store)).toEqual(expected(400));
        const exceptions = await store.exceptions.list(store.db, { status: 'open' });
        expect(exceptions.map((e) => [e.id, e.kind, e.errorCode]).sort()).toEqual([
          [`nats:${stream}:201`, 'message', 'invalid_event'],
          [`nats:${stream}:202`, 'message', 'invalid_event'],
        ]);
        const negative = exceptions.find((e) => e.id.endsWith(':202'))!;
        expect(negative.message).toMatch(/quantity/);
        expect(negative.lastInput).toMatchObject({
          stream,
          streamSequence: 202,
          subject: `${stream}.events`,
        });
        expect(ingest.stats.deadLettered).toBe(2);
      } finally {
        await ingest.stop();
        await store.dispose();
      }
    });

    it('a batch stored but never acknowledged (crash before the acks) counts once after redelivery', async () => {
      const store = await openTestStore(dialect);
      const stream = uniqueStream();
      await createStream(stream);
      const jsm = await nc.jetstreamManager();
      await jsm.consumers.add(stream, {
        durable_name: 'revsync-usage',
        ack_policy: AckPolicy.Explicit,
        filter_subject: `${stream}.>`,
        ack_wait: nanos(1_000),
      });
      await publish(
        stream,
        Array.from({ length: 600 }, (_, i) => record(i)),
      );
      // A first ingest fetched 300, committed them, and died before acknowledging.
      const own = await connect({ servers: nats.url });
      const consumer = await own.jetstream().consumers.get(stream, 'revsync-usage');
      const fetched = [];
      for await (const m of await consumer.fetch({ max_messages: 300, expires: 2_000 }))
        fetched.push(m);
      expect(fetched).toHaveLength(300);
      await storeUsageBatch(store, stream, fetched, Date.now());
      await own.close();
      expect(await ledger(store)).toEqual(expected(300));

      const ingest = new NatsUsageIngest({
        store,
        logger,
        servers: nats.url,
        stream,
        batchSize: 100,
        ackWaitMs: 1_000,
      });
      try {
        await ingest.start();
        await until('the stream is consumed', async () => {
          const p = await pendingOf(stream, 'revsync-usage');
          return p.pending === 0 && p.ackPending === 0;
        });
        expect(await ledger(store)).toEqual(expected(600));
        expect(ingest.stats).toMatchObject({ accepted: 300, duplicates: 300 });
        // The 300 stored ones really came again (900 deliveries for 600 messages).
        expect((await pendingOf(stream, 'revsync-usage')).delivered).toBe(900);
      } finally {
        await ingest.stop();
        await store.dispose();
      }
    });
  });
}

describe('NATS JetStream usage ingest: an existing durable consumer', () => {
  it("is reused, with max_ack_pending and ack_wait set to the ingest's", async () => {
    const store = await openTestStore('sqlite');
    const stream = uniqueStream();
    await createStream(stream);
    const jsm = await nc.jetstreamManager();
    await jsm.consumers.add(stream, {
      durable_name: 'revsync-usage',
      ack_policy: AckPolicy.Explicit,
      filter_subject: `${stream}.>`,
      ack_wait: nanos(60_000),
      max_ack_pending: 10,
    });
    const ingest = new NatsUsageIngest({
      store,
      logger,
      servers: nats.url,
      stream,
      batchSize: 40,
      ackWaitMs: 5_000,
    });
    try {
      await ingest.start();
      const info = await jsm.consumers.info(stream, 'revsync-usage');
      expect(info.config).toMatchObject({ max_ack_pending: 80, ack_wait: nanos(5_000) });
      await publish(
        stream,
        Array.from({ length: 100 }, (_, i) => record(i)),
      );
      await until('the stream is consumed', async () => {
        const p = await pendingOf(stream, 'revsync-usage');
        return p.pending === 0 && p.ackPending === 0;
      });
      expect(await ledger(store)).toEqual(expected(100));
    } finally {
      await ingest.stop();
      await store.dispose();
    }
  });
});

describe('NATS JetStream usage ingest: a consumer process killed mid-stream', () => {
  it('loses none and doubles none after SIGKILL and a restart', async () => {
    const database = await createTestDatabase('sqlite');
    const stream = uniqueStream();
    await createStream(stream);
    const total = 20_000;
    await publish(
      stream,
      Array.from({ length: total }, (_, i) => record(i)),
    );
    const env = {
      ...process.env,
      REVSYNC_STORE_URL: database.url,
      NATS_URL: nats.url,
      STREAM: stream,
      CONSUMER: 'revsync-usage',
      BATCH: '200',
      ACK_WAIT_MS: '1000',
    };
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const reader = await openStore({ url: database.url });
    try {
      await until(
        'the first process has stored some',
        async () => {
          if (child.exitCode !== null) throw new Error(`worker exited: ${err}`);
          return (await ledger(reader)).count >= 2_000;
        },
        60_000,
      );
      child.kill('SIGKILL');
      await exited;
      const atKill = await ledger(reader);
      expect(atKill.count).toBeLessThan(total);
      // Killed with messages delivered but not acknowledged (a batch being written or fetched).
      expect((await pendingOf(stream, 'revsync-usage')).ackPending).toBeGreaterThan(0);
      const ingest = new NatsUsageIngest({
        store: reader,
        logger,
        servers: nats.url,
        stream,
        batchSize: 500,
        ackWaitMs: 1_000,
      });
      await ingest.start();
      try {
        await until(
          'the stream is consumed',
          async () => {
            const p = await pendingOf(stream, 'revsync-usage');
            return p.pending === 0 && p.ackPending === 0;
          },
          60_000,
        );
      } finally {
        await ingest.stop();
      }
      expect(await ledger(reader)).toEqual(expected(total));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await reader.close();
      await database.dispose();
    }
  }, 150_000);
});

describe('a dead-lettered usage message in the exception API [sqlite]', () => {
  it('is listed and shown as kind message; retry is refused, skip with a reason closes it', async () => {
    const api = await startApiHarness('sqlite');
    try {
      const stored = await storeUsageBatch(
        api.store,
        'usage',
        [
          { data: new TextEncoder().encode(JSON.stringify(record(1))), subject: 'usage.a', seq: 7 },
          { data: new TextEncoder().encode('{"quantity":1}'), subject: 'usage.a', seq: 8 },
        ],
        Date.now(),
      );
      expect(stored).toEqual({ accepted: 1, duplicates: 0, deadLettered: [1] });
      // The same batch again (a redelivery): no second record, no second exception.
      expect(
        await storeUsageBatch(
          api.store,
          'usage',
          [{ data: new TextEncoder().encode('{"quantity":1}'), subject: 'usage.a', seq: 8 }],
          Date.now(),
        ),
      ).toEqual({ accepted: 0, duplicates: 0, deadLettered: [0] });
      const list = await api.call('viewer', 'GET', '/v1/exceptions');
      expect(list.statusCode).toBe(200);
      const exceptions = list.json().exceptions as { id: string; kind: string }[];
      expect(exceptions.map((e) => [e.id, e.kind])).toEqual([['nats:usage:8', 'message']]);
      const shown = await api.call('viewer', 'GET', '/v1/exceptions/nats:usage:8');
      expect(shown.statusCode).toBe(200);
      expect(shown.json().exception).toMatchObject({
        kind: 'message',
        errorCode: 'invalid_event',
        lastInput: {
          stream: 'usage',
          subject: 'usage.a',
          streamSequence: 8,
          data: '{"quantity":1}',
        },
      });
      const retry = await api.call('operator', 'POST', '/v1/exceptions/nats:usage:8/retry');
      expect(retry.statusCode).toBe(400);
      const skip = await api.call('operator', 'POST', '/v1/exceptions/nats:usage:8/skip', {
        reason: 'producer re-sent it corrected',
      });
      expect(skip.statusCode).toBe(200);
      expect(skip.json().exception.status).toBe('skipped');
    } finally {
      await api.close();
    }
  });
});
