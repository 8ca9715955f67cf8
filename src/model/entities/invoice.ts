import { z } from 'zod';
import { CurrencyCode } from '../currency.ts';
import { DecimalString } from '../decimal.ts';
import { idSchemas } from '../ids.ts';
import { MoneySchema } from '../money.ts';
import { ExternalRefV1 } from './external-ref.ts';
import { NonNegativeMoney, Text, Timestamp } from './primitives.ts';
import { checkCurrencies, checkOrder, checkSum, checkUniqueIds, report } from './refinements.ts';

/** Tax charged at one rate in one jurisdiction. */
export const TaxLineV1 = z.object({
  /** E.g. `VAT`, `CA State Sales Tax`. */
  description: Text.optional(),
  /** E.g. `DE`, `US-CA`. */
  jurisdiction: Text.optional(),
  /** Rate as a decimal fraction string: `'0.19'` is 19 %. */
  rate: DecimalString,
  /** The amount the rate applied to. */
  taxableAmount: MoneySchema,
  /** The tax. */
  amount: MoneySchema,
});

/** @see TaxLineV1 */
export type TaxLineV1 = z.infer<typeof TaxLineV1>;

/**
 * One invoice line. `amount` is net of line discounts and exclusive of tax. For a line that is
 * not a proration and has a `unitAmount`, `amount = quantity × unitAmount − discountAmount`.
 * A proration line keeps the full-period `unitAmount` and carries the prorated `amount`
 * (negative for a credit). The service period is `[servicePeriodStart, servicePeriodEnd)`.
 */
export const InvoiceLineV1 = z.object({
  id: idSchemas.invoice_line,
  description: Text,
  productId: idSchemas.product.optional(),
  priceId: idSchemas.price.optional(),
  subscriptionItemId: idSchemas.subscription_item.optional(),
  quantity: z.int().nonnegative(),
  /** Absent when there is no single unit price (tiered or volume pricing). */
  unitAmount: MoneySchema.optional(),
  discountAmount: NonNegativeMoney.optional(),
  amount: MoneySchema,
  servicePeriodStart: Timestamp,
  servicePeriodEnd: Timestamp,
  proration: z.boolean(),
  taxLines: z.array(TaxLineV1).optional(),
});

/** @see InvoiceLineV1 */
export type InvoiceLineV1 = z.infer<typeof InvoiceLineV1>;

/** Invoice states. `paid`, `void` and `uncollectible` are final in the billing platforms. */
export const InvoiceStatus = z.enum(['draft', 'open', 'paid', 'void', 'uncollectible']);

/** @see InvoiceStatus */
export type InvoiceStatus = z.infer<typeof InvoiceStatus>;

/** Why an invoice was created. */
export const BillingReason = z.enum([
  'subscription_create',
  'subscription_cycle',
  'subscription_update',
  'subscription_threshold',
  'manual',
]);

/** @see BillingReason */
export type BillingReason = z.infer<typeof BillingReason>;

/**
 * A bill to a customer. Amounts are tax-exclusive: `subtotal = Σ lines.amount`,
 * `tax = Σ taxLines.amount`, `total = subtotal + tax`. `amountDue` is what is still owed (Stripe's
 * `amount_remaining`), zero once paid. Every Money is in the invoice's currency. A draft may lack
 * `number` and `issuedAt`; any other status needs both.
 */
export const InvoiceV1 = z
  .object({
    schemaVersion: z.literal(1),
    id: idSchemas.invoice,
    customerId: idSchemas.customer,
    subscriptionId: idSchemas.subscription.optional(),
    number: Text.optional(),
    status: InvoiceStatus,
    billingReason: BillingReason,
    currency: CurrencyCode,
    issuedAt: Timestamp.optional(),
    dueAt: Timestamp.optional(),
    lines: z.array(InvoiceLineV1),
    taxLines: z.array(TaxLineV1),
    subtotal: MoneySchema,
    tax: MoneySchema,
    total: MoneySchema,
    amountPaid: NonNegativeMoney,
    amountDue: NonNegativeMoney,
    externalRefs: z.array(ExternalRefV1),
  })
  .superRefine((invoice, ctx) => {
    checkCurrencies(ctx, invoice, invoice.currency);
    checkUniqueIds(ctx, invoice.lines, ['lines']);
    invoice.lines.forEach((line, i) => {
      checkOrder(
        ctx,
        line.servicePeriodStart,
        line.servicePeriodEnd,
        ['lines', i, 'servicePeriodEnd'],
        false,
      );
      if (!line.proration && line.unitAmount !== undefined) {
        const expected =
          BigInt(line.quantity) * BigInt(line.unitAmount.amount) -
          BigInt(line.discountAmount?.amount ?? 0);
        if (expected !== BigInt(line.amount.amount)) {
          report(
            ctx,
            ['lines', i, 'amount'],
            `must equal quantity × unitAmount − discountAmount (${expected}), is ${line.amount.amount}`,
          );
        }
      }
    });
    checkSum(
      ctx,
      invoice.lines.map((l) => l.amount),
      invoice.subtotal,
      ['subtotal'],
      'the sum of line amounts',
    );
    checkSum(
      ctx,
      invoice.taxLines.map((t) => t.amount),
      invoice.tax,
      ['tax'],
      'the sum of tax line amounts',
    );
    const lineTaxes = invoice.lines.flatMap((l) => l.taxLines ?? []);
    if (lineTaxes.length > 0) {
      checkSum(
        ctx,
        lineTaxes.map((t) => t.amount),
        invoice.tax,
        ['tax'],
        "the sum of the lines' tax amounts",
      );
    }
    checkSum(ctx, [invoice.subtotal, invoice.tax], invoice.total, ['total'], 'subtotal + tax');
    if (invoice.status === 'paid' && invoice.amountDue.amount !== 0) {
      report(ctx, ['amountDue'], 'must be zero when status is paid');
    }
    if (invoice.status !== 'draft') {
      for (const field of ['number', 'issuedAt'] as const) {
        if (invoice[field] === undefined) {
          report(ctx, [field], `is required when status is ${invoice.status}`);
        }
      }
    }
    if (invoice.issuedAt !== undefined && invoice.dueAt !== undefined) {
      checkOrder(ctx, invoice.issuedAt, invoice.dueAt, ['dueAt'], false);
    }
  });

/** @see InvoiceV1 */
export type InvoiceV1 = z.infer<typeof InvoiceV1>;
