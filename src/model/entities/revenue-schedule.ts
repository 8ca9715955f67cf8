import { z } from 'zod';
import { CurrencyCode } from '../currency.ts';
import { idSchemas } from '../ids.ts';
import { MoneySchema } from '../money.ts';
import { ExternalRefV1 } from './external-ref.ts';
import { CalendarDate } from './primitives.ts';
import { checkCurrencies, checkOrder, checkSum, report } from './refinements.ts';

/** Revenue recognised in one period `[periodStart, periodEnd)`. */
export const RevenueScheduleLineV1 = z.object({
  periodStart: CalendarDate,
  /** First day after the period (exclusive). */
  periodEnd: CalendarDate,
  amount: MoneySchema,
});

/** @see RevenueScheduleLineV1 */
export type RevenueScheduleLineV1 = z.infer<typeof RevenueScheduleLineV1>;

/**
 * How revenue from an invoice (line) is recognised over its term `[termStart, termEnd)`. The lines
 * tile the term without gaps or overlaps and sum exactly to `total`.
 */
export const RevenueScheduleV1 = z
  .object({
    schemaVersion: z.literal(1),
    id: idSchemas.revenue_schedule,
    customerId: idSchemas.customer.optional(),
    sourceInvoiceId: idSchemas.invoice,
    sourceInvoiceLineId: idSchemas.invoice_line.optional(),
    method: z.enum(['straight_line']),
    currency: CurrencyCode,
    total: MoneySchema,
    termStart: CalendarDate,
    /** First day after the term (exclusive). */
    termEnd: CalendarDate,
    lines: z.array(RevenueScheduleLineV1).min(1),
    externalRefs: z.array(ExternalRefV1),
  })
  .superRefine((schedule, ctx) => {
    checkCurrencies(ctx, schedule, schedule.currency);
    checkOrder(ctx, schedule.termStart, schedule.termEnd, ['termEnd'], true);
    checkSum(
      ctx,
      schedule.lines.map((l) => l.amount),
      schedule.total,
      ['total'],
      'the sum of line amounts',
    );
    let expectedStart = schedule.termStart;
    schedule.lines.forEach((line, i) => {
      if (line.periodStart !== expectedStart) {
        report(ctx, ['lines', i, 'periodStart'], `must be ${expectedStart} (lines tile the term)`);
      }
      checkOrder(ctx, line.periodStart, line.periodEnd, ['lines', i, 'periodEnd'], true);
      expectedStart = line.periodEnd;
    });
    if (expectedStart !== schedule.termEnd) {
      report(
        ctx,
        ['lines', schedule.lines.length - 1, 'periodEnd'],
        `must be the termEnd ${schedule.termEnd}`,
      );
    }
  });

/** @see RevenueScheduleV1 */
export type RevenueScheduleV1 = z.infer<typeof RevenueScheduleV1>;
