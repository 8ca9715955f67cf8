import { z } from 'zod';
import { RUN_STATUSES } from '../../model/states.ts';
import { Iso, Json, maybeIso, maybeMs, Ms, SerializedErrorSchema } from './common.ts';

/**
 * Response records of the API. Instants come twice: ISO 8601 (`createdAt`) for people and the
 * dashboard, milliseconds since the epoch (`createdAtMs`) for arithmetic.
 */

export const RunStatusSchema = z.enum(RUN_STATUSES as [string, ...string[]]);

/** A flow run in lists (without its input and output). */
export const RunView = z.object({
  id: z.string(),
  seq: z.number().int(),
  flow: z.string(),
  flowVersion: z.number().int(),
  entityKey: z.string(),
  status: RunStatusSchema,
  priority: z.number().int(),
  correlationId: z.string(),
  causationId: z.string().nullable(),
  triggerEventId: z.string().nullable(),
  replayOf: z.string().nullable(),
  attempt: z.number().int(),
  currentStep: z.string().nullable(),
  waitSignal: z.string().nullable(),
  error: SerializedErrorSchema.nullable(),
  createdAt: Iso,
  createdAtMs: Ms,
  updatedAt: Iso,
  updatedAtMs: Ms,
  availableAt: Iso,
  availableAtMs: Ms,
  startedAt: maybeIso,
  startedAtMs: maybeMs,
  completedAt: maybeIso,
  completedAtMs: maybeMs,
  /** Created → completed, once completed. */
  durationMs: maybeMs,
});

/** A run with everything stored about it. */
export const RunFullView = RunView.extend({
  input: Json,
  inputRevision: z.number().int(),
  output: Json,
  leaseOwner: z.string().nullable(),
  leaseExpiresAt: maybeIso,
  leaseExpiresAtMs: maybeMs,
  waitDeadline: maybeIso,
  waitDeadlineMs: maybeMs,
});

export const StepView = z.object({
  name: z.string(),
  position: z.number().int(),
  status: z.enum(['completed', 'sleeping']),
  attempts: z.number().int(),
  idempotencyKey: z.string(),
  result: Json,
  startedAt: Iso,
  startedAtMs: Ms,
  completedAt: maybeIso,
  completedAtMs: maybeMs,
  wakeAt: maybeIso,
  wakeAtMs: maybeMs,
});

export const AttemptView = z.object({
  step: z.string(),
  attempt: z.number().int(),
  at: Iso,
  atMs: Ms,
  durationMs: z.number(),
  error: SerializedErrorSchema,
});

export const ExceptionView = z.object({
  id: z.string(),
  kind: z.enum(['run', 'event', 'discrepancy', 'message']),
  status: z.enum(['open', 'retried', 'resubmitted', 'skipped', 'resolved']),
  runId: z.string().nullable(),
  eventSeq: z.number().int().nullable(),
  flow: z.string().nullable(),
  entityKey: z.string().nullable(),
  step: z.string().nullable(),
  errorCode: z.string(),
  errorName: z.string(),
  message: z.string(),
  error: SerializedErrorSchema,
  attempts: z.number().int(),
  /** The run's input (or the event's data) when it failed: the starting point of an edit. */
  lastInput: Json,
  correlationId: z.string().nullable(),
  createdAt: Iso,
  createdAtMs: Ms,
  updatedAt: Iso,
  updatedAtMs: Ms,
  resolution: z
    .object({
      action: z.string(),
      actor: z.string(),
      at: Iso,
      atMs: Ms,
      reason: z.string().nullable(),
    })
    .nullable(),
});

/** An inbox event. */
export const EventView = z.object({
  seq: z.number().int(),
  eventId: z.string(),
  source: z.string(),
  sourceEventId: z.string(),
  type: z.string(),
  subject: z.string().nullable(),
  entityKey: z.string().nullable(),
  correlationId: z.string(),
  causationId: z.string().nullable(),
  status: z.enum(['received', 'routed', 'failed']),
  attempts: z.number().int(),
  error: SerializedErrorSchema.nullable(),
  receivedAt: Iso,
  receivedAtMs: Ms,
  routedAt: maybeIso,
  routedAtMs: maybeMs,
  /** The CloudEvents envelope as received, with `data`. */
  envelope: z.record(z.string(), Json),
});

