import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EmulatorApp, FaultConfig, FaultPreset } from '../kit/index.ts';
import { createSalesforceServer } from './server.ts';
import type { SalesforceState } from './state.ts';

export type {
  ChangeEvent,
  ChangeEventHeader,
  ChangeEventPage,
  ChangeType,
} from './change-events.ts';
export type { SalesforceErrorItem } from './errors.ts';

/** Options of {@link startSalesforceEmulator}. Credentials fall back to environment variables, then defaults. */
export interface SalesforceEmulatorOptions {
  /** Default 12112; 0 picks a free port (tests). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 1; record ids, tokens and injected faults derive from it. */
  seed?: number;
  faults?: FaultConfig | FaultPreset;
  /** Connected app consumer key (env `SALESFORCE_CLIENT_ID`, default `revsync-local`). */
  clientId?: string;
  /** Connected app consumer secret (env `SALESFORCE_CLIENT_SECRET`, default `revsync-local-secret`). */
  clientSecret?: string;
  /** A fixed access token that is always valid (env `SALESFORCE_ACCESS_TOKEN`, default `revsync-local-token`). */
  accessToken?: string;
  /**
   * PEM public key (or certificate, or a path to one) that verifies JWT bearer assertions
   * (env `SALESFORCE_JWT_PUBLIC_KEY`); without it the JWT bearer grant is refused.
   */
  jwtPublicKey?: string;
  /** Daily API request allowance, rolling 24 h of emulator time (default 100000). */
  dailyApiLimit?: number;
  /** Idle seconds (emulator clock) after which an issued token expires; 0 = never (default 7200). */
  sessionTimeoutSeconds?: number;
}

/** What every emulator returns. */
export interface RunningEmulator {
  name: string;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A running Salesforce emulator. */
export interface RunningSalesforceEmulator extends RunningEmulator {
  /** Login URL and instance URL alike (`http://127.0.0.1:12112`). */
  loginUrl: string;
  clientId: string;
  clientSecret: string;
  /** The fixed access token. */
  accessToken: string;
  /** The org's records, schema and change events (for assertions and direct seeding in tests). */
  state: SalesforceState;
  /** The kit parts: clock, fault injector, request log. */
  app: EmulatorApp;
}

/** Defaults of the Salesforce emulator. */
export const salesforceEmulatorDefaults = {
  port: 12112,
  host: '127.0.0.1',
  seed: 1,
  clientId: 'revsync-local',
  clientSecret: 'revsync-local-secret',
  accessToken: 'revsync-local-token',
  dailyApiLimit: 100_000,
  sessionTimeoutSeconds: 7200,
} as const;

/** One command-line flag of `revsync emulate salesforce`. */
export interface EmulatorFlag {
  flag: string;
  /** The option it sets. */
  option: keyof SalesforceEmulatorOptions;
  env?: string;
  description: string;
  default: string | number | null;
}

/** The emulator's options as CLI flags. */
export const salesforceEmulatorFlags: readonly EmulatorFlag[] = [
  {
    flag: '--port',
    option: 'port',
    description: 'port to listen on (0 = any free port)',
    default: 12112,
  },
  { flag: '--host', option: 'host', description: 'interface to listen on', default: '127.0.0.1' },
  {
    flag: '--seed',
    option: 'seed',
    description: 'seed for record ids, tokens and injected faults',
    default: 1,
  },
  {
    flag: '--faults',
    option: 'faults',
    description: 'fault preset: none | light | heavy',
    default: 'none',
  },
  {
    flag: '--client-id',
    option: 'clientId',
    env: 'SALESFORCE_CLIENT_ID',
    description: 'connected app consumer key accepted by the token endpoint',
    default: 'revsync-local',
  },
  {
    flag: '--client-secret',
    option: 'clientSecret',
    env: 'SALESFORCE_CLIENT_SECRET',
    description: 'connected app consumer secret',
    default: 'revsync-local-secret',
  },
  {
    flag: '--access-token',
    option: 'accessToken',
    env: 'SALESFORCE_ACCESS_TOKEN',
    description: 'fixed access token that is always accepted',
    default: 'revsync-local-token',
  },
  {
    flag: '--jwt-public-key',
    option: 'jwtPublicKey',
    env: 'SALESFORCE_JWT_PUBLIC_KEY',
    description: 'PEM public key / certificate (or its file path) verifying JWT bearer assertions',
    default: null,
  },
  {
    flag: '--daily-api-limit',
    option: 'dailyApiLimit',
    description: 'API requests allowed per rolling 24 h before 403 REQUEST_LIMIT_EXCEEDED',
    default: 100_000,
  },
  {
    flag: '--session-timeout-seconds',
    option: 'sessionTimeoutSeconds',
    description: 'idle seconds before an issued access token expires (0 = never)',
    default: 7200,
  },
];

function loadPublicKey(value: string | undefined): KeyObject | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const pem = value.includes('-----BEGIN')
    ? value.replace(/\\n/g, '\n')
    : readFileSync(value, 'utf8');
  return createPublicKey(pem);
}

/**
 * Starts the Salesforce emulator: OAuth (client credentials, JWT bearer, fixed token), the REST
 * API (sObjects, upsert by external id, SOQL query/queryAll with paging, composite, sObject
 * collections, limits) and change events under `/_emulator/cdc/events`. `jsforce` works
 * against it unchanged with `loginUrl`/`instanceUrl` set to `url`.
 *
 * @example
 * const sf = await startSalesforceEmulator({ port: 0 });
 * const conn = new jsforce.Connection({ instanceUrl: sf.url, accessToken: sf.accessToken });
 */
export async function startSalesforceEmulator(
  options: SalesforceEmulatorOptions = {},
): Promise<RunningSalesforceEmulator> {
  const d = salesforceEmulatorDefaults;
  const env = process.env;
  const clientId = options.clientId ?? env['SALESFORCE_CLIENT_ID'] ?? d.clientId;
  const clientSecret = options.clientSecret ?? env['SALESFORCE_CLIENT_SECRET'] ?? d.clientSecret;
  const accessToken = options.accessToken ?? env['SALESFORCE_ACCESS_TOKEN'] ?? d.accessToken;
  const { server, state } = await createSalesforceServer({
    port: options.port ?? d.port,
    host: options.host ?? d.host,
    seed: options.seed ?? d.seed,
    faults: options.faults ?? 'none',
    dailyApiLimit: options.dailyApiLimit ?? d.dailyApiLimit,
    oauth: {
      clientId,
      clientSecret,
      accessToken,
      jwtPublicKey: loadPublicKey(options.jwtPublicKey ?? env['SALESFORCE_JWT_PUBLIC_KEY']),
      sessionTimeoutSeconds: options.sessionTimeoutSeconds ?? d.sessionTimeoutSeconds,
    },
  });
  return {
    name: 'salesforce',
    url: server.url,
    port: server.port,
    loginUrl: server.url,
    clientId,
    clientSecret,
    accessToken,
    state,
    app: server.app,
    close: () => server.close(),
  };
}
