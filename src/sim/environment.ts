import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsforce from 'jsforce';
import { pino, type Logger } from 'pino';
import Stripe from 'stripe';
import { buildConnectors } from '../app/build-connectors.ts';
import { Runtime } from '../app/runtime.ts';
import { defineConfig, env, type RevsyncConfig } from '../config/define-config.ts';
import { resolveConfig } from '../config/load-config.ts';
import type { EngineOptions } from '../engine/engine.ts';
import { FAULT_PRESETS, type FaultConfigInput } from '@revsync/emulators/kit';
import { netsuiteEmulatorDefaults, startNetsuiteEmulator } from '@revsync/emulators/netsuite';
import { createNetsuiteTestClient } from '@revsync/emulators/netsuite';
import { salesforceEmulatorDefaults, startSalesforceEmulator } from '@revsync/emulators/salesforce';
import { startStripeEmulator } from '@revsync/emulators/stripe';
import { OutboundGateway } from '../gateway/outbound-gateway.ts';
import { openStore } from '../store/open-store.ts';
import { retry, setUpCatalog, type World } from './actions.ts';
import { freePort } from './free-port.ts';
import { settle } from './settle.ts';

export type FaultLevel = 'none' | 'light' | 'heavy';

export interface EnvironmentOptions {
  seed: number;
  faults: FaultLevel;
  /** Use running emulators instead of starting them. */
  stripeUrl?: string;
  salesforceUrl?: string;
  netsuiteUrl?: string;
  /** revsync's store (default: a temporary SQLite file). */
  storeUrl?: string;
  logger?: Logger;
  /** How often an incomplete usage period is checked again (default 1 s). */
  usageRecheckMs?: number;
  /** Engine overrides (concurrency, retry policy…). */
  engine?: Partial<Omit<EngineOptions, 'store' | 'flows' | 'clock' | 'logger'>>;
  /** Changes to the configuration (e.g. turning flows off). */
  configure?: (config: RevsyncConfig) => RevsyncConfig;
  /** The Stripe emulator's rate limit per second (default 100, like live mode; 0 = off). */
  stripeRateLimit?: number;
}

/** Everything a simulation (or a flow test) works with. */
export interface SimEnvironment {
  runtime: Runtime;
  gateway: OutboundGateway;
  stripe: Stripe;
  salesforce: jsforce.Connection;
  netsuite: ReturnType<typeof createNetsuiteTestClient>;
  world: World;
  /** In-process emulators (absent when URLs were given). */
  emulators: {
    stripe?: Awaited<ReturnType<typeof startStripeEmulator>>;
    salesforce?: Awaited<ReturnType<typeof startSalesforceEmulator>>;
    netsuite?: Awaited<ReturnType<typeof startNetsuiteEmulator>>;
  };
  urls: { stripe: string; salesforce: string; netsuite: string };
  /** Waits until revsync is quiet; false if it did not go quiet in time. */
  settle(options?: {
    timeoutMs?: number;
    onWait?: (busy: Record<string, number>) => void;
  }): Promise<boolean>;
  /** Switches off every emulator's faults (before reading the books). */
  clearFaults(): void;
  close(): Promise<void>;
}

const STRIPE_KEY = 'sk_test_revsync_simulator';

/**
 * Starts the emulators (unless given their URLs), a Stripe test clock, and revsync on them —
 * with the configuration a simulation uses — plus SDK clients of each system for the actor side.
 */
