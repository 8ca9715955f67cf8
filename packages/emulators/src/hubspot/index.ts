import type { EmulatorApp, FaultConfig, FaultPreset } from '../kit/index.ts';
import { createHubspotServer } from './server.ts';
import type { HubspotState } from './state.ts';
import type { HubspotWebhooks } from './webhooks.ts';

export type { HubspotCategory, HubspotErrorBody } from './errors.ts';
export type { ObjectType } from './schema.ts';
export { signV1, signV3, type HubspotWebhookEvent } from './webhooks.ts';

/** Options of {@link startHubspotEmulator}. Credentials fall back to environment variables, then defaults. */
export interface HubspotEmulatorOptions {
  /** Default 12114; 0 picks a free port (tests). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 1; record ids and injected faults derive from it. */
  seed?: number;
  faults?: FaultConfig | FaultPreset;
  /** The private app's access token (env `HUBSPOT_ACCESS_TOKEN`, default `pat-na1-revsync-local`). */
  accessToken?: string;
  /** The app's client secret that signs webhooks (env `HUBSPOT_CLIENT_SECRET`, default `revsync-local-client-secret`). */
  clientSecret?: string;
  /** Where webhooks go (env `HUBSPOT_WEBHOOK_URL`); none until set (also by `PUT /_emulator/webhooks`). */
  webhookUrl?: string;
  /** The id of the default pipeline's closed-won stage (default `closedwon`). */
  closedWonStage?: string;
  /** Requests per rolling ten seconds per token (default 190; 0 = unlimited). */
  tenSecondLimit?: number;
  /** Search requests per second per token (default 5; 0 = unlimited). */
  searchPerSecond?: number;
  /** Requests per day (default 1 000 000). */
  dailyLimit?: number;
  /** Delivery attempts per webhook before it is given up (default 10). */
  webhookMaxAttempts?: number;
}

/** A running HubSpot emulator. */
export interface RunningHubspotEmulator {
  name: string;
  /** The SDK's `basePath`. */
  url: string;
  port: number;
  accessToken: string;
  clientSecret: string;
  /** The portal's records (for assertions and direct seeding in tests). */
  state: HubspotState;
  webhooks: HubspotWebhooks;
  /** The kit parts: clock, fault injector, request log. */
  app: EmulatorApp;
  /** Resolves once every webhook delivery has settled. */
  flushWebhooks(): Promise<void>;
  close(): Promise<void>;
}

/** Defaults of the HubSpot emulator. */
export const hubspotEmulatorDefaults = {
  port: 12114,
  host: '127.0.0.1',
  seed: 1,
  accessToken: 'pat-na1-revsync-local',
  clientSecret: 'revsync-local-client-secret',
  appId: 4_242_424,
  closedWonStage: 'closedwon',
  tenSecondLimit: 190,
  searchPerSecond: 5,
  dailyLimit: 1_000_000,
  webhookMaxAttempts: 10,
} as const;

/** One command-line flag of `revsync emulate hubspot`. */
export interface EmulatorFlag {
  flag: string;
  option: keyof HubspotEmulatorOptions;
  env?: string;
  description: string;
  default: string | number | null;
}

/** The emulator's options as CLI flags. */
export const hubspotEmulatorFlags: readonly EmulatorFlag[] = [
  {
    flag: '--port',
    option: 'port',
    description: 'port to listen on (0 = any free port)',
    default: 12114,
  },
  { flag: '--host', option: 'host', description: 'interface to listen on', default: '127.0.0.1' },
  {
    flag: '--seed',
    option: 'seed',
    description: 'seed for record ids and injected faults',
    default: 1,
  },
  {
    flag: '--faults',
    option: 'faults',
    description: 'fault preset: none | light | heavy',
    default: 'none',
  },
  {
    flag: '--access-token',
    option: 'accessToken',
    env: 'HUBSPOT_ACCESS_TOKEN',
    description: 'private app access token accepted as Bearer',
    default: 'pat-na1-revsync-local',
  },
  {
    flag: '--client-secret',
    option: 'clientSecret',
    env: 'HUBSPOT_CLIENT_SECRET',
    description: 'app client secret that signs webhooks (X-HubSpot-Signature-v3)',
    default: 'revsync-local-client-secret',
  },
  {
    flag: '--webhook-url',
    option: 'webhookUrl',
    env: 'HUBSPOT_WEBHOOK_URL',
    description: 'where webhooks are delivered (none by default)',
    default: null,
  },
  {
    flag: '--closed-won-stage',
    option: 'closedWonStage',
    description: 'id of the default pipeline stage that is closed won',
    default: 'closedwon',
  },
  {
    flag: '--ten-second-limit',
    option: 'tenSecondLimit',
    description: 'requests per rolling 10 s per token (0 = unlimited)',
    default: 190,
  },
  {
    flag: '--search-per-second',
    option: 'searchPerSecond',
    description: 'search requests per second per token (0 = unlimited)',
    default: 5,
  },
];

/**
 * Starts the HubSpot emulator: CRM objects v3 (companies, contacts, deals, line items, products:
 * basic, batch incl. upsert by a unique `idProperty`, search), associations v4, deal pipelines,
 * properties, private-app token auth, HubSpot's rate limits and error bodies, and signed
 * webhooks v3. `@hubspot/api-client` works against it with `basePath` set to `url`.
 *
 * @example
 * const hs = await startHubspotEmulator({ port: 0 });
 * const client = new Client({ accessToken: hs.accessToken, basePath: hs.url });
 */
export async function startHubspotEmulator(
  options: HubspotEmulatorOptions = {},
): Promise<RunningHubspotEmulator> {
  const d = hubspotEmulatorDefaults;
  const env = process.env;
  const accessToken = options.accessToken ?? env['HUBSPOT_ACCESS_TOKEN'] ?? d.accessToken;
  const clientSecret = options.clientSecret ?? env['HUBSPOT_CLIENT_SECRET'] ?? d.clientSecret;
  const { server, state, webhooks } = await createHubspotServer({
    port: options.port ?? d.port,
    host: options.host ?? d.host,
    seed: options.seed ?? d.seed,
    faults: options.faults ?? 'none',
    accessToken,
    clientSecret,
    appId: d.appId,
    closedWonStage: options.closedWonStage ?? d.closedWonStage,
    tenSecondLimit: options.tenSecondLimit ?? d.tenSecondLimit,
    searchPerSecond: options.searchPerSecond ?? d.searchPerSecond,
    dailyLimit: options.dailyLimit ?? d.dailyLimit,
    webhookUrl: options.webhookUrl ?? env['HUBSPOT_WEBHOOK_URL'],
    webhookMaxAttempts: options.webhookMaxAttempts ?? d.webhookMaxAttempts,
  });
  return {
    name: 'hubspot',
    url: server.url,
    port: server.port,
    accessToken,
    clientSecret,
    state,
    webhooks,
    app: server.app,
    flushWebhooks: () => webhooks.dispatcher.idle(),
    close: () => server.close(),
  };
}
