import { rmSync } from 'node:fs';
import jsforce from 'jsforce';
import type { Logger } from 'pino';
import Stripe from 'stripe';
import type { BootstrapKey } from '../governance/api-keys.ts';
import { loadConfig } from '../config/load-config.ts';
import { createRng, type FaultPreset } from '@revsync/emulators/kit';
import { netsuiteEmulatorDefaults, startNetsuiteEmulator } from '@revsync/emulators/netsuite';
import { salesforceEmulatorDefaults, startSalesforceEmulator } from '@revsync/emulators/salesforce';
import { startStripeEmulator } from '@revsync/emulators/stripe';
import { OutboundGateway } from '../gateway/outbound-gateway.ts';
import { setUpCatalog } from '../sim/actions.ts';
import { DemoTraffic } from '../sim/traffic.ts';
import { openStore, parseStoreUrl } from '../store/open-store.ts';
import { buildConnectors } from './build-connectors.ts';
import { Runtime } from './runtime.ts';

/** The demo's API keys: known, printed at start, and only ever valid against the demo's store. */
export const DEMO_KEYS: BootstrapKey[] = [
  { name: 'demo-admin', role: 'admin', key: 'rsk_demoadmin_revsync-demo-admin-key-0001' },
  { name: 'demo-operator', role: 'operator', key: 'rsk_demooperator_revsync-demo-operator-key-01' },
  { name: 'demo-viewer', role: 'viewer', key: 'rsk_demoviewer_revsync-demo-viewer-key-0001' },
];

export interface DemoOptions {
  config: string;
  port: number;
  seed: number;
  faults: FaultPreset;
  traffic: boolean;
  /** Emulator ports (0 = any free port, for tests). */
  emulatorPorts?: { stripe: number; salesforce: number; netsuite: number };
  logger: Logger;
  trafficTickMs?: number;
}

/** A running demo and how to stop it. */
export interface RunningDemo {
  url: string;
  runtime: Runtime;
  traffic: DemoTraffic | undefined;
  emulators: { stripe: string; salesforce: string; netsuite: string };
  stop(): Promise<void>;
}

/**
 * `revsync demo`: the three emulators, revsync on the embedded SQLite store with the demo
 * configuration, the API and dashboard, and steady simulated business traffic.
 */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const closers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    const ports = options.emulatorPorts ?? { stripe: 12111, salesforce: 12112, netsuite: 12113 };
    const webhookSecret = 'whsec_revsync_demo';
    const stripeEmu = await startStripeEmulator({
      port: ports.stripe,
      seed: options.seed,
      faults: options.faults,
      rateLimit: 100,
      webhookUrl: `http://127.0.0.1:${options.port}/webhooks/stripe`,
      webhookSecret,
    });
    closers.push(() => stripeEmu.close());
    const sfEmu = await startSalesforceEmulator({
      port: ports.salesforce,
      seed: options.seed,
      faults: options.faults,
      sessionTimeoutSeconds: 0,
    });
    closers.push(() => sfEmu.close());
    const nsEmu = await startNetsuiteEmulator({
      port: ports.netsuite,
      seed: options.seed,
      faults: options.faults,
      oauthClock: 'system',
    });
    closers.push(() => nsEmu.close());

    // The demo configuration reads credentials from the environment; default them to the emulators'.
    const defaults: Record<string, string> = {
      STRIPE_API_KEY: 'sk_test_revsync_demo',
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      STRIPE_BASE_URL: stripeEmu.url,
      SALESFORCE_LOGIN_URL: sfEmu.url,
      SALESFORCE_CLIENT_ID: salesforceEmulatorDefaults.clientId,
      SALESFORCE_CLIENT_SECRET: salesforceEmulatorDefaults.clientSecret,
      NETSUITE_BASE_URL: nsEmu.url,
      NETSUITE_CONSUMER_KEY: netsuiteEmulatorDefaults.consumerKey,
      NETSUITE_CONSUMER_SECRET: netsuiteEmulatorDefaults.consumerSecret,
      NETSUITE_TOKEN_ID: netsuiteEmulatorDefaults.tokenId,
      NETSUITE_TOKEN_SECRET: netsuiteEmulatorDefaults.tokenSecret,
    };
    const config = await loadConfig(options.config, { ...defaults, ...process.env });
    const storeUrl = config.store?.url ?? 'sqlite:.revsync/demo.db';
    const { dialect, target } = parseStoreUrl(storeUrl);
    if (dialect === 'sqlite' && target !== ':memory:') {
      // The emulators start empty, so yesterday's demo records would point at nothing.
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
    }

    const stripe = new Stripe(defaults.STRIPE_API_KEY!, {
      host: '127.0.0.1',
      port: stripeEmu.port,
      protocol: 'http',
      maxNetworkRetries: 2,
    });
    const clock = await stripe.testHelpers.testClocks.create({
      frozen_time: Math.floor(Date.now() / 1000),
      name: 'revsync demo',
    });
    const store = await openStore({ url: storeUrl });
    const gateway = new OutboundGateway();
    const runtime = new Runtime(config, {
      store,
      gateway,
      connectors: buildConnectors(config, gateway, options.logger, { stripeTestClock: clock.id }),
      logger: options.logger,
      engine: { defaultRetry: { maxAttempts: 10, initialDelayMs: 500, maxDelayMs: 15_000 } },
      api: { bootstrapKeys: DEMO_KEYS },
    });
    const url = await runtime.start({ port: options.port });
    closers.push(() => runtime.stop());

    let traffic: DemoTraffic | undefined;
    if (options.traffic) {
      const salesforce = new jsforce.Connection({
        oauth2: {
          clientId: salesforceEmulatorDefaults.clientId,
          clientSecret: salesforceEmulatorDefaults.clientSecret,
          loginUrl: sfEmu.url,
        },
        loginUrl: sfEmu.url,
        version: '62.0',
      });
      await salesforce.authorize({ grant_type: 'client_credentials' });
      const world = await setUpCatalog(stripe, salesforce, clock.id);
      traffic = new DemoTraffic(
        world,
        runtime.usage,
        createRng(options.seed).fork('demo'),
        options.logger,
        {
          ...(options.trafficTickMs !== undefined && { tickMs: options.trafficTickMs }),
        },
      );
      traffic.start();
      closers.push(() => traffic!.stop());
    }
    return {
      url,
      runtime,
      traffic,
      emulators: { stripe: stripeEmu.url, salesforce: sfEmu.url, netsuite: nsEmu.url },
      stop,
    };
  } catch (caught) {
    await stop();
    throw caught;
  }
}
