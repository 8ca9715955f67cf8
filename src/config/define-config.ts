import { z } from 'zod';
import { ROLES, type ConnectorDefinition, type Role } from '../connectors/definition.ts';
import type { CONNECTORS } from '../connectors/registry.ts';
import type { limitsSchema, circuitSchema } from '../connectors/settings.ts';
import { envRef, fileRef, url, setting } from '../connectors/settings.ts';
import { approvalPolicySchema } from '../governance/approval-policy.ts';
import { DISCREPANCY_CLASSES } from '../recon/report.ts';

export { env, file, type EnvRef, type FileRef } from '../connectors/settings.ts';

const role = z.enum(ROLES as [Role, ...Role[]]);

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
  'payoutDeposit',
] as const;

/** The roles each flow needs a connection for. */
export const FLOW_ROLES: Record<(typeof FLOW_NAMES)[number], readonly Role[]> = {
  accountSync: ['crm', 'billing', 'erp'],
  quoteToCash: ['crm', 'billing', 'erp'],
  amendment: ['crm', 'billing', 'erp'],
  invoiceToErp: ['billing', 'erp'],
  renewal: ['billing', 'erp'],
  usage: ['billing'],
  paymentStatus: ['billing', 'erp', 'crm'],
  subscriptionStatus: ['billing', 'crm'],
  cancellation: ['billing', 'erp', 'crm'],
  payoutDeposit: ['billing', 'erp'],
};

const alertRule = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('invoice_not_posted'), afterMinutes: z.number().positive() }),
  z.strictObject({
    kind: z.literal('exception_queue_growth'),
    threshold: z.int().positive(),
    windowMinutes: z.number().positive(),
  }),
  z.strictObject({ kind: z.literal('circuit_open'), afterMinutes: z.number().positive() }),
  /** A change request has waited for approval longer than this. */
  z.strictObject({ kind: z.literal('approval_waiting'), afterMinutes: z.number().positive() }),
  /**
   * The latest stored reconciliation of a period found more than `threshold` discrepancies
   * (default 0: any) of these classes (default: every class).
   */
  z.strictObject({
    kind: z.literal('recon_discrepancies'),
    classes: z.array(z.enum(DISCREPANCY_CLASSES)).min(1).optional(),
    threshold: z.int().min(0).optional(),
    /** Count only discrepancies every stored run of the period has found for this long (e.g. 60). */
    olderThanMinutes: z.number().positive().optional(),
  }),
]);

/** `30s`, `15m`, `1h`, `1d` (as the API's `window`), or a number of seconds. */
const every = z.union([
  z.string().regex(/^\d{1,6}[smhd]$/, 'a duration such as "15m", "1h", "30s", or seconds'),
  z.number().positive(),
]);

const reconSchedule = z.strictObject({
  /** How often to reconcile: `'15m'`, `'1h'`, … or seconds. */
  every,
  /**
   * Which accounting periods to reconcile each time: a number N (the current month and the N-1
   * before it), or `'open'` — of the last `openWindow` months, those the ERP does not report
   * closed or locked (read through the ERP port on every run; every one of them when the ERP
   * cannot say).
   */
  periods: z.union([z.int().min(1).max(36), z.literal('open')]),
  /** With `periods: 'open'`: how many months back to look (default 12). */
  openWindow: z.int().min(1).max(36).optional(),
  /** Only this ERP subsidiary (default: every subsidiary). */
  subsidiary: z.string().min(1).optional(),
  /** Documents dated before it are out of scope (`before_sync_start`); ISO date. */
  syncStart: z.string().min(1).optional(),
  /** Per-class tolerance in minor units (default 0, exact). */
  tolerance: z
    .strictObject({
      amount_mismatch: z.int().min(0).optional(),
      tax_mismatch: z.int().min(0).optional(),
      mrr_mismatch: z.int().min(0).optional(),
    })
    .optional(),
});

/**
 * The shape `revsync.config.ts` exports, except the connections' own settings: `connections`
 * is keyed by role, and each connection is validated by its connector's `configSchema` (see
 * `load-config.ts`).
 */
