import { z } from 'zod';
import { CurrencyCode } from '../currency.ts';
import { idSchemas } from '../ids.ts';
import { EntityType } from './entity-type.ts';
import { ExternalRefV1 } from './external-ref.ts';
import { CalendarDate, NonNegativeMoney, Text } from './primitives.ts';
import { checkCurrencies, report } from './refinements.ts';

/** One side of a posting: exactly one of `debit` and `credit`, never negative. */
export const JournalLineV1 = z.object({
  /** GL account number or name in the ERP's chart of accounts (`4000`, `Deferred Revenue`). */
  account: Text,
  debit: NonNegativeMoney.optional(),
  credit: NonNegativeMoney.optional(),
  memo: z.string().optional(),
});

/** @see JournalLineV1 */
export type JournalLineV1 = z.infer<typeof JournalLineV1>;

/** A balanced double-entry posting for the general ledger: total debits equal total credits. */
export const JournalEntryV1 = z
  .object({
    schemaVersion: z.literal(1),
    id: idSchemas.journal_entry,
    /** Posting date. */
    date: CalendarDate,
    currency: CurrencyCode,
    memo: Text,
    subsidiary: Text.optional(),
    /** The canonical object this posting comes from, e.g. a revenue schedule. */
    source: z.object({ entityType: EntityType, id: Text }).optional(),
    lines: z.array(JournalLineV1).min(2),
    externalRefs: z.array(ExternalRefV1),
  })
  .superRefine((entry, ctx) => {
    checkCurrencies(ctx, entry, entry.currency);
    let debits = 0n;
    let credits = 0n;
    entry.lines.forEach((line, i) => {
      if ((line.debit === undefined) === (line.credit === undefined)) {
        report(ctx, ['lines', i], 'must have exactly one of debit and credit');
      }
      debits += BigInt(line.debit?.amount ?? 0);
      credits += BigInt(line.credit?.amount ?? 0);
    });
    if (debits !== credits) {
      report(ctx, ['lines'], `debits (${debits}) must equal credits (${credits})`);
    }
  });

/** @see JournalEntryV1 */
export type JournalEntryV1 = z.infer<typeof JournalEntryV1>;
