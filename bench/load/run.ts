/**
 * `npm run bench:load`: an open-loop load test with the emulators, the engine and the load
 * generator in separate processes.
 *
 * 1. `revsync emulate stripe`, `… salesforce` and `… netsuite` (one process per vendor, request-rate
 *    limits off, Stripe webhooks sent 16 at a time as Stripe sends them concurrently:
 *    `--webhook-concurrency`; `--profile` profiles each);
 * 2. `revsync start --config <generated>` on a SQLite file (one process; `--profile` runs it
 *    under `node --cpu-prof`);
 * 3. a bare Fastify no-op server (one process), the ceiling for accepted/s;
 * 4. this process: sets customers up through quote-to-cash (CRM → billing → ERP), then drives
 *    load at fixed arrival rates: each arrival creates and finalizes a one-off invoice in the
 *    Stripe emulator, whose signed `invoice.finalized` webhook revsync turns into a NetSuite
 *    invoice posting (CRM changes are not part of the arrivals yet). The latency
 *    is from the finalize (the event's creation, just before the emulator signs and sends the
 *    webhook) to the NetSuite emulator's receipt of the posting (`/_emulator/receipts`).
 *
 * The rate is stepped up until postings fall behind (the maximum sustainable rate), then held
 * at 25 %, 50 % and 100 % of it for `--duration` seconds each. Accepted/s is measured
 * closed-loop (64 connections) with signed Stripe webhooks against revsync and against the
 * no-op server in the same run. Results are merged into bench/results/latest.json.
 *
 * `--workers 1,2,4` measures scale-out on PostgreSQL instead: for each count the engine is
 * restarted as `revsync start --workers N` on one PostgreSQL database (`REVSYNC_TEST_PG_URL`,
 * else a throwaway server), `--rate` arrivals/s are sent for `--duration` s, and worker 1 is
 * killed (SIGKILL) halfway; the pool starts it again. Every finalized invoice must reach the
 * NetSuite emulator exactly once: the check is by external id (lost = finalized without a
 * receipt, duplicate = an external id written more than once).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { join } from 'node:path';
import { cpus, totalmem } from 'node:os';
import Stripe from 'stripe';
import { createRng } from '@revsync/emulators/kit';
import { addLines, createAccount, retry, setUpCatalog, type World } from '../../src/sim/actions.ts';
import { simRegions } from '../../src/sim/catalog.ts';
import { loadDriver } from '../../src/sim/drivers/load-driver.ts';
import { freePort } from '../../src/sim/free-port.ts';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { startTestPostgres, type TestPostgres } from '../../test/support/postgres-server.ts';
import { percentile, progress, scratchDir, type Measurement } from '../harness.ts';
import { formatStages, stageBreakdown, type DeliveryView, type StageBreakdown } from './stages.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
if (args.includes('--help')) {
  process.stdout.write(
    'npm run bench:load -- [--duration S] [--step S] [--customers N] [--profile] [--rate R] [--workers 1,2,4 [--rate R]] [--webhook-concurrency N]\n' +
      '  --duration  seconds at each of 25/50/100 % of the maximum sustainable rate (default 15)\n' +
      '  --step      seconds per step while searching for that rate (default 6)\n' +
      '  --customers customers set up through quote-to-cash before the load (default 20)\n' +
      '  --profile   run the engine and each emulator under node --cpu-prof (bench/results/profiles)\n' +
      '  --workers   scale-out on PostgreSQL instead: revsync start --workers N for each N, worker 1\n' +
      '              killed halfway, lost and duplicate ERP postings checked by external id\n' +
      '  --rate      without --workers: one fixed-rate phase of --duration s at R/s instead of the\n' +
      '              rate search, with the latency broken into stages, then accepted/s\n' +
      '  --rate      with --workers: arrivals/s of each phase (default 60)\n' +
      '  --webhook-concurrency  Stripe emulator webhook deliveries in flight at once (default 16;\n' +
      '              Stripe sends concurrently; 1 = one at a time, in order)\n',
  );
  process.exit(0);
}
const DURATION = Number(flag('duration') ?? 15);
const STEP = Number(flag('step') ?? 6);
const CUSTOMERS = Number(flag('customers') ?? 20);
const PROFILE = args.includes('--profile');
const WORKERS = flag('workers')
  ?.split(',')
  .map((w) => {
    const n = Number(w);
    if (!Number.isInteger(n) || n < 1 || n > 16) throw new Error(`--workers: ${w} is not 1–16`);
    return n;
  });
const RATE = Number(flag('rate') ?? 60);
const WEBHOOK_CONCURRENCY = Number(flag('webhook-concurrency') ?? 16);
/** `--rate` without `--workers`: a fixed-rate phase only (no rate search). */
const FIXED_RATE = !flag('workers') && flag('rate') !== undefined ? RATE : undefined;
const ROOT = new URL('../../', import.meta.url).pathname;
const NODE = ['--conditions=revsync-source', '--import', 'tsx'];