/** A canonical event: what a vendor event meant, in role-level terms (the normalise stage). */
export const CanonicalEventView = z.object({
  seq: z.number().int(),
  eventId: z.string(),
  type: z.string(),
  subject: z.string().nullable(),
  entityKey: z.string().nullable(),
  correlationId: z.string(),
  schemaVersion: z.number().int(),
  data: Json,
  /** The system it came from and the vendor event it was normalised from. */
  source: z.string(),
  vendorEventId: z.string(),
  vendorType: z.string(),
  inboxEventId: z.string(),
  createdAt: Iso,
  createdAtMs: Ms,
});

export const AuditView = z.object({
  id: z.number().int(),
  at: Iso,
  atMs: Ms,
  actor: z.string(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string(),
  details: z.record(z.string(), Json),
});

export const XrefView = z.object({
  system: z.string(),
  objectType: z.string(),
  externalId: z.string(),
  entityType: z.string(),
});

export const EntityView = z.object({
  id: z.string(),
  type: z.string(),
  version: z.number().int(),
  data: Json,
  updatedAt: Iso,
  updatedAtMs: Ms,
  updatedBy: z.string(),
});

export const LINEAGE_KINDS = [
  'event.received',
  'event.routed',
  'event.normalised',
  'event.failed',
  'run.created',
  'run.started',
  'step.failed',
  'step.completed',
  'exception.opened',
  'exception.closed',
  'run.completed',
  'run.skipped',
  'run.cancelled',
] as const;

/** One moment in an entity's history. */
export const LineageItem = z.object({
  at: Iso,
  atMs: Ms,
  kind: z.enum(LINEAGE_KINDS),
  /** One line for people, e.g. `post-invoice: step post failed (attempt 2): timeout`. */
  title: z.string(),
  correlationId: z.string().nullable(),
  causationId: z.string().nullable(),
  eventId: z.string().nullable(),
  runId: z.string().nullable(),
  flow: z.string().nullable(),
  step: z.string().nullable(),
  exceptionId: z.string().nullable(),
  status: z.string().nullable(),
});

export const ConnectionView = z.object({
  name: z.string(),
  system: z.string(),
  circuit: z.object({
    state: z.enum(['closed', 'open', 'half_open']),
    consecutiveFailures: z.number().int(),
    opens: z.number().int(),
    openedAt: maybeIso,
    openedAtMs: maybeMs,
    retryAt: maybeIso,
    retryAtMs: maybeMs,
  }),
  governor: z.object({
    ratePerSecond: z.number().nullable(),
    maxConcurrent: z.number().nullable(),
    inFlight: z.number().int(),
    queued: z.object({
      critical: z.number().int(),
      high: z.number().int(),
      normal: z.number().int(),
      low: z.number().int(),
    }),
    pausedUntil: maybeIso,
    pausedUntilMs: maybeMs,
    granted: z.number().int(),
  }),
  reportedUsage: z
    .object({ used: z.number(), limit: z.number(), at: Iso, atMs: Ms })
    .nullable()
    .meta({
      description: 'Usage the vendor itself reported (e.g. a CRM’s daily API request limits).',
    }),
  calls: z.number().int(),
  failures: z.number().int(),
  lastError: z.object({ code: z.string(), message: z.string(), at: Iso, atMs: Ms }).nullable(),
});

export const ApiKeyView = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(['viewer', 'operator', 'approver', 'admin']),
  createdAt: maybeIso,
  createdAtMs: maybeMs,
  createdBy: z.string(),
  lastUsedAt: maybeIso,
  lastUsedAtMs: maybeMs,
  revokedAt: maybeIso,
  revokedAtMs: maybeMs,
  revokedBy: z.string().nullable(),
  expiresAt: maybeIso.meta({
    description: 'After this the key is refused (api_key_expired); null: never.',
  }),
  expiresAtMs: maybeMs,
  scopes: z.array(z.string()).nullable().meta({
    description:
      'What the key is limited to besides its role (e.g. usage:write); null: its role only.',
  }),
  rotatedAt: maybeIso.meta({ description: 'When the current secret was issued by a rotation.' }),
  rotatedAtMs: maybeMs,
  previousSecretExpiresAt: maybeIso.meta({
    description: 'Until when the secret the last rotation replaced is still accepted.',
  }),
  previousSecretExpiresAtMs: maybeMs,
  bootstrap: z.boolean(),
});

/** The system playing a role, as the connector registry names it. */
export const SystemView = z.object({
  role: z.enum(['crm', 'billing', 'erp']),
  system: z
    .string()
    .describe("The connector's system name (kebab-case), as in `connections.<role>.system`"),
  displayName: z.string().describe('How the vendor spells its product'),
});
