import { defineFlow } from '../engine/flow.ts';
import { stableId } from '../model/ids.ts';
import { toCurrencyCode } from '../model/currency.ts';
import { buildStraightLineSchedule } from '../model/revenue.ts';
import type { RevenueScheduleV1 } from '../model/entities/revenue-schedule.ts';
import { canonicalData } from '../model/canonical-events.ts';
import { isRepairEvent } from '../model/repair-events.ts';
import type { FlowDeps } from './deps.ts';
import { postInvoiceToErp } from './invoice-posting.ts';

/**
 * Renewal-to-revenue: a renewal invoice (canonical reason `subscription_cycle`) → ERP invoice with
 * rev-rec dates → a straight-line revenue schedule per line for the new term, stored as canonical
 * RevenueSchedule records (lines sum exactly to the line amount).
 */
export function renewalFlow(deps: FlowDeps) {
  return defineFlow<{ invoiceId: string; repair?: boolean }>({
    name: 'renewal',
    triggers: ['billing.invoice.finalized'],
    filter: (event) =>
      canonicalData(event, 'billing.invoice.finalized').reason === 'subscription_cycle',
    priority: 'high',
    input: (event) => ({
      invoiceId: canonicalData(event, 'billing.invoice.finalized').invoiceId,
      ...(isRepairEvent(event) && { repair: true }),
    }),
    async run(ctx, { invoiceId, repair }) {
      const posted = await postInvoiceToErp(ctx, deps, invoiceId, 'invoice', { repair });
      const schedules = await ctx.step('revenue-schedules', async () => {
        const ids: string[] = [];
        const invoiceCanonicalId = stableId('inv', `${deps.billing.system}:invoice:${invoiceId}`);
        for (const line of posted.invoice.lines) {
          if (line.amount.amount <= 0) continue;
          const termStart = line.periodStart.slice(0, 10);
          const termEnd = line.periodEnd.slice(0, 10);
          if (termEnd <= termStart) continue;
          const id = stableId('rvs', `${deps.billing.system}:invoice_line:${line.id}`);
          const schedule: RevenueScheduleV1 = {
            schemaVersion: 1,
            id,
            customerId: posted.customerId,
            sourceInvoiceId: invoiceCanonicalId,
            method: 'straight_line',
            currency: toCurrencyCode(line.amount.currency),
            total: line.amount,
            termStart,
            termEnd,
            lines: buildStraightLineSchedule(line.amount, termStart, termEnd, {
              granularity: 'month',
            }),
            externalRefs: [
              { system: deps.billing.system, objectType: 'invoice_line', id: line.id },
            ],
          };
          await deps.entities.put({ id, type: 'revenue_schedule', data: schedule, by: 'revsync' });
          ids.push(id);
        }
        return ids;
      });
      return { invoiceId, erpInvoiceId: posted.erpInvoiceId, revenueSchedules: schedules };
    },
  });
}