export async function startEnvironment(options: EnvironmentOptions): Promise<SimEnvironment> {
  const logger = options.logger ?? pino({ level: process.env.REVSYNC_LOG_LEVEL ?? 'silent' });
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    const emulators: SimEnvironment['emulators'] = {};
    if (!options.stripeUrl) {
      emulators.stripe = await startStripeEmulator({
        port: 0,
        seed: options.seed,
        faults: options.faults,
        rateLimit: options.stripeRateLimit ?? 100,
      });
      cleanups.push(() => emulators.stripe!.close());
    }
    if (!options.salesforceUrl) {
      emulators.salesforce = await startSalesforceEmulator({
        port: 0,
        seed: options.seed,
        faults: options.faults,
      });
      cleanups.push(() => emulators.salesforce!.close());
    }
    if (!options.netsuiteUrl) {
      emulators.netsuite = await startNetsuiteEmulator({
        port: 0,
        seed: options.seed,
        faults: netsuiteFaults(options.faults),
        oauthClock: 'system',
      });
      cleanups.push(() => emulators.netsuite!.close());
    }
    const urls = {
      stripe: options.stripeUrl ?? emulators.stripe!.url,
      salesforce: options.salesforceUrl ?? emulators.salesforce!.url,
      netsuite: options.netsuiteUrl ?? emulators.netsuite!.url,
    };

    const stripe = stripeClient(urls.stripe);
    const clock = await retry(() =>
      stripe.testHelpers.testClocks.create({
        frozen_time: Math.floor(Date.now() / 1000),
        name: `revsync seed ${options.seed}`,
      }),
    );
    const port = await freePort();
    const endpoint = await retry(() =>
      stripe.webhookEndpoints.create({
        url: `http://127.0.0.1:${port}/webhooks/stripe`,
        enabled_events: ['*'],
      }),
    );
    cleanups.push(
      async () => void (await stripe.webhookEndpoints.del(endpoint.id).catch(() => undefined)),
    );

    const dir = mkdtempSync(join(tmpdir(), 'revsync-sim-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const usageRecheckMs = options.usageRecheckMs ?? 1_000;
    const base = simulationConfig(urls, usageRecheckMs);
    const config = resolveConfig(
      options.configure ? options.configure(base) : base,
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
        ...options.engine,
      },
      pollIntervalMs: 250,
      api: false,
    });
    await runtime.start({ port });
    cleanups.push(() => runtime.stop());

    const salesforce = new jsforce.Connection({
      oauth2: {
        clientId: salesforceEmulatorDefaults.clientId,
        clientSecret: salesforceEmulatorDefaults.clientSecret,
        loginUrl: urls.salesforce,
      },
      loginUrl: urls.salesforce,
      version: '62.0',
    });
    await salesforce.authorize({ grant_type: 'client_credentials' });
    const netsuite = createNetsuiteTestClient({
      url: urls.netsuite,
      credentials: {
        accountId: netsuiteEmulatorDefaults.accountId,
        consumerKey: netsuiteEmulatorDefaults.consumerKey,
        consumerSecret: netsuiteEmulatorDefaults.consumerSecret,
        tokenId: netsuiteEmulatorDefaults.tokenId,
        tokenSecret: netsuiteEmulatorDefaults.tokenSecret,
      },
    });
    const world = await setUpCatalog(stripe, salesforce, clock.id);
    return {
      runtime,
      gateway,
      stripe,
      salesforce,
      netsuite,
      world,
      emulators,
      urls,
      settle: (o = {}) =>
        settle(runtime, {
          ...(emulators.stripe && { flushWebhooks: () => emulators.stripe!.flushWebhooks() }),
          timeoutMs: o.timeoutMs ?? 10 * 60_000,
          ...(o.onWait && { onWait: o.onWait }),
        }),
      clearFaults() {
        for (const emulator of Object.values(emulators)) emulator?.app.faults.set('none');
      },
      close,
    };
  } catch (caught) {
    await close();
    throw caught;
  }
}

function simulationConfig(
  urls: { stripe: string; salesforce: string; netsuite: string },
  usageRecheckMs: number,
): RevsyncConfig {
  const circuit = { failureThreshold: 5, openMs: 1_000, maxOpenMs: 8_000 };
  return defineConfig({
    store: { url: env('REVSYNC_STORE_URL') },
    connections: {
      salesforce: {
        loginUrl: urls.salesforce,
        clientId: env('SALESFORCE_CLIENT_ID'),
        clientSecret: env('SALESFORCE_CLIENT_SECRET'),
        limits: { ratePerSecond: 200, maxConcurrent: 10 },
        circuit,
      },
      stripe: {
        baseUrl: urls.stripe,
        apiKey: env('STRIPE_API_KEY'),
        webhookSecret: env('STRIPE_WEBHOOK_SECRET'),
        defaultPaymentMethod: 'pm_card_visa',
        limits: { ratePerSecond: 90, maxConcurrent: 10 },
        circuit,
      },
      netsuite: {
        accountId: netsuiteEmulatorDefaults.accountId,
        baseUrl: urls.netsuite,
        consumerKey: env('NETSUITE_CONSUMER_KEY'),
        consumerSecret: env('NETSUITE_CONSUMER_SECRET'),
        tokenId: env('NETSUITE_TOKEN_ID'),
        tokenSecret: env('NETSUITE_TOKEN_SECRET'),
        limits: { maxConcurrent: 8 },
        circuit,
      },
    },
    matchRules: { customer: [['taxId'], ['domain'], ['normalizedName', 'country']] },
    regions: {
      NA: { subsidiary: '1', currency: 'USD', countries: ['US', 'CA'] },
      UK: { subsidiary: '2', currency: 'GBP', countries: ['GB'] },
      EU: { subsidiary: '3', currency: 'EUR', countries: ['DE', 'FR', 'NL'] },
    },
    defaultRegion: 'NA',
    usage: { requiredSources: ['meter-a', 'meter-b'], recheckSeconds: usageRecheckMs / 1000 },
  });
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

export function stripeClient(url: string): Stripe {
  const u = new URL(url);
  return new Stripe(STRIPE_KEY, {
    host: u.hostname,
    port: Number(u.port),
    protocol: 'http',
    maxNetworkRetries: 3,
  });
}
