import { pino } from 'pino';
import { stableId } from '../src/model/ids.ts';
import { createAccount, addLines, retry, type SimCustomer } from '../src/sim/actions.ts';
import { startEnvironment } from '../src/sim/environment.ts';
import { runReconciliation } from '../src/app/reconciliation.ts';
import { createRng } from '@revsync/emulators/kit';
import { percentile, progress, type Measurement } from './harness.ts';

const DEALS = Number(process.env.BENCH_E2E_DEALS ?? 100);
const DAY = 86_400_000;

/**
 * End to end through the emulators at zero latency and without faults: quote-to-cash flows per
 * second (closed-won opportunity → customer in NetSuite and Stripe → subscription → first invoice
 * in NetSuite → CRM updated), and the latency from a Stripe webhook's receipt to the NetSuite
 * posting it causes (renewal invoices through the test clock).
 */
export async function benchEndToEnd(): Promise<Measurement[]> {
  const env = await startEnvironment({
    seed: 1,
    faults: 'none',
    rateLimits: 'off',
    logger: pino({ level: 'silent' }),
    // No webhook is lost here, so Stripe's event list is polled at revsync's default pace for a
    // catch-up behind webhooks (the simulator polls it every 250 ms to catch injected losses),
    // and webhooks go out 16 at a time, as Stripe sends them concurrently (the simulator sends
    // them one at a time, for reproducible order).
    catchUpPollIntervalMs: 10_000,
    webhookConcurrency: 16,
    configure: (config) => ({
      ...config,
      connections: {
        ...config.connections,
        crm: { ...config.connections.crm!, limits: { maxConcurrent: 32 } },
        billing: { ...config.connections.billing!, limits: { maxConcurrent: 32 } },
        erp: { ...config.connections.erp!, limits: { maxConcurrent: 15 } },
      },
    }),
  });
  try {
    const rng = createRng(1).fork('bench');
    progress(`creating ${DEALS} open opportunities`);
    const sims: SimCustomer[] = [];
    for (let i = 0; i < DEALS; i++) {
      const sim = await createAccount(env.world, rng, i);
      sim.interval = 'month';
      sim.lines = [
        { code: 'PLAT', quantity: 1 + (i % 9) },
        { code: 'API', quantity: 1 },
      ];
      sim.opportunityId = await retry(() =>
        env.world.crm.createDeal({
          accountId: sim.accountId,
          name: `${sim.name} deal`,
          currency: sim.currency,
          kind: 'new',
        }),
      );
      await addLines(env.world, sim.opportunityId, sim);
      sims.push(sim);
    }
    await env.settle({ timeoutMs: 300_000 }); // account syncs
    const store = env.runtime.store;
    const callsBefore = env.gateway.connections().reduce((a, c) => a + c.health().calls, 0);
    // Outside calls by system and operation (one gateway call is one HTTP request).
    const byOperation = new Map<string, number>();
    const stopCounting = env.gateway.onCall((r) => {
      const key = `${r.system} ${r.operation}`;
      byOperation.set(key, (byOperation.get(key) ?? 0) + 1);
    });

    progress(`closing ${DEALS} deals and waiting for quote-to-cash`);
    const started = Date.now();
    for (const sim of sims) await retry(() => env.world.crm.win(sim.opportunityId!));
    for (;;) {
      const runs = (
        await store.runs.list(store.db, { flow: 'quote-to-cash', limit: 10_000 })
      ).filter((r) => r.status === 'completed');
      if (runs.length >= DEALS) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const elapsed = (Date.now() - started) / 1000;
    // Where the time goes: webhook/poll receipt after the first close, then waiting to start.
    const stages = await store.db
      .selectFrom('runs')
      .innerJoin('canonical_events', 'canonical_events.event_id', 'runs.trigger_event_id')
      .innerJoin('inbox_events', 'inbox_events.seq', 'canonical_events.inbox_seq')
      .select(['inbox_events.received_at', 'runs.created_at', 'runs.started_at'])
      .where('runs.flow', '=', 'quote-to-cash')
      .execute();
    const receivedAfterClose = stages.map((r) => r.received_at - started);
    const waitedToStart = stages.map((r) => (r.started_at ?? r.created_at) - r.created_at);
    const q2c = (await store.runs.list(store.db, { flow: 'quote-to-cash', limit: 10_000 })).map(
      (r) => (r.completedAt ?? 0) - r.createdAt,
    );
    await env.settle({ timeoutMs: 300_000 });
    const calls = env.gateway.connections().reduce((a, c) => a + c.health().calls, 0) - callsBefore;
    stopCounting();
    const callsByOperation = Object.fromEntries(
      [...byOperation.entries()]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .map(([k, n]) => [k, Number((n / DEALS).toFixed(2))]),
    );

    progress('renewing through the test clock; measuring webhook receipt → NetSuite posting');
    await env.world.billing.advanceClock(32 * DAY);
    await env.settle({ timeoutMs: 300_000 });
    const finalized = await store.db
      .selectFrom('canonical_events')
      .innerJoin('inbox_events', 'inbox_events.seq', 'canonical_events.inbox_seq')
      // The clock starts at the webhook's receipt (inbox commit), before the normalise stage.
      .select([
        'canonical_events.subject',
        (eb) => eb.fn.min('inbox_events.received_at').as('received'),
      ])
      .where('canonical_events.type', '=', 'billing.invoice.finalized')
      .groupBy('canonical_events.subject')
      .execute();
    const latencies: number[] = [];
    for (const row of finalized) {
      const canonical = stableId('inv', `${env.stack.billing}:invoice:${row.subject}`);
      const posted = await store.db
        .selectFrom('xrefs')
        .select('created_at')
        .where('canonical_id', '=', canonical)
        .where('system', '=', env.stack.erp)
        .executeTakeFirst();
      const received = Number(row.received);
      // First invoices are posted by quote-to-cash before their webhook arrives; count only
      // postings the webhook caused.
      if (posted && posted.created_at >= received) latencies.push(posted.created_at - received);
    }
    progress('reconciling the books through the connectors');
    const read = new Map<string, number>();
    const reconStarted = process.hrtime.bigint();
    const reports = await runReconciliation(
      {
        billing: env.runtime.connectors.billing.port,
        erp: env.runtime.connectors.erp.port,
        store,
      },
      { onProgress: (p) => read.set(`${p.role}:${p.kind}`, p.documents) },
    );
    const reconSeconds = Number(process.hrtime.bigint() - reconStarted) / 1e9;
    const documents = [...read.values()].reduce((a, b) => a + b, 0);
    return [
      {
        name: 'recon_emulator_docs_per_s',
        value: documents / reconSeconds,
        unit: 'documents/s',
        method: `revsync's reconciliation after the e2e run: every billing and ERP document read through the Stripe and NetSuite connectors (emulators at zero latency) and matched`,
        extra: {
          documents,
          seconds: Number(reconSeconds.toFixed(2)),
          discrepancies: reports.reduce((n, r) => n + r.discrepancies.length, 0),
        },
      },
      {
        name: 'e2e_quote_to_cash_flows_per_s',
        value: DEALS / elapsed,
        unit: 'flows/s',
        method: `${DEALS} closed-won deals (2 lines each) through Salesforce → Stripe → NetSuite emulators at zero latency, from the first close to the last completed run; SQLite store`,
        extra: {
          p50_run_ms: percentile(q2c, 50),
          p99_run_ms: percentile(q2c, 99),
          outbound_calls_per_deal: calls / DEALS,
          // The CRM poll's phase decides how soon the wins are seen: this figure is bimodal.
          received_p50_ms_after_first_close: percentile(receivedAfterClose, 50),
          run_wait_to_start_p50_ms: percentile(waitedToStart, 50),
        },
      },
      {
        name: 'outside_calls_per_deal',
        value: calls / DEALS,
        unit: 'calls/deal',
        targetMax: 13.9,
        method: `gateway calls (one per HTTP request to Salesforce, Stripe or NetSuite) from the first close until the system settles, divided by ${DEALS} deals; per deal by system and operation in extra`,
        extra: callsByOperation,
      },
      {
        name: 'webhook_to_erp_posting_p50_ms',
        value: percentile(latencies, 50),
        unit: 'ms',
        method: `Stripe invoice.finalized webhook received (inbox commit) → NetSuite invoice upserted (cross-reference written), ${latencies.length} renewal invoices`,
        extra: { p99_ms: percentile(latencies, 99), samples: latencies.length },
      },
    ];
  } finally {
    await env.close();
  }
}
