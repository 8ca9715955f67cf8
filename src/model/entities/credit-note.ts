import { z } from 'zod';
import { CurrencyCode } from '../currency.ts';
import { idSchemas } from '../ids.ts';
import { ExternalRefV1 } from './external-ref.ts';
import { NonNegativeMoney, Text, Timestamp } from './primitives.ts';
import { checkCurrencies, checkSum, checkUniqueIds } from './refinements.ts';

/** One credited amount, optionally tied to the invoice line it reverses. Tax-exclusive, positive. */
export const CreditNoteLineV1 = z.object({
  id: idSchemas.credit_note_line,
  invoiceLineId: idSchemas.invoice_line.optional(),
  description: Text,
  quantity: z.int().nonnegative().optional(),
  unitAmount: NonNegativeMoney.optional(),
  amount: NonNegativeMoney,
});

/** @see CreditNoteLineV1 */
export type CreditNoteLineV1 = z.infer<typeof CreditNoteLineV1>;

/** Why credit was given (Stripe's reasons, plus `other`). */
export const CreditNoteReason = z.enum([
  'duplicate',
  'fraudulent',
  'order_change',
  'product_unsatisfactory',
  'other',
]);

/** @see CreditNoteReason */
export type CreditNoteReason = z.infer<typeof CreditNoteReason>;

/**
 * A reduction of an issued invoice (becomes an ERP credit memo). Amounts are positive:
 * `subtotal = Σ lines.amount`, `total = subtotal + tax`.
 */
export const CreditNoteV1 = z
  .object({
    schemaVersion: z.literal(1),
    id: idSchemas.credit_note,
    number: Text,
    invoiceId: idSchemas.invoice,
    customerId: idSchemas.customer,
    status: z.enum(['issued', 'void']),
    reason: CreditNoteReason,
    memo: z.string().optional(),
    currency: CurrencyCode,
    issuedAt: Timestamp,
    lines: z.array(CreditNoteLineV1).min(1),
    subtotal: NonNegativeMoney,
    tax: NonNegativeMoney,
    total: NonNegativeMoney,
    externalRefs: z.array(ExternalRefV1),
  })
  .superRefine((note, ctx) => {
    checkCurrencies(ctx, note, note.currency);
    checkUniqueIds(ctx, note.lines, ['lines']);
    checkSum(
      ctx,
      note.lines.map((l) => l.amount),
      note.subtotal,
      ['subtotal'],
      'the sum of line amounts',
    );
    checkSum(ctx, [note.subtotal, note.tax], note.total, ['total'], 'subtotal + tax');
  });

/** @see CreditNoteV1 */
export type CreditNoteV1 = z.infer<typeof CreditNoteV1>;
