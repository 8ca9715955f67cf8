import type * as kit from '../kit/index.ts';
import { runDue } from './billing.ts';
import { createChargebeeServer } from './server.ts';
import type { ChargebeeState, EventObject } from './state.ts';

export type { ChargebeeState, EventObject } from './state.ts';
export { basicAuthHeader } from './webhooks.ts';
export { prorate } from './billing.ts';

/** Options of {@link startChargebeeEmulator}. */
export interface ChargebeeEmulatorOptions {
  /** Default 12115; 0 = an ephemeral port (tests). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 1; ids and random choices derive from it. */
  seed?: number;
  /** Fault injection: a kit fault config or a preset (default `none`). */
  faults?: kit.FaultConfigInput | kit.FaultPreset;
  /** Accept only this API key; by default any `test_…` key works. */
  apiKey?: string;
  /** Requests per minute per API key (Chargebee test sites: 150); 0 turns the limiter off. */
  ratePerMinute?: number;
  /** Tax rate in percent by billing country (default GB 20, DE 19, FR 20, NL 21, IE 23). */
  taxRates?: Record<string, number>;
  /** Send every event here (Basic auth with `webhookUsername`/`webhookPassword` when given). */
  webhookUrl?: string;
  webhookUsername?: string;
  webhookPassword?: string;
  /** Delivery attempts before a webhook is given up (default 5). */
  webhookMaxAttempts?: number;
  /** First retry delay in real ms, doubled per attempt up to 30 s (default 500). */
  webhookBackoffMs?: number;
  /** The site clock (default: real time; the time machine moves it). */
  clock?: kit.Clock;
}

/** A running Chargebee emulator, with extras for tests. */
export interface ChargebeeEmulator {
  name: string;
  url: string;
  port: number;
  /** The `site` to give the SDK together with `hostSuffix: ''` (the emulator's host). */
  site: string;
  close(): Promise<void>;
  state: ChargebeeState;
  clock: kit.Clock;
  app: kit.EmulatorApp;
  /** Registers a webhook endpoint (Basic auth when `username` is given). */
  webhookEndpoint(url: string, auth?: { username: string; password: string }): { id: string };
  /** Resolves when every webhook delivery has settled. */
  flushWebhooks(): Promise<void>;
  /** Renews what fell due on the site clock; returns how many subscriptions moved. */
  runBilling(): number;
  /** Recorded events, oldest first, optionally of one type. */
  events(type?: string): EventObject[];
  /** Empties the site (like `POST /_emulator/reset`), optionally with a new seed. */
  reset(seed?: number): void;
}

export const chargebeeEmulatorDefaults = {
  port: 12115,
  host: '127.0.0.1',
  seed: 1,
  /** Any `test_…` key is accepted unless `apiKey` is set. */
  apiKey: 'test_chargebee_emulator',
  ratePerMinute: 150,
  taxRates: { GB: 20, DE: 19, FR: 20, NL: 21, IE: 23 } as Record<string, number>,
  webhookMaxAttempts: 5,
  webhookBackoffMs: 500,
} as const;

/** One command-line flag of `revsync emulate chargebee`. */
export interface EmulatorFlag {
  flag: string;
  env?: string;
  description: string;
  default: string | number | null;
}

export const chargebeeEmulatorFlags: readonly EmulatorFlag[] = [
  { flag: '--port', description: 'Port to listen on (0 = any free port)', default: 12115 },
  { flag: '--host', description: 'Interface to listen on', default: '127.0.0.1' },
  { flag: '--seed', description: 'Seed for ids and random choices', default: 1 },
  {
    flag: '--faults',
    description: 'Fault preset (none|light|heavy) or a JSON fault config',
    default: 'none',
  },
  {
    flag: '--api-key',
    env: 'CHARGEBEE_API_KEY',
    description: 'Accept only this API key (default: any test_… key)',
    default: null,
  },
  {
    flag: '--rate-per-minute',
    description: 'Requests per minute per API key (0 = off)',
    default: 150,
  },
  {
    flag: '--webhook-url',
    env: 'CHARGEBEE_WEBHOOK_URL',
    description: 'Send every event to this URL',
    default: null,
  },
  {
    flag: '--webhook-username',
    env: 'CHARGEBEE_WEBHOOK_USERNAME',
    description: 'Basic auth user name of webhook deliveries',
    default: null,
  },
  {
    flag: '--webhook-password',
    env: 'CHARGEBEE_WEBHOOK_PASSWORD',
    description: 'Basic auth password of webhook deliveries',
    default: null,
  },
];

/**
 * Starts the Chargebee emulator: the `/api/v2` API the `chargebee` SDK (v3) uses for product
 * catalog 2.0 billing — item families, items, item prices, customers, payment sources,
 * subscriptions with items (create, `update_for_items` with day-based proration and
 * `invoice_immediately`, cancel), invoices, credit notes, transactions, unbilled charges, events
 * and the `delorean` time machine — with HTTP Basic auth, `chargebee-idempotency-key`,
 * `limit`/`offset` paging, Chargebee error bodies, 429s with `Retry-After`, and webhooks with
 * Basic auth.
 *
 * @example
 * const emu = await startChargebeeEmulator({ port: 0 });
 * const cb = new Chargebee({ site: emu.site, apiKey: 'test_x', hostSuffix: '', protocol: 'http', port: emu.port });
 */
export async function startChargebeeEmulator(
  options: ChargebeeEmulatorOptions = {},
): Promise<ChargebeeEmulator> {
  const d = chargebeeEmulatorDefaults;
  const s = await createChargebeeServer({
    port: options.port ?? d.port,
    host: options.host ?? d.host,
    seed: options.seed ?? d.seed,
    faults: options.faults ?? 'none',
    apiKey: options.apiKey,
    ratePerMinute: options.ratePerMinute ?? d.ratePerMinute,
    taxRates: options.taxRates ?? d.taxRates,
    webhookMaxAttempts: options.webhookMaxAttempts ?? d.webhookMaxAttempts,
    webhookBackoffMs: options.webhookBackoffMs ?? d.webhookBackoffMs,
    ...(options.clock && { clock: options.clock }),
  });
  const { ctx, server, webhooks } = s;
  const addEndpoint = (url: string, auth?: { username: string; password: string }) => {
    const ep = { id: `whep_${webhooks.endpoints.length + 1}`, url, ...(auth && auth) };
    webhooks.endpoints.push(ep);
    return { id: ep.id };
  };
  if (options.webhookUrl) {
    addEndpoint(
      options.webhookUrl,
      options.webhookUsername !== undefined
        ? { username: options.webhookUsername, password: options.webhookPassword ?? '' }
        : undefined,
    );
  }
  return {
    name: 'chargebee',
    url: server.url,
    port: server.port,
    site: new URL(server.url).hostname,
    close: () => server.close(),
    state: ctx.state,
    clock: ctx.clock,
    app: server.app,
    webhookEndpoint: addEndpoint,
    flushWebhooks: () => webhooks.dispatcher.idle(),
    runBilling: () => runDue(ctx),
    events: (type) => ctx.state.events.filter((e) => type === undefined || e.event_type === type),
    reset: (seed) => s.reset(seed),
  };
}
