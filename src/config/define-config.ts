import { z } from 'zod';

/** A value read from an environment variable when the configuration is loaded. */
export interface EnvRef {
  readonly env: string;
  readonly default?: string;
}

/**
 * Reads a value from the environment at load time. Credentials must come through `env()`: the
 * configuration file may be committed, secrets may not.
 */
export function env(name: string, fallback?: string): EnvRef {
  return fallback === undefined ? { env: name } : { env: name, default: fallback };
}

const envRef = z.strictObject({
  env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name'),
  default: z.string().optional(),
});
/** A secret: only from the environment, never a literal in the file. */
const secret = z.custom<EnvRef>((value) => envRef.safeParse(value).success, {
  error: (issue) =>
    typeof issue.input === 'string'
      ? 'secrets must come from the environment: write env("NAME") instead of the value'
      : 'expected env("NAME")',
});
/** A plain setting: a literal or from the environment. */
const setting = z.union([z.string().min(1), envRef]);
const url = z.union([z.url(), envRef]);

const limits = z.strictObject({
  ratePerSecond: z.number().positive().optional(),
  burst: z.int().positive().optional(),
  maxConcurrent: z.int().positive().optional(),
});
const circuit = z.strictObject({
  failureThreshold: z.int().positive().optional(),
  openMs: z.int().positive().optional(),
  maxOpenMs: z.int().positive().optional(),
});

const stripeConnection = z.strictObject({
  apiKey: secret,
  webhookSecret: secret.optional(),
  /** For emulators and proxies, e.g. `http://127.0.0.1:12111`. Default: Stripe's API. */
  baseUrl: url.optional(),
  limits: limits.optional(),
  circuit: circuit.optional(),
  /** Test payment method attached to new customers (emulator/test mode only). */
  defaultPaymentMethod: z.string().optional(),
});

const salesforceConnection = z.strictObject({
  loginUrl: url,
  clientId: secret,
  clientSecret: secret,
  apiVersion: z
    .string()
    .regex(/^\d+\.\d$/, 'like "62.0"')
    .optional(),
  limits: limits.optional(),
  circuit: circuit.optional(),
  pollIntervalMs: z.int().positive().optional(),
  /**
   * Which change feeds to read: `change-events` (Change Data Capture; the emulator's route) or
   * `soql` (polling on SystemModstamp). Default `change-events`; use `soql` against a real org.
   */
  feeds: z
    .array(z.enum(['change-events', 'soql']))
    .min(1)
    .optional(),
});

const netsuiteConnection = z.strictObject({
  accountId: setting,
  /** Default: `https://<account>.suitetalk.api.netsuite.com`. */
  baseUrl: url.optional(),
  consumerKey: secret,
  consumerSecret: secret,
  tokenId: secret,
  tokenSecret: secret,
  limits: limits.optional(),
  circuit: circuit.optional(),
  pollIntervalMs: z.int().positive().optional(),
});

const SYSTEMS = ['salesforce', 'stripe', 'netsuite'] as const;
const system = z.enum(SYSTEMS);

const region = z.strictObject({
  /** ERP subsidiary (legal entity) that books the region's revenue. */
  subsidiary: z.string().min(1),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "EUR"'),
  /** ISO 3166 country codes that fall in this region (used when the CRM has no region). */
  countries: z.array(z.string().regex(/^[A-Z]{2}$/)).optional(),
});

const matchField = z.enum(['normalizedName', 'domain', 'taxId', 'country']);

const FLOW_NAMES = [
  'accountSync',
  'quoteToCash',
  'amendment',
  'invoiceToErp',
  'renewal',
  'usage',
  'paymentStatus',
  'subscriptionStatus',
  'cancellation',
] as const;

const alertRule = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('invoice_not_posted'), afterMinutes: z.number().positive() }),
  z.strictObject({
    kind: z.literal('exception_queue_growth'),
    threshold: z.int().positive(),
    windowMinutes: z.number().positive(),
  }),
  z.strictObject({ kind: z.literal('circuit_open'), afterMinutes: z.number().positive() }),
]);

/** The shape `revsync.config.ts` exports (validated on load). */
export const configSchema = z.strictObject({
  store: z.strictObject({ url: setting }).optional(),
  server: z
    .strictObject({ host: z.string().optional(), port: z.int().min(0).max(65535).optional() })
    .optional(),
  connections: z.strictObject({
    stripe: stripeConnection.optional(),
    salesforce: salesforceConnection.optional(),
    netsuite: netsuiteConnection.optional(),
  }),
  /** Which system owns each field of a canonical customer; updates from others are not applied. */
  ownership: z.record(z.string(), z.record(z.string(), system)).optional(),
  /** Duplicate-prevention rules: a new customer matching an existing one on every field of any rule is the same customer. */
  matchRules: z.strictObject({ customer: z.array(z.array(matchField).min(1)).min(1) }).optional(),
  regions: z
    .record(z.string().regex(/^[A-Z0-9_-]+$/), region)
    .refine((r) => Object.keys(r).length > 0, 'at least one region'),
  defaultRegion: z.string(),
  flows: z.partialRecord(z.enum(FLOW_NAMES), z.boolean()).optional(),
  usage: z
    .strictObject({
      requiredSources: z.array(z.string().min(1)).min(1),
      recheckSeconds: z.number().positive().optional(),
    })
    .optional(),
  alerts: z.strictObject({ webhookUrl: url, rules: z.array(alertRule) }).optional(),
});

/** The configuration as written in `revsync.config.ts`. */
export type RevsyncConfig = z.input<typeof configSchema>;
export type FlowName = (typeof FLOW_NAMES)[number];
export { FLOW_NAMES, SYSTEMS };

/** Declares a configuration with full type checking; validation happens at load. */
export function defineConfig(config: RevsyncConfig): RevsyncConfig {
  return config;
}