export const configSchema = z.strictObject({
  store: z.strictObject({ url: setting }).optional(),
  server: z
    .strictObject({ host: z.string().optional(), port: z.int().min(0).max(65535).optional() })
    .optional(),
  connections: z.record(z.string(), z.unknown()),
  /**
   * Which role owns each field of a canonical customer (`{ customer: { currency: 'erp' } }`);
   * updates from the other roles are not applied.
   */
  ownership: z.record(z.string(), z.record(z.string(), role)).optional(),
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
      /**
       * High-volume usage from NATS JetStream (docs/flows.md, "Usage from NATS JetStream"):
       * the server, e.g. `nats://127.0.0.1:4222` (several comma-separated). `revsync start`
       * consumes `stream` when this is set.
       */
      source: z
        .string()
        .regex(/^(nats|tls):\/\/[^\s]+$/, 'expected nats://host:port')
        .optional(),
      /** The JetStream stream holding the usage records (created when missing). */
      stream: z
        .string()
        .regex(/^[^\s.*>]+$/, 'a stream name has no spaces, dots, * or >')
        .optional(),
      /** The subject filter (default `<stream>.>`; also the new stream's subjects). */
      subject: z.string().min(1).optional(),
      /** The durable consumer's name (default `revsync-usage`). */
      consumer: z
        .string()
        .regex(/^[^\s.*>]+$/, 'a consumer name has no spaces, dots, * or >')
        .optional(),
      /** Records per fetch and per store transaction (default 1000, at most 10000). */
      batchSize: z.int().min(1).max(10_000).optional(),
    })
    .refine((u) => u.source === undefined || u.stream !== undefined, {
      message: 'usage.source needs usage.stream (the JetStream stream to consume)',
      path: ['stream'],
    })
    .optional(),
  alerts: z.strictObject({ webhookUrl: url, rules: z.array(alertRule) }).optional(),
  /**
   * Scheduled reconciliation (`revsync start`): every `every`, the last `periods` accounting
   * periods, each run stored (see docs/reconciliation.md). Off when absent.
   */
  recon: reconSchedule.optional(),
  /**
   * Four-eyes approvals: which operator actions need a second person's approval, thresholds,
   * approvers, expiry (see docs/approvals.md). On by default.
   */
  approvals: approvalPolicySchema.optional(),
  /**
   * CRM billing write-backs (docs/flows.md, "CRM billing write-backs"): for `ttlSeconds`
   * (default 600) after revsync wrote values to a CRM object's billing fields, writing the same
   * values again is skipped without calling the CRM; 0 writes every time.
   */
  crmWriteback: z.strictObject({ ttlSeconds: z.number().min(0).optional() }).optional(),
  /** The tamper-evident audit trail's signed checkpoints (see docs/audit-trail.md). */
  audit: z
    .strictObject({
      /**
       * The Ed25519 private key that signs checkpoints (PKCS #8 PEM, or its DER in base64):
       * `env('REVSYNC_AUDIT_KEY')` (or `REVSYNC_AUDIT_KEY_FILE`), `file('/path')`, or the
       * path of a PEM file.
       */
      signingKey: z.union([envRef, fileRef, z.string().min(1)], {
        error: (issue) =>
          issue.input === undefined
            ? 'required: env("NAME") or the path of a PEM file'
            : 'expected env("NAME") or the path of a PEM file',
      }),
      /** A checkpoint after this many new entries or minutes, whichever first (1000, 60). */
      checkpointEvery: z
        .strictObject({
          entries: z.int().positive().optional(),
          minutes: z.number().positive().optional(),
        })
        .optional(),
      /** Also write every checkpoint as a JSON file into this directory (outside the database). */
      checkpointDir: z.string().min(1).optional(),
    })
    .optional(),
});

/** Settings every connection has besides its connector's own. */
export interface CommonConnectionInput {
  limits?: z.input<typeof limitsSchema>;
  circuit?: z.input<typeof circuitSchema>;
  /** How often the connection's pollers run when idle, ms (default 1 000). */
  pollIntervalMs?: number;
  /**
   * How often the connection's webhook catch-up poller (Stripe's and Chargebee's event lists)
   * runs when the connection receives webhooks, ms (default 10 000; never more often than
   * `pollIntervalMs`). Without a webhook secret the event list is the feed and polls at
   * `pollIntervalMs`.
   */
  catchUpPollIntervalMs?: number;
}

type Registered = (typeof CONNECTORS)[number];

/** What `connections.<role>` may hold: one registered connector of that role and its settings. */
export type ConnectionInput<R extends Role> = Registered extends infer D
  ? D extends ConnectorDefinition<R, infer S, infer Sys>
    ? { system: Sys } & z.input<S> & CommonConnectionInput
    : never
  : never;

/** `connections`: at most one connection per role. */
export type ConnectionsInput = { [R in Role]?: ConnectionInput<R> };

/** The configuration as written in `revsync.config.ts`. */
export type RevsyncConfig = Omit<z.input<typeof configSchema>, 'connections'> & {
  connections: ConnectionsInput;
};
export type FlowName = (typeof FLOW_NAMES)[number];
export { FLOW_NAMES, envRef };

/** Declares a configuration with full type checking; validation happens at load. */
export function defineConfig(config: RevsyncConfig): RevsyncConfig {
  return config;
}
