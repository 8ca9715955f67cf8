import { checkedInteger } from '../kit/index.ts';
import type { Clock, EmulatorApp, FaultConfigInput, FaultPreset } from '../kit/index.ts';
import type { CompanySeed, Ledger } from './ledger.ts';
import { guidFrom } from './ledger.ts';
import type { Notifier } from './notifications.ts';
import { BC_SCOPE, type EntraOAuth } from './oauth.ts';
import { createBusinessCentralServer } from './server.ts';

export type { CompanySeed, CompanyState, Ledger, PostedPayment, SalesDoc } from './ledger.ts';
export type { NotificationDelivery, Subscription } from './notifications.ts';
export type { EntraOAuth } from './oauth.ts';
export { BC_SCOPE } from './oauth.ts';
export { parseFilter, evalFilter } from './odata.ts';

/** Options of {@link startBusinessCentralEmulator}; the scalar ones have CLI flags. */
export interface BusinessCentralEmulatorOptions {
  /** Default 12117; 0 picks a free port (tests). */
  port?: number;
  host?: string;
  seed?: number;
  faults?: FaultConfigInput | FaultPreset;
  /** Default: a US (USD), a UK (GBP) and a JP (JPY) company. */
  companies?: readonly CompanySeed[];
  /** Extra companies appended to `companies` (JSON on the command line). */
  extraCompanies?: readonly CompanySeed[];
  /** Environment names served. Default `production` and `sandbox`. */
  environments?: readonly string[];
  /** Env `BC_TENANT_ID`. */
  tenantId?: string;
  /** Env `BC_CLIENT_ID`. */
  clientId?: string;
  /** Env `BC_CLIENT_SECRET`. */
  clientSecret?: string;
  accessTokenSeconds?: number;
  /** Host the discovery documents name. Default `login.microsoftonline.com`. */
  authorityHost?: string;
  /** Requests per client per `rateWindowMs`. Default 6000 (BC's per 5 minutes); 0 = no limit. */
  rateLimit?: number;
  rateWindowMs?: number;
  /** Default 100 (BC's). */
  concurrencyLimit?: number;
  /** Rows a page holds before `@odata.nextLink`. Default 20000 (BC's). */
  pageSize?: number;
  /** Default 100. */
  batchLimit?: number;
  /** Subscription lifetime, ms. Default 3 days. */
  subscriptionMs?: number;
  notificationMaxAttempts?: number;
  notificationRetryMs?: number;
  notificationTimeoutMs?: number;
  env?: Readonly<Record<string, string | undefined>>;
}

export interface BusinessCentralEmulator {
  name: string;
  url: string;
  port: number;
  close(): Promise<void>;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  /** `${url}/${tenantId}/oauth2/v2.0/token` */
  tokenUrl: string;
  /** Host the discovery documents name; map `https://<authorityHost>` to `url`. */
  authorityHost: string;
  environments: string[];
  /** `${url}/v2.0/${tenantId}/${environment}/api/v2.0` */
  apiBase(environment?: string): string;
  /** The companies' ids in order. */
  companyIds: string[];
  clock: Clock;
  readonly ledger: Ledger;
  oauth: EntraOAuth;
  notifier: Notifier;
  reset(): void;
  notificationsIdle(): Promise<void>;
  app: EmulatorApp;
}

export const businessCentralEmulatorDefaults = {
  port: 12117,
  host: '127.0.0.1',
  seed: 1,
  faults: 'none',
  tenantId: '7d3c2b1a-0f9e-4d8c-9b7a-6e5f4d3c2b1a',
  clientId: '3f1e2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b',
  clientSecret: 'emulator-client-secret',
  accessTokenSeconds: 3599,
  authorityHost: 'login.microsoftonline.com',
  environments: ['production', 'sandbox'] as readonly string[],
  companies: [
    {
      name: 'Revsync Sim Inc.',
      currencyCode: 'USD',
      country: 'US',
      region: 'NA',
      defaultTaxPercent: 0,
    },
    {
      name: 'Revsync Sim Ltd',
      currencyCode: 'GBP',
      country: 'GB',
      region: 'EMEA',
      defaultTaxPercent: 20,
    },
    {
      name: 'Revsync Sim KK',
      currencyCode: 'JPY',
      country: 'JP',
      region: 'APAC',
      defaultTaxPercent: 10,
    },
  ] as readonly CompanySeed[],
  rateLimit: 6000,
  rateWindowMs: 300_000,
  concurrencyLimit: 100,
  pageSize: 20_000,
  batchLimit: 100,
  subscriptionMs: 3 * 86_400_000,
  notificationMaxAttempts: 5,
  notificationRetryMs: 1000,
  notificationTimeoutMs: 10_000,
} as const;

const d = businessCentralEmulatorDefaults;

export interface BusinessCentralEmulatorFlag {
  flag: string;
  option?: string;
  env?: string;
  description: string;
  default: string | number | undefined;
}

