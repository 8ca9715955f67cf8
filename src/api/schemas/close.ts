import { z } from 'zod';

/** `YYYY-MM`. */
export const Period = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'period must be YYYY-MM')
  .meta({ description: 'An accounting period, YYYY-MM' });

export const CloseQuery = z.object({
  period: Period,
  subsidiary: z.string().min(1).max(100).optional().meta({ description: 'Only this subsidiary' }),
});

/** One thing that blocks a subsidiary's close, and the record to open to clear it. */
export const CloseBlocker = z
  .object({
    kind: z.enum([
      'unposted_document',
      'unapplied_payment',
      'open_exception',
      'sync_conflict',
      'usage_period_open',
      'revenue_schedule_mismatch',
      'discrepancy',
    ]),
    id: z.string().meta({
      description: 'The blocking item (document, exception, conflict or usage period id)',
    }),
    message: z.string(),
    record: z
      .object({ type: z.enum(['exception', 'run', 'entity']), id: z.string() })
      .optional()
      .meta({
        description:
          'The dashboard record that clears it: /exceptions/{id}, /runs/{id}, /entities/{id}',
      }),
    correlationId: z.string().optional(),
    runIds: z.array(z.string()).optional(),
    class: z.string().optional().meta({ description: 'The discrepancy class behind it, if any' }),
    inFlight: z.boolean().optional().meta({ description: 'revsync is still working on it' }),
  })
  .meta({ title: 'CloseBlocker' });

/** The close status of a period (issue 10 §8's JSON, with the ERP's period state and notes). */
export const CloseStatusBody = z
  .object({
    period: z.string(),
    subsidiaries: z.array(
      z.object({ subsidiary: z.string(), ready: z.boolean(), blockers: z.array(CloseBlocker) }),
    ),
    erpPeriodClosed: z.boolean().nullable().meta({
      description:
        'The ERP reports the period closed (information, not a blocker); null when it cannot say',
    }),
    notes: z.array(z.string()),
  })
  .meta({ title: 'CloseStatus' });

/** @see CloseStatusBody */
export type CloseStatusBody = z.infer<typeof CloseStatusBody>;
