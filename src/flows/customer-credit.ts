/**
 * A customer's credit balance in the ERP. A downgrade's net-negative invoice leaves the customer
 * a credit in billing and is booked as an ERP credit memo (same external id); when billing later
 * settles an invoice partly or wholly from that balance, the ERP must apply the credit memo to
 * the invoice, or the books show an open invoice beside an unapplied credit (reconciliation's
 * `status_mismatch`: paid in billing, open in the ERP).
 */
import type { BillingInvoice } from '../connectors/ports.ts';
import type { FlowContext } from '../engine/flow.ts';
import type { FlowDeps } from './deps.ts';
import { readOptions, writeOptions } from './step-options.ts';

/** What one credit memo pays of one invoice. */
export interface CreditAllocation {
  /** The credit memo's external id: the net-negative billing invoice that made the credit. */
  creditMemoExternalId: string;
  amount: number;
}

const settledAt = (i: BillingInvoice) => i.finalizedAt ?? i.createdAt;

/** How much of a paid invoice billing settled from the customer's balance. */
export function creditUsed(invoice: BillingInvoice): number {
  if (invoice.status !== 'paid' || invoice.total.amount <= 0) return 0;
  return Math.max(0, invoice.total.amount - invoice.amountPaid.amount);
}

/**
 * Which credits paid `target`'s balance part: the customer's net-negative invoices are consumed
 * first in, first out by the paid invoices that used balance, in the order billing finalized
 * them (ties by id), so every run computes the same allocation. A remainder no credit explains
 * (a credit billing granted another way) is left unallocated and shows in reconciliation.
 */
export function allocateCustomerCredit(
  invoices: readonly BillingInvoice[],
  target: BillingInvoice,
): CreditAllocation[] {
  const ordered = [...invoices]
    .filter((i) => i.currency === target.currency && i.status !== 'void' && i.status !== 'draft')
    .sort((a, b) => settledAt(a).localeCompare(settledAt(b)) || a.id.localeCompare(b.id));
  const credits: { id: string; left: number }[] = [];
  for (const invoice of ordered) {
    if (invoice.total.amount < 0) {
      credits.push({ id: invoice.id, left: -invoice.total.amount });
      continue;
    }
    let need = invoice.id === target.id ? creditUsed(target) : creditUsed(invoice);
    const allocations: CreditAllocation[] = [];
    for (const credit of credits) {
      if (need === 0) break;
      const take = Math.min(credit.left, need);
      if (take === 0) continue;
      credit.left -= take;
      need -= take;
      allocations.push({ creditMemoExternalId: credit.id, amount: take });
    }
    if (invoice.id === target.id) return allocations;
  }
  return [];
}

/**
 * Applies the credit memos that paid part of a paid invoice to it in the ERP, one idempotent
 * step each (setting an application again converges). Nothing when the invoice used no balance
 * or the ERP cannot apply credits.
 */
export async function applyCustomerCredit(
  ctx: FlowContext,
  deps: FlowDeps,
  invoice: BillingInvoice,
): Promise<CreditAllocation[]> {
  const apply = deps.erp.applyCreditMemo?.bind(deps.erp);
  if (creditUsed(invoice) === 0 || !apply) return [];
  const allocations = await ctx.step('credit-sources', async (s) =>
    allocateCustomerCredit(
      await deps.billing.listInvoices(
        { customerId: invoice.customerId },
        readOptions(s, 'critical'),
      ),
      invoice,
    ),
  );
  for (const a of allocations) {
    await ctx.step(`erp-apply-credit:${a.creditMemoExternalId}`, async (s) => {
      await apply(
        {
          creditMemoExternalId: a.creditMemoExternalId,
          invoiceExternalId: invoice.id,
          amount: { amount: a.amount, currency: invoice.total.currency },
        },
        writeOptions(s, 'critical'),
      );
      return a.amount;
    });
  }
  return allocations;
}
