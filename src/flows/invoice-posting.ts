import type { BillingInvoice, ErpCreditMemoInput, ErpInvoiceInput } from '../connectors/ports.ts';
import { negate } from '../model/money.ts';
import type { FlowContext } from '../engine/flow.ts';
import { stableId } from '../model/ids.ts';
import { ValidationError } from '../model/revsync-error.ts';
import type { CustomerState } from './customer-sync.ts';
import type { FlowDeps } from './deps.ts';
import { erpLink } from './erp-link.ts';
import { postInOpenPeriod } from './erp-period.ts';
import { readOptions, writeOptions } from './step-options.ts';

/** How long a flow waits for the billing platform to finalize an invoice. */
export const FINALIZE_TIMEOUT_MS = 6 * 60 * 60 * 1000;

/** How `postInvoiceToErp` posts. */
export interface PostInvoiceOptions {
  /**
   * A repair run (started by reconciliation): revsync's cross-reference to the ERP document is
   * not trusted. The ERP is asked for the document by its external id; when it is gone (deleted
   * by hand), the invoice is posted again under the same external id and the link moves to it.
   * Ordinary runs trust the link and stop there.
   */
  repair?: boolean;
  /**
   * The invoice as this run already has it, from a checkpointed step's result (the first
   * invoice `createSubscription` answered with): posted without reading it again
   * (read-your-write) when it is this invoice and no longer a draft. Otherwise, or when absent,
   * the invoice is read (and waited for) as usual.
   */
  invoice?: BillingInvoice;
}

export interface PostedInvoice {
  invoice: BillingInvoice;
  customerId: string;
  erpInvoiceId: string;
}

/**
 * Posts a billing invoice to the ERP exactly once: waits until it is finalized ("notify, then
 * fetch" — the invoice is re-read, never taken from the event; an invoice this run's own write
 * was answered with can be passed as `options.invoice` instead), resolves its canonical customer,
 * makes sure the ERP customer exists, and upserts the ERP invoice with the billing invoice's id as
 * its external id, so a repeated posting updates instead of duplicating. Steps are named under
 * `prefix`, so one run can post several invoices.
 */
export async function postInvoiceToErp(
  ctx: FlowContext,
  deps: FlowDeps,
  invoiceId: string,
  prefix = 'invoice',
  options: PostInvoiceOptions = {},
): Promise<PostedInvoice> {
  const repair = options.repair === true;
  const known = options.invoice;
  let invoice =
    known?.id === invoiceId && known.status !== 'draft'
      ? known
      : await ctx.step(`${prefix}:read`, (s) =>
          deps.billing.getInvoice(invoiceId, readOptions(s, 'high')),
        );
  if (invoice.status === 'draft') {
    await ctx.waitForSignal(`billing.invoice.finalized:${invoiceId}`, {
      timeoutMs: FINALIZE_TIMEOUT_MS,
      name: `${prefix}:wait-finalized`,
    });
    invoice = await ctx.step(`${prefix}:read-finalized`, (s) =>
      deps.billing.getInvoice(invoiceId, readOptions(s, 'high')),
    );
  }

  const customerId = await ctx.step(
    `${prefix}:resolve-customer`,
    async () => {
      const id =
        invoice.revsyncId ??
        (await deps.xrefs.find(deps.billing.system, 'customer', invoice.customerId));
      if (!id) {
        throw new ValidationError(
          `${deps.billing.system} invoice ${invoice.id} belongs to customer ${invoice.customerId}, which revsync does not know; sync the customer first`,
        );
      }
      return id;
    },
    { local: true },
  );

  const customer = await ctx.step(`${prefix}:erp-customer`, async (s) => {
    const state = (await deps.entities.get<CustomerState>(customerId))?.data;
    if (!state) throw new ValidationError(`customer ${customerId} has no canonical record`);
    let erpId = await deps.xrefs.findExternal(customerId, deps.erp.system, 'customer');
    if (!erpId) {
      erpId = (
        await deps.erp.upsertCustomer(
          {
            externalId: customerId,
            name: state.fields.name,
            subsidiary: state.fields.subsidiary,
            currency: state.fields.currency,
          },
          writeOptions(s, 'high'),
        )
      ).id;
      await deps.xrefs.link({
        canonicalId: customerId,
        entityType: 'customer',
        system: deps.erp.system,
        objectType: 'customer',
        externalId: erpId,
      });
    }
    return { erpId, subsidiary: state.fields.subsidiary };
  });

  const erpInvoiceId = await ctx.step(`${prefix}:post`, async (s) => {
    const canonicalId = invoiceCanonicalId(deps, invoice.id);
    await deps.xrefs.link({
      canonicalId,
      entityType: 'invoice',
      system: deps.billing.system,
      objectType: 'invoice',
      externalId: invoice.id,
    });
    // A finalized invoice does not change: once posted (here or by another flow), it is done.
    const objectType = invoice.total.amount < 0 ? 'credit_memo' : 'invoice';
    const posted = await deps.xrefs.findExternal(canonicalId, deps.erp.system, objectType);
    if (posted && !repair) return posted;
    if (posted) {
      // A repair: reconciliation found the ERP out of step, so the link is checked against the
      // ERP itself. Still there (or already posted again by an earlier attempt): keep it.
      const found =
        objectType === 'credit_memo'
          ? await deps.erp.getCreditMemo(invoice.id, readOptions(s, 'high'))
          : await deps.erp.getInvoice(invoice.id, readOptions(s, 'high'));
      if (found) {
        await erpLink(
          deps,
          { ...erpXref(canonicalId, deps.erp.system, objectType), externalId: found.id },
          true,
        );
        return found.id;
      }
    }
    const what = `${deps.billing.system} invoice ${invoice.number ?? invoice.id}`;
    const date = (invoice.finalizedAt ?? invoice.createdAt).slice(0, 10);
    // A downgrade's proration invoice can be negative: the ERP books that as a credit memo.
    if (invoice.total.amount < 0) {
      const memo = await postInOpenPeriod(deps, what, date, s, () =>
        deps.erp.upsertCreditMemo(toErpCreditMemo(invoice, customerId), writeOptions(s, 'high')),
      );
      await erpLink(
        deps,
        { ...erpXref(canonicalId, deps.erp.system, objectType), externalId: memo.id },
        repair,
      );
      return memo.id;
    }
    const { id } = await postInOpenPeriod(deps, what, date, s, () =>
      deps.erp.upsertInvoice(
        toErpInvoice(invoice, customerId, customer.subsidiary),
        writeOptions(s, 'high'),
      ),
    );
    await erpLink(
      deps,
      { ...erpXref(canonicalId, deps.erp.system, objectType), externalId: id },
      repair,
    );
    return id;
  });
  return { invoice, customerId, erpInvoiceId };
}

