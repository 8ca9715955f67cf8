import { z } from 'zod';

const probability = z.number().min(0).max(1);
const nonNegative = z.number().finite().min(0);

/** A latency (or delay) distribution in milliseconds. */
const latencySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed'), ms: nonNegative }),
  z
    .strictObject({ kind: z.literal('uniform'), min: nonNegative, max: nonNegative })
    .refine((l) => l.max >= l.min, { message: 'max must be ≥ min' }),
  z
    .strictObject({ kind: z.literal('normal'), p50: nonNegative, p99: nonNegative })
    .refine((l) => l.p99 >= l.p50, { message: 'p99 must be ≥ p50' }),
]);

const outageSchema = z
  .strictObject({
    /** Absolute window in clock ms. */
    from: nonNegative.optional(),
    to: nonNegative.optional(),
    /** Relative window: starts `afterMs` after the config is applied and lasts `forMs`. */
    afterMs: nonNegative.optional(),
    forMs: nonNegative.optional(),
    /** `unavailable`: answer 503; `reset`: destroy the connection without a response. */
    mode: z.enum(['unavailable', 'reset']).default('unavailable'),
  })
  .refine(
    (o) =>
      (o.forMs !== undefined && o.from === undefined && o.to === undefined) ||
      (o.forMs === undefined && o.afterMs === undefined && o.to !== undefined),
    { message: 'give either {from?, to} (clock ms) or {afterMs?, forMs}' },
  )
  .refine((o) => o.from === undefined || o.to === undefined || o.to >= o.from, {
    message: 'to must be ≥ from',
  });

const matchSchema = z
  .string()
  .min(1)
  .superRefine((m, ctx) => {
    const pattern = m.replace(/^[A-Z|*]+\s+/, '');
    if (pattern.startsWith('re:')) {
      try {
        new RegExp(pattern.slice(3));
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `bad regular expression: ${String(err)}` });
      }
    } else if (pattern !== '*' && !pattern.startsWith('/')) {
      ctx.addIssue({
        code: 'custom',
        message: `match must be '*', a path glob starting with '/', or 're:<regex>' (optionally after 'METHOD '), got '${m}'`,
      });
    }
  });

const ruleSchema = z.strictObject({
  /**
   * Which requests the rule applies to: `*`, a path glob (`/v1/customers*`, `*` matches any
   * characters including `/`), or `re:<regex>` tested against the path; optionally prefixed by
   * methods: `POST /v1/*`, `GET|HEAD re:^/v1/`.
   */
  match: matchSchema.default('*'),
  latency: latencySchema.optional(),
  /** Answer `status` (picked uniformly from `statuses`) with probability `p`. */
  error: z
    .strictObject({
      p: probability,
      statuses: z.array(z.number().int().min(400).max(599)).min(1).default([500, 503]),
    })
    .optional(),
  /** With probability `p` start a burst: this and the next `length - 1` matching requests get 429. */
  rateLimitBurst: z
    .strictObject({
      p: probability,
      length: z.number().int().min(1),
      retryAfterSeconds: nonNegative.default(1),
    })
    .optional(),
  /** With probability `p` hold the request `ms` then handle it; without `ms`, until close. */
  hang: z.strictObject({ p: probability, ms: nonNegative.optional() }).optional(),
  outage: outageSchema.optional(),
});

const webhookFaultsSchema = z.strictObject({
  /** Probability that a delivery is sent twice. */
  duplicate: probability.default(0),
  /** With probability `p` a delivery is held back and released, shuffled, `windowMs` later. */
  reorder: z.strictObject({ p: probability, windowMs: nonNegative }).optional(),
  /** Delay before each delivery is first attempted. */
  delay: latencySchema.optional(),
});

/** Schema of a fault configuration (also the body of `PUT /_emulator/faults`). */
export const faultConfigSchema = z.strictObject({
  rules: z.array(ruleSchema).default([]),
  webhooks: webhookFaultsSchema.default({ duplicate: 0 }),
});

/** A latency distribution. */
export type LatencySpec = z.output<typeof latencySchema>;
/** One request-fault rule, after defaults. */
export type FaultRule = z.output<typeof ruleSchema>;
/** Webhook delivery faults, after defaults. */
export type WebhookFaults = z.output<typeof webhookFaultsSchema>;
/** A validated fault configuration. */
export type FaultConfig = z.output<typeof faultConfigSchema>;
/** A fault configuration as written by a person (defaults optional). */
export type FaultConfigInput = z.input<typeof faultConfigSchema>;
/** Named presets for `--faults none|light|heavy`. */
export type FaultPreset = 'none' | 'light' | 'heavy';

/** Thrown when a fault configuration is invalid; `issues` lists each problem with its path. */
export class FaultConfigError extends Error {
  readonly issues: { path: string; message: string }[];
  constructor(issues: { path: string; message: string }[]) {
    super(`invalid fault config: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'FaultConfigError';
    this.issues = issues;
  }
}

/** The presets' fault configurations (for building variants, e.g. a longer outage). */
export const FAULT_PRESETS: Record<FaultPreset, FaultConfigInput> = {
  none: {},
  light: {
    rules: [
      {
        match: '*',
        latency: { kind: 'uniform', min: 1, max: 10 },
        error: { p: 0.005, statuses: [500, 503] },
        rateLimitBurst: { p: 0.002, length: 2, retryAfterSeconds: 1 },
      },
    ],
    webhooks: { duplicate: 0.02, delay: { kind: 'uniform', min: 0, max: 20 } },
  },
  heavy: {
    rules: [
      {
        match: '*',
        latency: { kind: 'uniform', min: 5, max: 50 },
        error: { p: 0.03, statuses: [500, 502, 503] },
        rateLimitBurst: { p: 0.01, length: 5, retryAfterSeconds: 1 },
      },
      { match: '*', outage: { afterMs: 20_000, forMs: 5_000, mode: 'unavailable' } },
    ],
    webhooks: {
      duplicate: 0.1,
      reorder: { p: 0.1, windowMs: 200 },
      delay: { kind: 'uniform', min: 0, max: 50 },
    },
  },
};

/**
 * Validates a fault configuration (or resolves a preset name) and fills defaults.
 * Unknown keys are errors, so a typo such as `errorRate` is reported rather than ignored.
 * @throws FaultConfigError
 */
export function parseFaultConfig(input: unknown): FaultConfig {
  if (typeof input === 'string') {
    if (!(input in FAULT_PRESETS)) {
      throw new FaultConfigError([
        { path: '(preset)', message: `unknown preset '${input}' (none | light | heavy)` },
      ]);
    }
    input = FAULT_PRESETS[input as FaultPreset];
  } else if (input && typeof input === 'object' && 'preset' in input) {
    return parseFaultConfig((input as { preset: unknown }).preset);
  }
  const result = faultConfigSchema.safeParse(input);
  if (!result.success) {
    throw new FaultConfigError(
      result.error.issues.map((i) => ({
        path: i.path.length > 0 ? i.path.join('.') : '(root)',
        message: i.message,
      })),
    );
  }
  return result.data;
}
