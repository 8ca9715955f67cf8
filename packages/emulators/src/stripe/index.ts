import type * as kit from '../kit/index.ts';
import { createStripeServer } from './server.ts';
import type { StripeEvent, StripeState, WebhookEndpointObject } from './state.ts';

export type { StripeEvent, StripeState } from './state.ts';

/** The API version this emulator speaks (that of the installed `stripe` SDK). */
export const STRIPE_API_VERSION = '2026-10-28.endive';

/** Options of {@link startStripeEmulator}. */
export interface StripeEmulatorOptions {
  /** Default 12111 (where stripe-mock listens); 0 = an ephemeral port (tests). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 1; every id, request id and random choice derives from it. */
  seed?: number;
  /** Fault injection: a kit fault config or a preset (default `none`). */
  faults?: kit.FaultConfigInput | kit.FaultPreset;
  /** Accept only this secret key; by default any well-formed `sk_test_…` / `rk_test_…` key works. */
  apiKey?: string;
  /** Requests per second per API key, like Stripe's test mode (default 25); 0 turns it off. */
  rateLimit?: number;
  /** Forward every event to this URL, like `stripe listen --forward-to` (default: none). */
  webhookUrl?: string;
  /** Signing secret for `webhookUrl` (default `whsec_stripe_emulator`). */
  webhookSecret?: string;
  /** Delivery attempts before a webhook is given up (default 5). */
  webhookMaxAttempts?: number;
  /** First retry delay in real ms, doubled each attempt up to 30 s (default 500). */
  webhookBackoffMs?: number;
  /**
   * Webhook deliveries in flight to one endpoint (default 1: in order, reproducibly). Stripe
   * sends concurrently; a load test wants more.
   */
  webhookConcurrency?: number;
  /** `api_version` of events and the default `Stripe-Version` (default {@link STRIPE_API_VERSION}). */
  apiVersion?: string;
  /** The emulator clock (default: real time, movable through `/_emulator/clock/*`). */
  clock?: kit.Clock;
}

