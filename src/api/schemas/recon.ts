import { z } from 'zod';
import { Period } from './close.ts';

/** `POST /v1/recon/runs`: reconcile one period now. */
export const ReconRunInput = z.object({
  period: Period,
  subsidiary: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .meta({ description: 'Only report this ERP subsidiary' }),
  repair: z.boolean().optional().meta({
    description:
      'After reading, start engine runs for the safe fixes and queue the rest for a person, as `revsync recon run --repair` does; a repair at or above the `recon.repair` approval threshold becomes a change request in your name',
  }),
});

export const ReconRunStatus = z.enum(['running', 'clean', 'discrepancies', 'failed']);

/** One stored reconciliation of one period. */
export const ReconRunView = z
  .object({
    id: z.string(),
    batchId: z.string().meta({ description: 'Shared by the periods one invocation reconciled' }),
    period: z.string(),
    subsidiary: z.string().nullable(),
    currency: z.string().nullable().meta({ description: 'Currency filter (null: every currency)' }),
    trigger: z.enum(['cli', 'schedule', 'api']),
    actor: z.string(),
    status: ReconRunStatus,
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    discrepancyCount: z.int(),
    inFlightCount: z.int(),
    matchedCount: z.int(),
    summary: z
      .record(z.string(), z.int())
      .meta({ description: 'Discrepancies per class (every class, zeros included)' }),
    matches: z.record(z.string(), z.int()).meta({ description: 'Matches per rule' }),
    outOfScope: z.record(z.string(), z.int()),
    payouts: z
      .object({ checked: z.int(), matched: z.int(), unsupported: z.string().optional() })
      .nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .meta({ title: 'ReconRun' });

/** A discrepancy (or would-be discrepancy still in flight) of a stored run, with its lineage. */
export const ReconDiscrepancyView = z
  .object({
    class: z.string(),
    billingId: z.string().nullable(),
    erpId: z.string().nullable(),
    crmId: z.string().nullable(),
    subsidiary: z.string().nullable(),
    currency: z.string().nullable(),
    billingAmount: z.int().nullable().meta({ description: 'Minor units of `currency`' }),
    erpAmount: z.int().nullable().meta({ description: 'Minor units of `currency`' }),
    correlationId: z.string().nullable(),
    runIds: z.array(z.string()),
    match: z
      .object({ rule: z.string(), tolerance: z.int() })
      .nullable()
      .meta({ description: 'How the pair was matched, and the tolerance applied (minor units)' }),
    message: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ title: 'ReconDiscrepancy' });

/** `GET /v1/recon/runs/{id}`. */
export const ReconRunDetail = z.object({
  run: ReconRunView,
  discrepancies: z.array(ReconDiscrepancyView),
  inFlight: z.array(ReconDiscrepancyView),
});

export type ReconRunView = z.infer<typeof ReconRunView>;
export type ReconDiscrepancyView = z.infer<typeof ReconDiscrepancyView>;
