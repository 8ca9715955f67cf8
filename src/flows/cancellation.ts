import { defineFlow } from '../engine/flow.ts';
import { ValidationError } from '../model/revsync-error.ts';
import { canonicalData } from '../model/canonical-events.ts';
import { isRepairEvent } from '../model/repair-events.ts';
import { erpLink } from './erp-link.ts';
import type { FlowDeps } from './deps.ts';
import { postInvoiceToErp } from './invoice-posting.ts';
import { postInOpenPeriod } from './erp-period.ts';
import { readOptions, writeOptions } from './step-options.ts';

/**
 * Cancellation: a credit note → an ERP credit memo against the invoice (external id = the credit
 * note id). The churn flag in the CRM follows the subscription's cancellation (see the
 * subscription-status flow).
 */
export function cancellationFlow(deps: FlowDeps) {
  return defineFlow<{ creditNoteId: string; repair?: boolean }>({
    name: 'cancellation',
    triggers: ['billing.credit_note.created'],
    priority: 'high',
    input: (event) => ({
      creditNoteId: canonicalData(event, 'billing.credit_note.created').creditNoteId,
      ...(isRepairEvent(event) && { repair: true }),
    }),
    async run(ctx, { creditNoteId, repair = false }) {
      const note = await ctx.step('read-credit-note', (s) =>
        deps.billing.getCreditNote(creditNoteId, readOptions(s, 'high')),
      );
      const posted = await postInvoiceToErp(ctx, deps, note.invoiceId, 'invoice', { repair });
      const erpCreditMemoId = await ctx.step('erp-credit-memo', async (s) => {
        if (note.lines.length === 0 && note.total.amount === 0)
          throw new ValidationError(`credit note ${note.id} is empty`);
        const what = `${deps.billing.system} credit note ${note.number ?? note.id}`;
        const { id } = await postInOpenPeriod(deps, what, note.createdAt.slice(0, 10), s, () =>
          deps.erp.upsertCreditMemo(
            {
              externalId: note.id,
              customerExternalId: posted.customerId,
              invoiceExternalId: note.invoiceId,
              currency: note.total.currency,
              tranDate: note.createdAt.slice(0, 10),
              memo: `${note.number ?? note.id}${note.reason ? ` (${note.reason})` : ''}`,
              lines:
                note.lines.length > 0
                  ? note.lines.map((l) => ({
                      description: l.description,
                      quantity: l.quantity,
                      amount: l.amount,
                    }))
                  : [
                      {
                        description: `Credit for ${posted.invoice.number ?? note.invoiceId}`,
                        quantity: 1,
                        amount: note.total,
                      },
                    ],
              total: note.total,
            },
            writeOptions(s, 'high'),
          ),
        );
        await erpLink(
          deps,
          {
            canonicalId: `crn:${note.id}`,
            entityType: 'credit_note',
            system: deps.erp.system,
            objectType: 'credit_memo',
            externalId: id,
          },
          repair,
        );
        return id;
      });
      return { creditNoteId, erpCreditMemoId };
    },
  });
}