export const businessCentralEmulatorFlags: readonly BusinessCentralEmulatorFlag[] = [
  { flag: '--port', description: 'port to listen on (0 = any free port)', default: d.port },
  { flag: '--host', description: 'interface to listen on', default: d.host },
  { flag: '--seed', description: 'seed of faults and tokens', default: d.seed },
  {
    flag: '--faults',
    description: 'none | light | heavy, or a fault-config JSON',
    default: d.faults,
  },
  { flag: '--tenant-id', env: 'BC_TENANT_ID', description: 'Entra tenant id', default: d.tenantId },
  { flag: '--client-id', env: 'BC_CLIENT_ID', description: 'app (client) id', default: d.clientId },
  {
    flag: '--client-secret',
    env: 'BC_CLIENT_SECRET',
    description: 'client secret',
    default: d.clientSecret,
  },
  {
    flag: '--companies',
    option: 'extraCompaniesJson',
    description: 'extra companies, JSON [{name,currencyCode,country,region}]',
    default: undefined,
  },
  {
    flag: '--rate-limit',
    description: 'requests per client per window before 429 (0: no limit)',
    default: d.rateLimit,
  },
  { flag: '--rate-window-ms', description: 'the rate-limit window', default: d.rateWindowMs },
  { flag: '--page-size', description: 'rows per page before @odata.nextLink', default: d.pageSize },
];

const integer = (name: string, value: number, min: number): number =>
  checkedInteger('startBusinessCentralEmulator', name, value, min);

/**
 * Starts the Dynamics 365 Business Central emulator: Entra ID client credentials and API v2.0
 * (`/v2.0/{tenant}/{environment}/api/v2.0/…`). See `docs/emulators.md`.
 */
export async function startBusinessCentralEmulator(
  options: BusinessCentralEmulatorOptions & { extraCompaniesJson?: string } = {},
): Promise<BusinessCentralEmulator> {
  const env = options.env ?? process.env;
  const extra =
    options.extraCompanies ??
    (options.extraCompaniesJson ? (JSON.parse(options.extraCompaniesJson) as CompanySeed[]) : []);
  const companies = [...(options.companies ?? d.companies), ...extra].map((c) => ({
    ...c,
    id: (c.id ?? guidFrom(`bc-company:${c.name}`)).toLowerCase(),
  }));
  if (companies.length === 0)
    throw new RangeError('startBusinessCentralEmulator: at least one company');
  const tenantId = options.tenantId ?? env['BC_TENANT_ID'] ?? d.tenantId;
  const clientId = options.clientId ?? env['BC_CLIENT_ID'] ?? d.clientId;
  const clientSecret = options.clientSecret ?? env['BC_CLIENT_SECRET'] ?? d.clientSecret;
  const authorityHost = options.authorityHost ?? d.authorityHost;
  const environments = [...(options.environments ?? d.environments)];
  const bc = await createBusinessCentralServer({
    port: integer('port', options.port ?? d.port, 0),
    host: options.host ?? d.host,
    seed: options.seed ?? d.seed,
    faults: options.faults ?? d.faults,
    companies,
    environments,
    oauth: {
      clientId,
      clientSecret,
      tenantId,
      tenantAliases: ['revsyncsim.onmicrosoft.com'],
      accessTokenSeconds: integer(
        'accessTokenSeconds',
        options.accessTokenSeconds ?? d.accessTokenSeconds,
        1,
      ),
      authorityHost,
    },
    rateLimit: integer('rateLimit', options.rateLimit ?? d.rateLimit, 0),
    rateWindowMs: integer('rateWindowMs', options.rateWindowMs ?? d.rateWindowMs, 1),
    concurrencyLimit: integer(
      'concurrencyLimit',
      options.concurrencyLimit ?? d.concurrencyLimit,
      1,
    ),
    pageSize: integer('pageSize', options.pageSize ?? d.pageSize, 1),
    batchLimit: integer('batchLimit', options.batchLimit ?? d.batchLimit, 1),
    subscriptionMs: integer('subscriptionMs', options.subscriptionMs ?? d.subscriptionMs, 1),
    notificationMaxAttempts: integer(
      'notificationMaxAttempts',
      options.notificationMaxAttempts ?? d.notificationMaxAttempts,
      1,
    ),
    notificationRetryMs: integer(
      'notificationRetryMs',
      options.notificationRetryMs ?? d.notificationRetryMs,
      0,
    ),
    notificationTimeoutMs: integer(
      'notificationTimeoutMs',
      options.notificationTimeoutMs ?? d.notificationTimeoutMs,
      1,
    ),
  });
  const { server } = bc;
  return {
    name: 'business-central',
    url: server.url,
    port: server.port,
    close: () => server.close(),
    tenantId,
    clientId,
    clientSecret,
    scope: BC_SCOPE,
    tokenUrl: `${server.url}/${tenantId}/oauth2/v2.0/token`,
    authorityHost,
    environments,
    apiBase: (environment = environments[0]!) =>
      `${server.url}/v2.0/${tenantId}/${environment}/api/v2.0`,
    companyIds: companies.map((c) => c.id),
    clock: bc.clock,
    get ledger() {
      return bc.ledger;
    },
    oauth: bc.oauth,
    notifier: bc.notifier,
    reset: bc.reset,
    notificationsIdle: bc.notificationsIdle,
    app: server.app,
  };
}
