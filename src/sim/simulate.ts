import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsforce from 'jsforce';
import { pino, type Logger } from 'pino';
import Stripe from 'stripe';
import { buildConnectors } from '../app/build-connectors.ts';
import { Runtime } from '../app/runtime.ts';
import { defineConfig, env } from '../config/define-config.ts';
import { resolveConfig } from '../config/load-config.ts';
import { createRng, FAULT_PRESETS, type FaultConfigInput } from '../emulators/kit/index.ts';
import { netsuiteEmulatorDefaults, startNetsuiteEmulator } from '../emulators/netsuite/index.ts';
import { createNetsuiteTestClient } from '../emulators/netsuite/test-client.ts';
import {
  salesforceEmulatorDefaults,
  startSalesforceEmulator,
} from '../emulators/salesforce/index.ts';
import { startStripeEmulator } from '../emulators/stripe/index.ts';
import { OutboundGateway } from '../gateway/outbound-gateway.ts';
import { openStore } from '../store/open-store.ts';
import { checkInvariants, type InvariantReport } from './invariants.ts';
import { runScenario, type ScenarioTally } from './scenario.ts';
import { settle } from './settle.ts';

export type FaultLevel = 'none' | 'light' | 'heavy';

export interface SimulateOptions {
  seed: number;
  customers: number;
  faults: FaultLevel;
  /** Use running emulators instead of starting them (state stays inspectable afterwards). */
  stripeUrl?: string;
  salesforceUrl?: string;
  netsuiteUrl?: string;
  /** Store for revsync (default: a temporary SQLite file). */
  storeUrl?: string;
  /** Progress lines (to stderr in the CLI). */
  progress?: (message: string) => void;
  logger?: Logger;
  /** Longest wait for revsync to go quiet after each phase (default 10 min). */
  settleTimeoutMs?: number;
}

export interface SimulationResult {
  seed: number;
  customers: number;
  faults: FaultLevel;
  durationMs: number;
  tally: ScenarioTally;
  runs: Record<string, Record<string, number>>;
  openExceptions: { flow: string | null; code: string; message: string; count: number }[];
  connections: {
    name: string;
    calls: number;
    failures: number;
    circuitOpens: number;
    lastError: string | null;
  }[];
  invariants: InvariantReport;
  passed: boolean;
}

const STRIPE_KEY = 'sk_test_revsync_simulator';
const USAGE_RECHECK_MS = 1_000;

/**
 * `revsync simulate`: drives a whole simulated business through revsync against the emulators —
 * with faults if asked — waits until revsync is quiet, then checks the invariants by reading the
 * emulators through their APIs. Everything runs in this process.
 */