/** The link of a billing invoice's canonical id to its ERP document (the external id to fill in). */
/** The canonical id of a billing invoice (the key of its cross-references). */
function invoiceCanonicalId(deps: Pick<FlowDeps, 'billing'>, invoiceId: string): string {
  return stableId('inv', `${deps.billing.system}:invoice:${invoiceId}`);
}

/**
 * The ERP document revsync already posted for a billing invoice (invoice or credit memo), read
 * from revsync's own cross-references — no outside call. A finalized invoice does not change,
 * so a flow that only posts can stop here.
 */
export async function postedInvoice(
  deps: Pick<FlowDeps, 'billing' | 'erp' | 'xrefs'>,
  invoiceId: string,
): Promise<string | undefined> {
  const canonicalId = invoiceCanonicalId(deps, invoiceId);
  return (
    (await deps.xrefs.findExternal(canonicalId, deps.erp.system, 'invoice')) ??
    (await deps.xrefs.findExternal(canonicalId, deps.erp.system, 'credit_memo'))
  );
}

function erpXref(canonicalId: string, system: string, objectType: 'invoice' | 'credit_memo') {
  return { canonicalId, entityType: 'invoice', system, objectType };
}

/** Billing invoice → ERP invoice: same lines, tax, total and currency; rev-rec dates from service periods. */
export function toErpInvoice(
  invoice: BillingInvoice,
  customerId: string,
  subsidiary: string,
): ErpInvoiceInput {
  return {
    externalId: invoice.id,
    customerExternalId: customerId,
    subsidiary,
    currency: invoice.currency.toUpperCase(),
    tranDate: (invoice.finalizedAt ?? invoice.createdAt).slice(0, 10),
    ...(invoice.number !== undefined && { memo: `${invoice.number} (${invoice.billingReason})` }),
    lines: invoice.lines.map((line) => ({
      description: line.description,
      quantity: line.quantity,
      amount: line.amount,
      ...(line.productCode !== undefined && { item: line.productCode }),
      revRecStart: line.periodStart.slice(0, 10),
      revRecEnd: lastDayOf(line.periodStart, line.periodEnd),
    })),
    tax: invoice.tax,
    total: invoice.total,
  };
}

/** A net-negative billing invoice → ERP credit memo: every amount negated, same external id. */
export function toErpCreditMemo(invoice: BillingInvoice, customerId: string): ErpCreditMemoInput {
  const erp = toErpInvoice(invoice, customerId, '');
  return {
    externalId: erp.externalId,
    customerExternalId: customerId,
    currency: erp.currency,
    tranDate: erp.tranDate,
    memo: erp.memo ?? `credit from ${invoice.id}`,
    lines: erp.lines.map((line) => ({ ...line, amount: negate(line.amount) })),
    total: negate(invoice.total),
  };
}

/** ERP rev-rec end dates are inclusive; service periods are half-open. */
function lastDayOf(start: string, endExclusive: string): string {
  const end = new Date(Date.parse(endExclusive) - 1);
  const startDay = start.slice(0, 10);
  const endDay = end.toISOString().slice(0, 10);
  return endDay < startDay ? startDay : endDay;
}