/** What every emulator's start function returns. */
export interface RunningEmulator {
  name: string;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A running Stripe emulator, with extras for tests. */
export interface StripeEmulator extends RunningEmulator {
  /** The live in-memory account (read it; change it only if you know why). */
  state: StripeState;
  /** The emulator clock (customers without a test clock live on it). */
  clock: kit.Clock;
  /** The kit parts: request log, fault injector, rng. */
  app: kit.EmulatorApp;
  /** Secret of the `webhookUrl` listener, if one was configured. */
  webhookSecret: string | undefined;
  /** Registers a webhook endpoint for `enabledEvents` (default every event) and returns its signing secret. */
  webhookEndpoint(url: string, enabledEvents?: string[]): { id: string; secret: string };
  /** Resolves when test clock advances are done and every webhook delivery has settled. */
  flushWebhooks(): Promise<void>;
  /** Moves the emulator clock forward and bills what fell due (renewals, finalizations). */
  advanceClock(ms: number): number;
  /** Bills what is due on the emulator clock now; returns how many steps ran. */
  runBilling(): number;
  /** Recorded events, oldest first, optionally of one type. */
  events(type?: string): StripeEvent[];
  /** Empties the account (like `POST /_emulator/reset`), optionally with a new seed. */
  reset(seed?: number): void;
}

/** Defaults, including the credentials a client can use. */
export const stripeEmulatorDefaults = {
  port: 12111,
  host: '127.0.0.1',
  seed: 1,
  /** Any `sk_test_…` key is accepted unless `apiKey` is set; this one is as good as any. */
  apiKey: 'sk_test_emulator',
  rateLimit: 25,
  webhookSecret: 'whsec_stripe_emulator',
  webhookMaxAttempts: 5,
  webhookBackoffMs: 500,
  webhookConcurrency: 1,
  apiVersion: STRIPE_API_VERSION,
} as const;

/** One command-line flag of `revsync emulate stripe`. */
export interface EmulatorFlag {
  flag: string;
  env?: string;
  description: string;
  default: string | number | null;
}

/** The flags `revsync emulate stripe` offers. */
export const stripeEmulatorFlags: readonly EmulatorFlag[] = [
  { flag: '--port', description: 'Port to listen on (0 = any free port)', default: 12111 },
  { flag: '--host', description: 'Interface to listen on', default: '127.0.0.1' },
  { flag: '--seed', description: 'Seed for ids and random choices', default: 1 },
  {
    flag: '--faults',
    description: 'Fault preset (none|light|heavy) or a JSON fault config',
    default: 'none',
  },
  {
    flag: '--api-key',
    env: 'STRIPE_API_KEY',
    description: 'Accept only this secret key (default: any sk_test_… key)',
    default: null,
  },
  { flag: '--rate-limit', description: 'Requests per second per API key (0 = off)', default: 25 },
  {
    flag: '--webhook-url',
    env: 'STRIPE_WEBHOOK_URL',
    description: 'Forward every event to this URL (like stripe listen --forward-to)',
    default: null,
  },
  {
    flag: '--webhook-secret',
    env: 'STRIPE_WEBHOOK_SECRET',
    description: 'Signing secret for --webhook-url',
    default: 'whsec_stripe_emulator',
  },
  {
    flag: '--webhook-concurrency',
    description: 'Webhook deliveries in flight to one endpoint (1 = one at a time, in order)',
    default: 1,
  },
  {
    flag: '--api-version',
    description: 'API version of events and responses',
    default: STRIPE_API_VERSION,
  },
];

/**
 * Starts the Stripe emulator: the v1 API the `stripe` SDK (API version 2026-10-28.endive)
 * uses for billing — customers, products, prices, tax rates, payment methods, payment intents,
 * charges, refunds, subscriptions with prorations, invoices, invoice items, credit notes, test
 * clocks, events and signed webhooks — with Stripe's auth, idempotency, pagination, errors and
 * rate limits.
 *
 * @example
 * const emu = await startStripeEmulator({ port: 0 });
 * const stripe = new Stripe('sk_test_x', { host: '127.0.0.1', port: emu.port, protocol: 'http' });
 */
export async function startStripeEmulator(
  options: StripeEmulatorOptions = {},
): Promise<StripeEmulator> {
  const d = stripeEmulatorDefaults;
  const webhookSecret = options.webhookSecret ?? d.webhookSecret;
  const s = await createStripeServer({
    port: options.port ?? d.port,
    host: options.host ?? d.host,
    seed: options.seed ?? d.seed,
    faults: options.faults ?? 'none',
    apiKey: options.apiKey,
    rateLimit: options.rateLimit ?? d.rateLimit,
    apiVersion: options.apiVersion ?? d.apiVersion,
    webhookUrl: options.webhookUrl,
    webhookSecret,
    webhookMaxAttempts: options.webhookMaxAttempts ?? d.webhookMaxAttempts,
    webhookBackoffMs: options.webhookBackoffMs ?? d.webhookBackoffMs,
    webhookConcurrency: options.webhookConcurrency ?? d.webhookConcurrency,
    ...(options.clock && { clock: options.clock }),
  });
  const { ctx, server } = s;
  return {
    name: 'stripe',
    url: server.url,
    port: server.port,
    close: () => server.close(),
    state: ctx.state,
    clock: ctx.clock,
    app: server.app,
    webhookSecret: options.webhookUrl ? webhookSecret : undefined,
    webhookEndpoint(url, enabledEvents = ['*']) {
      const we: WebhookEndpointObject = {
        id: ctx.ids.next('we'),
        object: 'webhook_endpoint',
        api_version: null,
        application: null,
        created: ctx.clock.nowSeconds(),
        description: null,
        enabled_events: enabledEvents,
        livemode: false,
        metadata: {},
        secret: `whsec_${ctx.ids.chars(32)}`,
        status: 'enabled',
        url,
      };
      ctx.state.webhookEndpoints.add(we);
      return { id: we.id, secret: we.secret };
    },
    async flushWebhooks() {
      await s.testClocksIdle();
      await s.webhooks.dispatcher.idle();
    },
    advanceClock(ms) {
      ctx.clock.advance(ms);
      return s.sweep();
    },
    runBilling: () => s.sweep(),
    events: (type) =>
      [...ctx.state.events.values()].filter((e) => type === undefined || e.type === type),
    reset: (seed) => s.reset(seed),
  };
}