export async function simulate(options: SimulateOptions): Promise<SimulationResult> {
  const started = Date.now();
  const progress = options.progress ?? (() => {});
  const logger = options.logger ?? pino({ level: process.env.REVSYNC_LOG_LEVEL ?? 'silent' });
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    // Emulators.
    const stripeEmu = options.stripeUrl
      ? undefined
      : await startStripeEmulator({
          port: 0,
          seed: options.seed,
          faults: emulatorFaults(options.faults),
          rateLimit: 100,
        });
    const sfEmu = options.salesforceUrl
      ? undefined
      : await startSalesforceEmulator({
          port: 0,
          seed: options.seed,
          faults: emulatorFaults(options.faults),
        });
    const nsEmu = options.netsuiteUrl
      ? undefined
      : await startNetsuiteEmulator({
          port: 0,
          seed: options.seed,
          faults: netsuiteFaults(options.faults),
          oauthClock: 'system',
        });
    for (const emu of [stripeEmu, sfEmu, nsEmu]) if (emu) cleanups.push(() => emu.close());
    const stripeUrl = options.stripeUrl ?? stripeEmu!.url;
    const salesforceUrl = options.salesforceUrl ?? sfEmu!.url;
    const netsuiteUrl = options.netsuiteUrl ?? nsEmu!.url;
    progress(
      `emulators: stripe ${stripeUrl}, salesforce ${salesforceUrl}, netsuite ${netsuiteUrl}`,
    );

    const stripe = stripeClient(stripeUrl);
    const clock = await stripe.testHelpers.testClocks.create({
      frozen_time: Math.floor(Date.now() / 1000),
      name: `revsync simulate seed ${options.seed}`,
    });
    const port = await freePort();
    const endpoint = await stripe.webhookEndpoints.create({
      url: `http://127.0.0.1:${port}/webhooks/stripe`,
      enabled_events: ['*'],
    });
    cleanups.push(
      async () => void (await stripe.webhookEndpoints.del(endpoint.id).catch(() => undefined)),
    );

    // revsync.
    const dir = mkdtempSync(join(tmpdir(), 'revsync-sim-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const config = resolveConfig(
      simulationConfig({ stripeUrl, salesforceUrl, netsuiteUrl }),
      {
        STRIPE_API_KEY: STRIPE_KEY,
        STRIPE_WEBHOOK_SECRET: endpoint.secret ?? '',
        SALESFORCE_CLIENT_ID: salesforceEmulatorDefaults.clientId,
        SALESFORCE_CLIENT_SECRET: salesforceEmulatorDefaults.clientSecret,
        NETSUITE_CONSUMER_KEY: netsuiteEmulatorDefaults.consumerKey,
        NETSUITE_CONSUMER_SECRET: netsuiteEmulatorDefaults.consumerSecret,
        NETSUITE_TOKEN_ID: netsuiteEmulatorDefaults.tokenId,
        NETSUITE_TOKEN_SECRET: netsuiteEmulatorDefaults.tokenSecret,
        REVSYNC_STORE_URL: options.storeUrl ?? `sqlite:${join(dir, 'revsync.db')}`,
      },
      'simulation configuration',
    );
    const store = await openStore({ url: config.store!.url });
    const gateway = new OutboundGateway();
    const runtime = new Runtime(config, {
      store,
      gateway,
      connectors: buildConnectors(config, gateway, logger, { stripeTestClock: clock.id }),
      logger,
      engine: {
        concurrency: 32,
        pollIntervalMs: 50,
        defaultRetry: { maxAttempts: 12, initialDelayMs: 200, maxDelayMs: 5_000 },
        random: seededRandom(options.seed),
      },
      pollIntervalMs: 250,
    });
    await runtime.start({ port });
    cleanups.push(() => runtime.stop());
    progress(`revsync listening on ${runtime.url} (store ${config.store!.url})`);

    const salesforce = new jsforce.Connection({
      oauth2: {
        clientId: salesforceEmulatorDefaults.clientId,
        clientSecret: salesforceEmulatorDefaults.clientSecret,
        loginUrl: salesforceUrl,
      },
      loginUrl: salesforceUrl,
      version: '62.0',
    });
    await salesforce.authorize({ grant_type: 'client_credentials' });
    const netsuite = createNetsuiteTestClient({
      url: netsuiteUrl,
      credentials: {
        accountId: netsuiteEmulatorDefaults.accountId,
        consumerKey: netsuiteEmulatorDefaults.consumerKey,
        consumerSecret: netsuiteEmulatorDefaults.consumerSecret,
        tokenId: netsuiteEmulatorDefaults.tokenId,
        tokenSecret: netsuiteEmulatorDefaults.tokenSecret,
      },
    });

    const settleTimeoutMs = options.settleTimeoutMs ?? 10 * 60_000;
    const { tally } = await runScenario(
      {
        rng: createRng(options.seed).fork('scenario'),
        stripe,
        salesforce,
        usage: runtime.usage,
        testClockId: clock.id,
        usageRecheckMs: USAGE_RECHECK_MS,
        progress,
        settle: async (label) => {
          progress(`waiting for revsync to finish: ${label}`);
          const quiet = await settle(runtime, {
            ...(stripeEmu && { flushWebhooks: () => stripeEmu.flushWebhooks() }),
            timeoutMs: settleTimeoutMs,
            onWait: (busy) =>
              progress(
                `  … ${Object.entries(busy)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(', ')}`,
              ),
          });
          if (!quiet)
            progress(`revsync did not go quiet after ${label} within ${settleTimeoutMs / 1000} s`);
        },
      },
      options.customers,
    );

    // The books are checked with every fault switched off: reading must not fail.
    for (const emu of [stripeEmu, sfEmu, nsEmu]) emu?.app.faults.set('none');
    progress('checking invariants');
    const invariants = await checkInvariants({
      stripe: stripeClient(stripeUrl),
      netsuite,
      salesforce,
      store,
    });
    const runs: SimulationResult['runs'] = {};
    for (const run of await store.runs.list(store.db, { limit: 1_000_000 })) {
      const flow = (runs[run.flow] ??= {});
      flow[run.status] = (flow[run.status] ?? 0) + 1;
    }
    const grouped = new Map<string, SimulationResult['openExceptions'][number]>();
    for (const e of await store.exceptions.list(store.db, { status: 'open', limit: 100_000 })) {
      const key = `${e.flow}|${e.errorCode}|${e.message.replace(/\b[a-z]{2,4}_[A-Za-z0-9]+\b/g, '…')}`;
      const entry = grouped.get(key) ?? {
        flow: e.flow,
        code: e.errorCode,
        message: e.message,
        count: 0,
      };
      entry.count += 1;
      grouped.set(key, entry);
    }
    const connections = gateway.connections().map((c) => {
      const h = c.health();
      return {
        name: h.name,
        calls: h.calls,
        failures: h.failures,
        circuitOpens: h.circuit.opens,
        lastError: h.lastError?.message ?? null,
      };
    });
    return {
      seed: options.seed,
      customers: options.customers,
      faults: options.faults,
      durationMs: Date.now() - started,
      tally,
      runs,
      openExceptions: [...grouped.values()],
      connections,
      invariants,
      passed: invariants.violations.length === 0,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

function simulationConfig(urls: { stripeUrl: string; salesforceUrl: string; netsuiteUrl: string }) {
  return defineConfig({
    store: { url: env('REVSYNC_STORE_URL') },
    connections: {
      salesforce: {
        loginUrl: urls.salesforceUrl,
        clientId: env('SALESFORCE_CLIENT_ID'),
        clientSecret: env('SALESFORCE_CLIENT_SECRET'),
        limits: { ratePerSecond: 200, maxConcurrent: 10 },
        circuit: { failureThreshold: 5, openMs: 1_000, maxOpenMs: 8_000 },
      },
      stripe: {
        baseUrl: urls.stripeUrl,
        apiKey: env('STRIPE_API_KEY'),
        webhookSecret: env('STRIPE_WEBHOOK_SECRET'),
        defaultPaymentMethod: 'pm_card_visa',
        limits: { ratePerSecond: 90, maxConcurrent: 10 },
        circuit: { failureThreshold: 5, openMs: 1_000, maxOpenMs: 8_000 },
      },
      netsuite: {
        accountId: netsuiteEmulatorDefaults.accountId,
        baseUrl: urls.netsuiteUrl,
        consumerKey: env('NETSUITE_CONSUMER_KEY'),
        consumerSecret: env('NETSUITE_CONSUMER_SECRET'),
        tokenId: env('NETSUITE_TOKEN_ID'),
        tokenSecret: env('NETSUITE_TOKEN_SECRET'),
        limits: { maxConcurrent: 8 },
        circuit: { failureThreshold: 5, openMs: 1_000, maxOpenMs: 8_000 },
      },
    },
    matchRules: { customer: [['taxId'], ['domain'], ['normalizedName', 'country']] },
    regions: {
      NA: { subsidiary: '1', currency: 'USD', countries: ['US', 'CA'] },
      UK: { subsidiary: '2', currency: 'GBP', countries: ['GB'] },
      EU: { subsidiary: '3', currency: 'EUR', countries: ['DE', 'FR', 'NL'] },
    },
    defaultRegion: 'NA',
    usage: { requiredSources: ['meter-a', 'meter-b'], recheckSeconds: USAGE_RECHECK_MS / 1000 },
  });
}

/** The fault preset of Stripe and Salesforce for a simulation level. */
function emulatorFaults(level: FaultLevel): FaultLevel {
  return level;
}

/**
 * NetSuite under heavy faults: the heavy preset, and the ERP down for 30 s a minute into the run
 * (instead of the preset's 5 s), long enough for circuits to open and runs to wait it out.
 */
function netsuiteFaults(level: FaultLevel): FaultLevel | FaultConfigInput {
  if (level !== 'heavy') return level;
  const heavy = FAULT_PRESETS.heavy;
  return {
    ...heavy,
    rules: [
      ...(heavy.rules ?? []).filter((rule) => !rule.outage),
      { match: '*', outage: { afterMs: 60_000, forMs: 30_000, mode: 'unavailable' } },
    ],
  };
}

function stripeClient(url: string): Stripe {
  const u = new URL(url);
  return new Stripe(STRIPE_KEY, {
    host: u.hostname,
    port: Number(u.port),
    protocol: 'http',
    maxNetworkRetries: 3,
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function seededRandom(seed: number): () => number {
  const rng = createRng(seed).fork('engine');
  return () => rng.next();
}
