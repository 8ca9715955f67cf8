import { checkedInteger } from '../kit/index.ts';
import type { Clock, EmulatorApp, FaultConfigInput, FaultPreset } from '../kit/index.ts';
import type { Books, RealmSeed } from './books.ts';
import type { QuickbooksOAuth } from './oauth.ts';
import { createQuickbooksServer } from './server.ts';

export type { Books, BookClose, QboRecord, Realm, RealmSeed } from './books.ts';
export type { QuickbooksOAuth } from './oauth.ts';
export { parseQuery, runQuery } from './query.ts';

/** Options of {@link startQuickbooksEmulator}; the scalar ones have CLI flags. */
export interface QuickbooksEmulatorOptions {
  /** Default 12116; 0 picks a free port (tests). */
  port?: number;
  host?: string;
  /** Seeds faults and token values. Default 1. */
  seed?: number;
  faults?: FaultConfigInput | FaultPreset;
  /**
   * The companies. Default {@link quickbooksEmulatorDefaults}.realms: a USD, a GBP and a EUR
   * company (the simulator's regions), so `revsync emulate quickbooks` serves it too.
   */
  realms?: readonly RealmSeed[];
  /** Env `QUICKBOOKS_CLIENT_ID`. */
  clientId?: string;
  /** Env `QUICKBOOKS_CLIENT_SECRET`. */
  clientSecret?: string;
  /**
   * The refresh token each realm accepts from the start. Default
   * `${refreshTokenPrefix}${realmId}` for every realm.
   */
  refreshTokens?: Record<string, string>;
  /** Access-token lifetime in seconds. Default 3600 (Intuit's). */
  accessTokenSeconds?: number;
  /** Requests per minute per realm before 429. Default 500; 0 = no limit. */
  ratePerMinute?: number;
  /** Requests in flight per realm before 429. Default 10. */
  concurrencyLimit?: number;
  latencyMs?: number;
  /**
   * Validation fault codes answered with HTTP 200 and a `Fault` body, as QuickBooks does for
   * some. Default `6140` (duplicate document number) and `6240` (duplicate name).
   */
  fault200Codes?: readonly string[];
  /** Objects one CDC answer holds at most. Default 1000 (Intuit's). */
  cdcMaxResults?: number;
  /** Where data-change webhooks go, signed with `verifierToken` (`intuit-signature`). */
  webhookUrl?: string;
  /** Env `QUICKBOOKS_WEBHOOK_VERIFIER`. */
  verifierToken?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

/** A running QuickBooks emulator. */
export interface QuickbooksEmulator {
  name: string;
  url: string;
  port: number;
  close(): Promise<void>;
  /** `${url}/oauth2/v1/tokens/bearer`: point `intuit-oauth` here (`setAuthorizeURLs`). */
  tokenUrl: string;
  /** The realms' ids, in order. */
  realmIds: string[];
  clientId: string;
  clientSecret: string;
  /** realmId → the refresh token it accepts. */
  refreshTokens: Record<string, string>;
  verifierToken: string;
  clock: Clock;
  /** The companies' objects (replaced on reset: read it again after one). */
  readonly books: Books;
  oauth: QuickbooksOAuth;
  reset(): void;
  webhooksIdle(): Promise<void>;
  app: EmulatorApp;
}

export const quickbooksEmulatorDefaults = {
  port: 12116,
  host: '127.0.0.1',
  seed: 1,
  faults: 'none',
  realmId: '9341450000000001',
  realms: [
    { realmId: '9341450000000001', homeCurrency: 'USD', companyName: 'Revsync Sim Inc.' },
    { realmId: '9341450000000002', homeCurrency: 'GBP', companyName: 'Revsync Sim Ltd' },
    { realmId: '9341450000000003', homeCurrency: 'EUR', companyName: 'Revsync Sim SAS' },
  ] as readonly RealmSeed[],
  clientId: 'emulator-client-id',
  clientSecret: 'emulator-client-secret',
  refreshTokenPrefix: 'RT1-emulator-',
  verifierToken: 'emulator-verifier-token',
  accessTokenSeconds: 3600,
  ratePerMinute: 500,
  concurrencyLimit: 10,
  latencyMs: 0,
  cdcMaxResults: 1000,
} as const;

const d = quickbooksEmulatorDefaults;

/** One flag of `revsync emulate quickbooks`. */
export interface QuickbooksEmulatorFlag {
  flag: string;
  env?: string;
  description: string;
  default: string | number | undefined;
}

export const quickbooksEmulatorFlags: readonly QuickbooksEmulatorFlag[] = [
  { flag: '--port', description: 'port to listen on (0 = any free port)', default: d.port },
  { flag: '--host', description: 'interface to listen on', default: d.host },
  { flag: '--seed', description: 'seed of faults and tokens', default: d.seed },
  {
    flag: '--faults',
    description: 'none | light | heavy, or a fault-config JSON',
    default: d.faults,
  },
  {
    flag: '--client-id',
    env: 'QUICKBOOKS_CLIENT_ID',
    description: 'OAuth client id',
    default: d.clientId,
  },
  {
    flag: '--client-secret',
    env: 'QUICKBOOKS_CLIENT_SECRET',
    description: 'OAuth client secret',
    default: d.clientSecret,
  },
  {
    flag: '--verifier-token',
    env: 'QUICKBOOKS_WEBHOOK_VERIFIER',
    description: 'webhook verifier token',
    default: d.verifierToken,
  },
  {
    flag: '--webhook-url',
    description: 'where data-change webhooks go (none by default)',
    default: undefined,
  },
  {
    flag: '--rate-per-minute',
    description: 'requests a minute per realm before 429 (0: no limit)',
    default: d.ratePerMinute,
  },
  {
    flag: '--concurrency-limit',
    description: 'requests in flight per realm before 429',
    default: d.concurrencyLimit,
  },
  { flag: '--latency-ms', description: 'artificial latency per request', default: d.latencyMs },
  {
    flag: '--cdc-max-results',
    description: 'objects one CDC answer holds at most',
    default: d.cdcMaxResults,
  },
];

const integer = (name: string, value: number, min: number): number =>
  checkedInteger('startQuickbooksEmulator', name, value, min);

/**
 * Starts the QuickBooks Online emulator: Intuit OAuth 2.0 and the v3 accounting API
 * (`/v3/company/<realmId>/…`: entities, query, CDC) for one or more companies. See
 * `docs/emulators.md`.
 */
export async function startQuickbooksEmulator(
  options: QuickbooksEmulatorOptions = {},
): Promise<QuickbooksEmulator> {
  const env = options.env ?? process.env;
  const realms = options.realms ?? d.realms;
  if (realms.length === 0) throw new RangeError('startQuickbooksEmulator: at least one realm');
  const refreshTokens =
    options.refreshTokens ??
    Object.fromEntries(realms.map((r) => [r.realmId, `${d.refreshTokenPrefix}${r.realmId}`]));
  const clientId = options.clientId ?? env['QUICKBOOKS_CLIENT_ID'] ?? d.clientId;
  const clientSecret = options.clientSecret ?? env['QUICKBOOKS_CLIENT_SECRET'] ?? d.clientSecret;
  const verifierToken =
    options.verifierToken ?? env['QUICKBOOKS_WEBHOOK_VERIFIER'] ?? d.verifierToken;
  const qb = await createQuickbooksServer({
    port: integer('port', options.port ?? d.port, 0),
    host: options.host ?? d.host,
    seed: options.seed ?? d.seed,
    faults: options.faults ?? d.faults,
    realms,
    oauth: {
      clientId,
      clientSecret,
      defaultRealmId: realms[0]!.realmId,
      refreshTokens,
      accessTokenSeconds: integer(
        'accessTokenSeconds',
        options.accessTokenSeconds ?? d.accessTokenSeconds,
        1,
      ),
    },
    ratePerMinute: integer('ratePerMinute', options.ratePerMinute ?? d.ratePerMinute, 0),
    concurrencyLimit: integer(
      'concurrencyLimit',
      options.concurrencyLimit ?? d.concurrencyLimit,
      1,
    ),
    latencyMs: integer('latencyMs', options.latencyMs ?? d.latencyMs, 0),
    fault200Codes: options.fault200Codes ?? ['6140', '6240'],
    cdcMaxResults: integer('cdcMaxResults', options.cdcMaxResults ?? d.cdcMaxResults, 1),
    ...(options.webhookUrl !== undefined && {
      webhook: { url: options.webhookUrl, verifierToken },
    }),
  });
  const { server } = qb;
  return {
    name: 'quickbooks',
    url: server.url,
    port: server.port,
    close: () => server.close(),
    tokenUrl: `${server.url}/oauth2/v1/tokens/bearer`,
    realmIds: realms.map((r) => r.realmId),
    clientId,
    clientSecret,
    refreshTokens,
    verifierToken,
    clock: qb.clock,
    get books() {
      return qb.books;
    },
    oauth: qb.oauth,
    reset: qb.reset,
    webhooksIdle: qb.webhooksIdle,
    app: server.app,
  };
}
export { createQuickbooksTestClient } from './test-client.ts';
export type { QuickbooksAnswer, QuickbooksTestClientOptions } from './test-client.ts';
