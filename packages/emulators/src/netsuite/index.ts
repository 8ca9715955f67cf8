import { checkedInteger } from '../kit/index.ts';
import type { Clock, EmulatorApp, FaultConfigInput, FaultPreset } from '../kit/index.ts';
import type { NetsuiteCredentials } from './oauth.ts';
import type { RecordService } from './records.ts';
import { createNetsuiteServer } from './server.ts';
import type { NetsuiteState } from './state.ts';

export type { NetsuiteCredentials } from './oauth.ts';
export type { RecordService } from './records.ts';
export type { NetsuiteState } from './state.ts';

/** Options of {@link startNetsuiteEmulator}; every one has a CLI flag (see {@link netsuiteEmulatorFlags}). */
export interface NetsuiteEmulatorOptions {
  /** Default 12113; 0 picks a free port (tests). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Seeds the fault injector (ids are sequential and need no seed). Default 1. */
  seed?: number;
  /** Fault injection: a preset or a kit fault config. Default `none`. */
  faults?: FaultConfigInput | FaultPreset;
  /** The account id, which every OAuth header's `realm` must equal. Env `NETSUITE_ACCOUNT_ID`. */
  accountId?: string;
  /** Env `NETSUITE_CONSUMER_KEY`. */
  consumerKey?: string;
  /** Env `NETSUITE_CONSUMER_SECRET`. */
  consumerSecret?: string;
  /** The access token id (`oauth_token`). Env `NETSUITE_TOKEN_ID`. */
  tokenId?: string;
  /** Env `NETSUITE_TOKEN_SECRET`. */
  tokenSecret?: string;
  /** An OAuth 2.0 token accepted as `Authorization: Bearer …`. Env `NETSUITE_ACCESS_TOKEN`; none by default. */
  accessToken?: string;
  /** Requests in flight at once for the whole account before 429s. Default 15. */
  concurrencyLimit?: number;
  /** Artificial time each request holds its concurrency slot, ms. Default 0. */
  latencyMs?: number;
  /** How far `oauth_timestamp` may be from the clock, seconds. Default 300. */
  timestampToleranceSeconds?: number;
  /**
   * The clock `oauth_timestamp` is checked against: `emulator` (the admin clock, default) or
   * `system` (real time; use it when you advance the emulator clock but sign with real time).
   */
  oauthClock?: 'emulator' | 'system';
  /** The SuiteQL result cap. Default 100000 (NetSuite's). */
  suiteqlMaxResults?: number;
  /** Where credentials are read from when not given. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A listening emulator. */
export interface RunningEmulator {
  name: string;
  /** `http://host:port`, no trailing slash. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The running NetSuite emulator, with what tests need to sign requests and inspect state. */
export interface NetsuiteEmulator extends RunningEmulator {
  /** The account id (the OAuth `realm`). */
  accountId: string;
  /** What a client signs with. */
  credentials: NetsuiteCredentials;
  /** `${url}/services/rest` — the root a NetSuite client is pointed at. */
  restUrl: string;
  /** The emulator clock (record timestamps; OAuth timestamps unless `oauthClock: 'system'`). */
  clock: Clock;
  /** The in-memory records. */
  state: NetsuiteState;
  /** Creates and changes records directly, with the same validation as the REST API. */
  records: RecordService;
  /** Like `POST /_emulator/reset`: empties records, recreates the seed data, forgets nonces and jobs. */
  reset(): void;
  /** The kit parts (request log, fault injector…). */
  app: EmulatorApp;
}

/** Defaults of every option. */
export const netsuiteEmulatorDefaults = {
  port: 12113,
  host: '127.0.0.1',
  seed: 1,
  faults: 'none',
  accountId: 'TSTDRV1234567',
  consumerKey: 'emulator-consumer-key',
  consumerSecret: 'emulator-consumer-secret',
  tokenId: 'emulator-token-id',
  tokenSecret: 'emulator-token-secret',
  concurrencyLimit: 15,
  latencyMs: 0,
  timestampToleranceSeconds: 300,
  oauthClock: 'emulator',
  suiteqlMaxResults: 100_000,
} as const;

/** One command-line flag of `revsync emulate netsuite`. */
export interface NetsuiteEmulatorFlag {
  flag: string;
  env?: string;
  description: string;
  default: string | number | undefined;
}

const d = netsuiteEmulatorDefaults;

/** The options as command-line flags (kebab-case of the option names). */
export const netsuiteEmulatorFlags: readonly NetsuiteEmulatorFlag[] = [
  { flag: '--port', description: 'port to listen on (0 = any free port)', default: d.port },
  { flag: '--host', description: 'interface to listen on', default: d.host },
  { flag: '--seed', description: 'seed of the fault injector', default: d.seed },
  {
    flag: '--faults',
    description: 'none | light | heavy, or a fault-config JSON',
    default: d.faults,
  },
  {
    flag: '--account-id',
    env: 'NETSUITE_ACCOUNT_ID',
    description: 'account id; the OAuth realm',
    default: d.accountId,
  },
  {
    flag: '--consumer-key',
    env: 'NETSUITE_CONSUMER_KEY',
    description: 'TBA consumer key',
    default: d.consumerKey,
  },
  {
    flag: '--consumer-secret',
    env: 'NETSUITE_CONSUMER_SECRET',
    description: 'TBA consumer secret',
    default: d.consumerSecret,
  },
  {
    flag: '--token-id',
    env: 'NETSUITE_TOKEN_ID',
    description: 'TBA token id (oauth_token)',
    default: d.tokenId,
  },
  {
    flag: '--token-secret',
    env: 'NETSUITE_TOKEN_SECRET',
    description: 'TBA token secret',
    default: d.tokenSecret,
  },
  {
    flag: '--access-token',
    env: 'NETSUITE_ACCESS_TOKEN',
    description: 'OAuth 2.0 bearer token to accept (none: bearer refused)',
    default: undefined,
  },
  {
    flag: '--concurrency-limit',
    description: 'account-wide requests in flight before 429',
    default: d.concurrencyLimit,
  },
  {
    flag: '--latency-ms',
    description: 'artificial latency per request, held inside the concurrency slot',
    default: d.latencyMs,
  },
  {
    flag: '--timestamp-tolerance-seconds',
    description: 'allowed oauth_timestamp skew',
    default: d.timestampToleranceSeconds,
  },
  {
    flag: '--oauth-clock',
    description: 'emulator | system: clock oauth_timestamp is checked against',
    default: d.oauthClock,
  },
  {
    flag: '--suiteql-max-results',
    description: 'SuiteQL result cap',
    default: d.suiteqlMaxResults,
  },
];

const positiveInteger = (name: string, value: number, min: number): number =>
  checkedInteger('startNetsuiteEmulator', name, value, min);

/**
 * Starts the NetSuite emulator: SuiteTalk REST records (`/services/rest/record/v1/…`), SuiteQL
 * (`/services/rest/query/v1/suiteql`) and async jobs, behind OAuth 1.0a Token-Based
 * Authentication and an account-wide concurrency limit. See `docs/emulators-netsuite.md`.
 */
export async function startNetsuiteEmulator(
  options: NetsuiteEmulatorOptions = {},
): Promise<NetsuiteEmulator> {
  const env = options.env ?? process.env;
  const accessToken = options.accessToken ?? env['NETSUITE_ACCESS_TOKEN'];
  const credentials: NetsuiteCredentials = {
    accountId: options.accountId ?? env['NETSUITE_ACCOUNT_ID'] ?? d.accountId,
    consumerKey: options.consumerKey ?? env['NETSUITE_CONSUMER_KEY'] ?? d.consumerKey,
    consumerSecret: options.consumerSecret ?? env['NETSUITE_CONSUMER_SECRET'] ?? d.consumerSecret,
    tokenId: options.tokenId ?? env['NETSUITE_TOKEN_ID'] ?? d.tokenId,
    tokenSecret: options.tokenSecret ?? env['NETSUITE_TOKEN_SECRET'] ?? d.tokenSecret,
    ...(accessToken && { accessToken }),
  };
  const oauthClock = options.oauthClock ?? d.oauthClock;
  if (oauthClock !== 'emulator' && oauthClock !== 'system') {
    throw new RangeError(`startNetsuiteEmulator: oauthClock must be 'emulator' or 'system'`);
  }
  const ns = await createNetsuiteServer({
    port: positiveInteger('port', options.port ?? d.port, 0),
    host: options.host ?? d.host,
    seed: options.seed ?? d.seed,
    faults: options.faults ?? d.faults,
    credentials,
    concurrencyLimit: positiveInteger(
      'concurrencyLimit',
      options.concurrencyLimit ?? d.concurrencyLimit,
      1,
    ),
    latencyMs: positiveInteger('latencyMs', options.latencyMs ?? d.latencyMs, 0),
    timestampToleranceSeconds: positiveInteger(
      'timestampToleranceSeconds',
      options.timestampToleranceSeconds ?? d.timestampToleranceSeconds,
      1,
    ),
    oauthClock,
    suiteqlMaxResults: positiveInteger(
      'suiteqlMaxResults',
      options.suiteqlMaxResults ?? d.suiteqlMaxResults,
      1,
    ),
  });
  const { server } = ns;
  return {
    name: 'netsuite',
    url: server.url,
    port: server.port,
    close: () => server.close(),
    accountId: credentials.accountId,
    credentials,
    restUrl: `${server.url}/services/rest`,
    clock: ns.clock,
    state: ns.state,
    records: ns.records,
    reset: ns.reset,
    app: server.app,
  };
}

export { createNetsuiteTestClient } from './test-client.ts';