const children: ChildProcess[] = [];
function child(label: string, argv: string[], env: Record<string, string> = {}): ChildProcess {
  const p = spawn(process.execPath, argv, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  p.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    if (/error/i.test(text)) process.stderr.write(`[${label}] ${text.slice(0, 500)}`);
  });
  p.stdout!.on('data', (d: Buffer) => output.set(p, (output.get(p) ?? '') + d.toString()));
  children.push(p);
  return p;
}
const output = new Map<ChildProcess, string>();
function lineMatching(p: ChildProcess, re: RegExp, ms = 120_000): Promise<RegExpMatchArray[]> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const buf = output.get(p) ?? '';
      if (!new RegExp(re.source, 'm').test(buf)) return false;
      resolve([...buf.matchAll(new RegExp(re.source, 'gm'))]);
      return true;
    };
    if (check()) return;
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}`)), ms);
    p.once('exit', (code) => reject(new Error(`process exited (${code}) before ${re}`)));
    p.stdout!.on('data', () => {
      if (check()) clearTimeout(timer);
    });
  });
}
async function stopAll(): Promise<void> {
  await Promise.all(
    children.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null) return resolve();
          p.once('exit', () => resolve());
          p.kill('SIGTERM');
          setTimeout(() => p.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });
function post(url: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** Closed loop: `connections` senders for `seconds`; 2xx answers per second. */
async function acceptRate(
  url: string,
  body: () => [string, Record<string, string>],
  seconds: number,
) {
  let ok = 0;
  let failed = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (Date.now() < until) {
        const [b, h] = body();
        const status = await post(url, b, h);
        if (status >= 200 && status < 300) ok += 1;
        else failed += 1;
      }
    }),
  );
  return { perSecond: ok / seconds, failed };
}

interface Receipt {
  externalId?: string;
  receivedAtMs: number;
  writes: number;
}
async function receipts(erpUrl: string, since: number): Promise<Receipt[]> {
  const res = await fetch(`${erpUrl}/_emulator/receipts/invoice?since=${since}`);
  return ((await res.json()) as { items: Receipt[] }).items;
}

const scratch = scratchDir('load');
let postgres: TestPostgres | undefined;
try {
  // 1. Emulators, one process per vendor (as the vendors are separate systems: a slow SuiteQL
  // scan in the NetSuite emulator must not hold up Stripe's webhooks).
  const emulator = async (
    vendor: 'stripe' | 'salesforce' | 'netsuite',
    flags: string[] = [],
  ): Promise<string> => {
    const p = child(`${vendor} emulator`, [
      ...(PROFILE
        ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, 'bench/results/profiles', vendor)}`]
        : []),
      ...NODE,
      'bin/revsync.js',
      'emulate',
      vendor,
      `--${vendor}-port`,
      '0',
      ...flags,
    ]);
    await lineMatching(p, /emulators running/);
    const [match] = await lineMatching(p, new RegExp(`^${vendor}\\s+(http\\S+)`));
    return match![1]!;
  };
  const [stripeUrl, salesforceUrl, netsuiteUrl] = await Promise.all([
    emulator('stripe', [
      '--stripe-rate-limit',
      '0',
      '--stripe-webhook-concurrency',
      String(WEBHOOK_CONCURRENCY),
    ]),
    emulator('salesforce'),
    emulator('netsuite'),
  ]);
  const urls = { stripe: stripeUrl, salesforce: salesforceUrl, netsuite: netsuiteUrl };
  const port = await freePort();
  const revsyncUrl = `http://127.0.0.1:${port}`;
  const attach = { seed: 1, faults: 'none' as const, rateLimits: 'off' as const };
  const crm = await (
    await loadDriver('crm', 'salesforce')
  ).start({
    ...attach,
    url: urls.salesforce,
    webhookUrl: `${revsyncUrl}/webhooks/salesforce`,
  });
  const billing = await (
    await loadDriver('billing', 'stripe')
  ).start({
    ...attach,
    url: urls.stripe,
    webhookUrl: `${revsyncUrl}/webhooks/stripe`,
  });
  const erp = await (
    await loadDriver('erp', 'netsuite')
  ).start({
    ...attach,
    url: urls.netsuite,
    webhookUrl: `${revsyncUrl}/webhooks/netsuite`,
  });
  const regions = simRegions();
  const world: World = { crm: crm.actor, billing: billing.actor, regions };
  await setUpCatalog(world);

  // 2. The engine, `revsync start` on a SQLite file.
  const subs = erp.subsidiaries ?? {};
  const circuit = { failureThreshold: 5, openMs: 1_000, maxOpenMs: 8_000 };
  const dbFile = join(scratch.path, 'revsync.db');
  let storeUrl = `sqlite:${dbFile}`;
  if (WORKERS) {
    postgres = await startTestPostgres();
    const database = `revsync_load_${process.pid}`;
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    const u = new URL(postgres.url);
    u.pathname = `/${database}`;
    storeUrl = u.toString();
    progress(`PostgreSQL store: ${postgres.description}, database ${database}`);
  }
  const config = {
    store: { url: storeUrl },
    server: { host: '127.0.0.1', port },
    connections: {
      crm: { system: 'salesforce', ...crm.connection, circuit, limits: { maxConcurrent: 32 } },
      billing: { system: 'stripe', ...billing.connection, circuit, limits: { maxConcurrent: 32 } },
      erp: { system: 'netsuite', ...erp.connection, circuit, limits: { maxConcurrent: 15 } },
    },
    matchRules: { customer: [['taxId'], ['domain'], ['normalizedName', 'country']] },
    regions: {
      NA: { subsidiary: subs.NA ?? '1', currency: 'USD', countries: ['US', 'CA'] },
      UK: { subsidiary: subs.UK ?? '2', currency: 'GBP', countries: ['GB'] },
      EU: { subsidiary: subs.EU ?? '3', currency: 'EUR', countries: ['DE', 'FR', 'NL'] },
    },
    defaultRegion: 'NA',
    usage: { requiredSources: ['meter-a', 'meter-b'], recheckSeconds: 1 },
  };
  const configFile = join(scratch.path, 'revsync.config.js');
  writeFileSync(configFile, `export default ${JSON.stringify(config, null, 2)};\n`);
  const profileDir = join(ROOT, 'bench/results/profiles');
  const engineEnv = { ...crm.env, ...billing.env, ...erp.env, REVSYNC_LOG_LEVEL: 'warn' };
  const startEngine = async (workers?: number): Promise<ChildProcess> => {
    const p = child(
      'engine',
      [
        ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
        ...NODE,
        'bin/revsync.js',
        'start',
        '--config',
        configFile,
        ...(workers !== undefined ? ['--workers', String(workers)] : []),
      ],
      engineEnv,
    );
    await lineMatching(p, /revsync running at/);
    if (workers !== undefined) await lineMatching(p, new RegExp(`^revsync worker ${workers} pid`));
    return p;
  };
  let engine = await startEngine(WORKERS?.[0]);
  // 3. The no-op ceiling.
  const noop = child('noop', [...NODE, 'bench/load/noop-server.ts']);
  const noopUrl = (await lineMatching(noop, /^(http\S+)/))[0]![1]!;

  // 4. Customers through quote-to-cash (first invoices posted to NetSuite).
  const rng = createRng(1).fork('load');
  progress(`setting up ${CUSTOMERS} customers through quote-to-cash`);
  const setupStart = Date.now();
  for (let i = 0; i < CUSTOMERS; i++) {
    const sim = await createAccount(world, rng, i);
    sim.interval = 'month';
    sim.lines = [{ code: 'PLAT', quantity: 1 + (i % 5) }];
    const deal = await retry(() =>
      world.crm.createDeal({
        accountId: sim.accountId,
        name: `${sim.name} deal`,
        currency: sim.currency,
        kind: 'new',
      }),
    );
    await addLines(world, deal, sim);
    await retry(() => world.crm.win(deal));
  }
  for (;;) {
    if ((await receipts(urls.netsuite, setupStart)).length >= CUSTOMERS) break;
    if (Date.now() - setupStart > 300_000)
      throw new Error('quote-to-cash setup did not finish in 5 min');
    await new Promise((r) => setTimeout(r, 250));
  }
  const stripe = new Stripe('sk_test_revsync_simulator', {
    host: new URL(urls.stripe).hostname,
    port: Number(new URL(urls.stripe).port),
    protocol: 'http',
    maxNetworkRetries: 2,
    httpAgent: agent,
    telemetry: false,
  });
  const customers = (await billing.actor.customers()).filter((c) => c.revsyncId);
  const withCurrency: { id: string; currency: string }[] = [];
  for (const c of customers) {
    const inv = await stripe.invoices.list({ customer: c.id, limit: 1 });
    if (inv.data[0]) withCurrency.push({ id: c.id, currency: inv.data[0].currency });
  }
  progress(
    `${withCurrency.length} customers ready after ${((Date.now() - setupStart) / 1000).toFixed(1)} s`,
  );
  // The setup's follow-up runs (payment and subscription status to the CRM, …) hold the same
  // customers' keys: let them finish, so the first arrivals do not queue behind them.
  if (!WORKERS) {
    const settled = Date.now();
    while ((await runsInFlight()) > 0 && Date.now() - settled < 60_000) {
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** One arrival: a one-off invoice created and finalized in Stripe; returns its id and time. */
  let n = 0;
  const finalized = new Map<string, number>();
  const arrive = async (): Promise<void> => {
    const c = withCurrency[n++ % withCurrency.length]!;
    const inv = await stripe.invoices.create({
      customer: c.id,
      collection_method: 'send_invoice',
      days_until_due: 30,
      auto_advance: false,
    });
    await stripe.invoiceItems.create({
      customer: c.id,
      invoice: inv.id!,
      amount: 1_000 + (n % 97),
      currency: c.currency,
    });
    const at = Date.now();
    await stripe.invoices.finalizeInvoice(inv.id!);
    finalized.set(inv.id!, at);
  };

  /** Open loop at `rate`/s for `seconds`; then waits up to `grace` s for the postings. */
  const phase = async (rate: number, seconds: number, grace: number) => {
    finalized.clear();
    const start = Date.now();
    const total = Math.round(rate * seconds);
    const pending: Promise<void>[] = [];
    let errors = 0;
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      pending.push(arrive().catch(() => void (errors += 1)));
    }
    await Promise.all(pending);
    const sentEnd = Date.now();
    let got: Receipt[] = [];
    for (;;) {
      got = (await receipts(urls.netsuite, start)).filter(
        (r) => r.externalId && finalized.has(r.externalId),
      );
      if (got.length >= finalized.size || Date.now() - sentEnd > grace * 1000) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const latencies = got.map((r) => r.receivedAtMs - finalized.get(r.externalId!)!);
    const lastPosted = Math.max(...got.map((r) => r.receivedAtMs));
    const stages = WORKERS ? undefined : await stagesOf(got);
    return {
      rate,
      sent: finalized.size,
      errors,
      posted: got.length,
      createdPerSecond: finalized.size / ((sentEnd - start) / 1000),
      completedPerSecond: got.length / ((lastPosted - start) / 1000),
      backlogAtEnd: finalized.size - got.filter((r) => r.receivedAtMs <= sentEnd + 1000).length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      // Two NetSuite records with one external id: a duplicate posting.
      duplicates: got.length - new Set(got.map((r) => r.externalId)).size,
      // Writes beyond the first to one record: an upsert by external id repeated (a step whose
      // checkpoint was lost with its worker runs again); the record stays one.
      rewrites: got.reduce((n, r) => n + r.writes - 1, 0),
      ...(stages && { stages }),
    };
  };

  /** Runs queued or running in the engine's SQLite file (waiting and parked ones excluded). */
  async function runsInFlight(): Promise<number> {
    const db = new BetterSqlite3(dbFile, { readonly: true, fileMustExist: true });
    try {
      const row = db
        .prepare(`select count(*) as n from runs where status in ('queued', 'running')`)
        .get() as { n: number };
      return row.n;
    } finally {
      db.close();
    }
  }

  /** Where the time of this phase's postings went (SQLite engine only). */
  const stagesOf = async (got: Receipt[]): Promise<StageBreakdown | undefined> => {
    if (got.length === 0) return undefined;
    const state = (await (await fetch(`${urls.stripe}/_emulator/state`)).json()) as {
      webhooks?: DeliveryView[];
    };
    return stageBreakdown(
      dbFile,
      new Map(finalized),
      new Map(got.map((r) => [r.externalId!, r.receivedAtMs])),
      state.webhooks ?? [],
    );
  };

  /** Scale-out: the same arrivals with 1, 2, 4… worker processes, one of them killed halfway. */
  const scaling = async (counts: number[]): Promise<Measurement[]> => {
    const out: Measurement[] = [];
    const perCount: Record<number, number> = {};
    for (const workers of counts) {
      if (engine.exitCode === null) {
        await new Promise<void>((resolve) => {
          engine.once('exit', () => resolve());
          engine.kill('SIGTERM');
        });
      }
      engine = await startEngine(workers);
      progress(`${workers} worker(s): ${RATE}/s for ${DURATION} s`);
      const r = await phase(RATE, DURATION, 120);
      perCount[workers] = r.completedPerSecond;
      progress(
        `${workers} worker(s): ${r.posted}/${r.sent} posted, ${r.completedPerSecond.toFixed(1)}/s, p99 ${r.p99} ms`,
      );
      out.push({
        name: `load_pg_workers_${workers}_completed_flows_per_s`,
        value: r.completedPerSecond,
        unit: 'flows/s',
        method: `revsync start --workers ${workers} on PostgreSQL, ${RATE}/s open-loop arrivals for ${DURATION} s; NetSuite postings per second until the last`,
        extra: { ...r },
      });
    }
    // The kill check, with the last worker count: worker 1 dies halfway; the pool restarts it
    // and its claimed runs resume from their checkpoints once their leases expire.
    const kill = setTimeout(
      () => {
        const pids = [...(output.get(engine) ?? '').matchAll(/^revsync worker 1 pid (\d+)/gm)];
        const pid = Number(pids.at(-1)?.[1]);
        if (pid) {
          progress(`killing worker 1 (pid ${pid}) with SIGKILL`);
          process.kill(pid, 'SIGKILL');
        }
      },
      (DURATION * 1000) / 2,
    );
    const last = counts.at(-1)!;
    progress(`kill check: ${last} worker(s), ${RATE}/s for ${DURATION} s, worker 1 killed halfway`);
    const killed = await phase(RATE, DURATION, 180);
    clearTimeout(kill);
    const lost = killed.sent - killed.posted;
    progress(
      `kill check: ${killed.posted}/${killed.sent} posted, lost ${lost}, duplicates ${killed.duplicates}, repeated upserts ${killed.rewrites}, p99 ${killed.p99} ms`,
    );
    const first = counts[0]!;
    for (const n of counts.slice(1)) {
      out.push({
        name: `load_pg_scaling_ratio_${n}_to_${first}`,
        value: perCount[n]! / perCount[first]!,
        unit: 'ratio',
        method: `load_pg_workers_${n}_completed_flows_per_s / load_pg_workers_${first}_completed_flows_per_s, same run`,
      });
    }
    out.push(
      {
        name: 'load_pg_kill_lost_postings',
        value: lost,
        unit: 'invoices',
        method: `revsync start --workers ${last}, worker 1 SIGKILLed halfway through ${DURATION} s at ${RATE}/s: finalized invoices with no NetSuite receipt for their external id`,
        extra: { ...killed },
        targetMax: 0,
      },
      {
        name: 'load_pg_kill_duplicate_postings',
        value: killed.duplicates,
        unit: 'invoices',
        method:
          'the same run: finalized invoices whose external id is on more than one NetSuite record',
        targetMax: 0,
      },
      {
        name: 'load_pg_kill_repeated_upserts',
        value: killed.rewrites,
        unit: 'writes',
        method:
          'the same run: writes beyond the first to one NetSuite record (an upsert by external id sent again because the killed worker had not checkpointed it; the record stays one)',
      },
    );
    return out;
  };

  /** Accepted/s: signed webhooks, closed loop, against revsync and the no-op ceiling. */
  const acceptedPhase = async (): Promise<Measurement[]> => {
    const secret = billing.env['STRIPE_WEBHOOK_SECRET']!;
    let k = 0;
    const signed = (): [string, Record<string, string>] => {
      const payload = JSON.stringify({
        id: `evt_load_${process.pid}_${k++}`,
        object: 'event',
        api_version: '2026-10-28.endive',
        created: Math.floor(Date.now() / 1000),
        type: 'customer.updated',
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        data: { object: { id: withCurrency[k % withCurrency.length]!.id, object: 'customer' } },
      });
      return [
        payload,
        { 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret }) },
      ];
    };
    progress('accepted/s: revsync webhooks vs a bare Fastify no-op, 64 connections, 5 s each');
    const ceiling = await acceptRate(`${noopUrl}/webhooks/stripe`, signed, 5);
    const accepted = await acceptRate(`${revsyncUrl}/webhooks/stripe`, signed, 5);

    return [
      {
        name: 'load_accepted_per_s',
        value: accepted.perSecond,
        unit: 'webhooks/s',
        method:
          'signed Stripe customer.updated webhooks, 64 connections closed loop, 5 s, against revsync start (durable inbox commit before the 2xx)',
        extra: { failed: accepted.failed },
      },
      {
        name: 'load_fastify_ceiling_per_s',
        value: ceiling.perSecond,
        unit: 'requests/s',
        method: 'the same requests against a bare Fastify no-op in its own process, same run',
      },
      {
        name: 'load_accepted_ratio_to_ceiling',
        value: accepted.perSecond / ceiling.perSecond,
        unit: 'ratio',
        method: 'load_accepted_per_s / load_fastify_ceiling_per_s',
        target: 0.7,
      },
    ];
  };

  /** `--rate R`: one fixed-rate phase with its stage breakdown, then accepted/s. */
  const fixedRate = async (rate: number): Promise<Measurement[]> => {
    progress(`fixed rate: ${rate}/s for ${DURATION} s`);
    const r = await phase(rate, DURATION, 30);
    progress(`${r.posted}/${r.sent} posted, p50 ${r.p50} ms, p99 ${r.p99} ms`);
    if (r.stages) progress(`stages:\n${formatStages(r.stages)}`);
    return [
      {
        name: 'load_webhook_to_erp_p50_ms_at_fixed_rate',
        value: r.p50,
        unit: 'ms',
        method: `finalize in Stripe → NetSuite emulator receipt, ${rate}/s for ${DURATION} s (--rate)`,
        extra: { ...r },
      },
      {
        name: 'load_webhook_to_erp_p99_ms_at_fixed_rate',
        value: r.p99,
        unit: 'ms',
        method: 'as above, p99',
      },
      ...(await acceptedPhase()),
    ];
  };

  const sustainable = async (): Promise<Measurement[]> => {
    // The maximum sustainable rate: step up ×1.5 until the backlog grows.
    progress('stepping the arrival rate up until postings fall behind');
    const steps = [];
    let best = 0;
    for (let rate = 5; rate < 2_000; rate = Math.round(rate * 1.5)) {
      const r = await phase(rate, STEP, 10);
      steps.push(r);
      progress(
        `${rate}/s: ${r.sent} sent, ${r.posted} posted, backlog ${r.backlogAtEnd} 1 s after the last, p99 ${r.p99} ms`,
      );
      const sustained =
        r.errors === 0 &&
        r.posted === r.sent &&
        r.backlogAtEnd <= Math.max(2, rate * 0.5) &&
        r.createdPerSecond >= rate * 0.9;
      if (!sustained) break;
      best = rate;
    }
    if (best === 0) throw new Error('not even 5 arrivals/s were sustained');
    const at: Record<string, Awaited<ReturnType<typeof phase>>> = {};
    for (const [label, share] of [
      ['quarter', 0.25],
      ['half', 0.5],
      ['full', 1],
    ] as const) {
      const rate = Math.max(1, Math.round(best * share));
      progress(`${label} load: ${rate}/s for ${DURATION} s`);
      at[label] = await phase(rate, DURATION, 30);
      const stages = at[label]!.stages;
      if (label === 'half' && stages) progress(`half load stages:\n${formatStages(stages)}`);
    }

    const acceptedMeasurements = await acceptedPhase();
    return [
      {
        name: 'load_max_sustainable_rate_per_s',
        value: best,
        unit: 'invoices/s',
        method: `open-loop arrivals (Stripe invoice created + finalized → signed invoice.finalized webhook → NetSuite posting), stepped ×1.5 for ${STEP} s each until postings fell behind`,
        extra: { steps },
      },
      {
        name: 'load_webhook_to_erp_p50_ms_at_half_load',
        value: at.half!.p50,
        unit: 'ms',
        method: `finalize in Stripe → NetSuite emulator receipt, ${at.half!.rate}/s for ${DURATION} s`,
        targetMax: 50,
        extra: { ...at.half },
      },
      {
        name: 'load_webhook_to_erp_p99_ms_at_half_load',
        value: at.half!.p99,
        unit: 'ms',
        method: 'as above, p99',
        targetMax: 50,
      },
      {
        name: 'load_webhook_to_erp_p99_ms_at_quarter_load',
        value: at.quarter!.p99,
        unit: 'ms',
        method: `as above at ${at.quarter!.rate}/s`,
        extra: { ...at.quarter },
      },
      {
        name: 'load_webhook_to_erp_p99_ms_at_full_load',
        value: at.full!.p99,
        unit: 'ms',
        method: `as above at ${at.full!.rate}/s`,
        extra: { ...at.full },
      },
      {
        name: 'load_completed_flows_per_s_at_full_load',
        value: at.full!.completedPerSecond,
        unit: 'flows/s',
        method: 'NetSuite postings per second during the full-load phase',
      },
      ...acceptedMeasurements,
    ] satisfies Measurement[];
  };
  const results = WORKERS
    ? await scaling(WORKERS)
    : FIXED_RATE !== undefined
      ? await fixedRate(FIXED_RATE)
      : await sustainable();
  for (const m of results)
    console.log(`${m.name.padEnd(46)} ${m.value.toFixed(2).padStart(10)} ${m.unit}`);

  const file = join(ROOT, 'bench/results/latest.json');
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const previous = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { results?: Measurement[] })
    : {};
  // A --rate run replaces its own figures only; the full run all load_ figures.
  const kept = (previous.results ?? []).filter((m) =>
    FIXED_RATE !== undefined
      ? !results.some((r) => r.name === m.name)
      : !m.name.startsWith('load_'),
  );
  writeFileSync(
    file,
    JSON.stringify(
      {
        ...previous,
        at: new Date().toISOString(),
        machine: {
          cpus: cpus().length,
          model: cpus()[0]?.model,
          memoryGiB: totalmem() / 2 ** 30,
          node: process.version,
        },
        results: [...kept, ...results],
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`written to ${file}${PROFILE ? `; engine profile in ${profileDir}` : ''}`);
} finally {
  await stopAll();
  if (postgres) {
    if (process.env.REVSYNC_TEST_PG_URL) {
      const admin = new pg.Client({ connectionString: postgres.url });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS revsync_load_${process.pid}`).catch(() => {});
      await admin.end();
    }
    await postgres.stop();
  }
  scratch.remove();
  agent.destroy();
}
