import { z } from 'zod';
import { CurrencyCode } from '../currency.ts';
import { idSchemas } from '../ids.ts';
import { ExternalRefV1 } from './external-ref.ts';
import { CalendarDate, NonNegativeMoney, Text, Timestamp } from './primitives.ts';
import { checkCurrencies, checkOrder, checkUniqueIds } from './refinements.ts';

/** One committed product on a contract. */
export const ContractLineV1 = z.object({
  id: idSchemas.contract_line,
  productId: idSchemas.product,
  priceId: idSchemas.price.optional(),
  quantity: z.int().nonnegative(),
  /** Negotiated price of one unit for one billing interval. */
  unitAmount: NonNegativeMoney,
});

/** @see ContractLineV1 */
export type ContractLineV1 = z.infer<typeof ContractLineV1>;

/**
 * A signed commercial agreement (closed-won opportunity, order form). The term is the half-open
 * range `[termStart, termEnd)`: a one-year term from 1 January has `termEnd` 1 January next year.
 */
export const ContractV1 = z
  .object({
    schemaVersion: z.literal(1),
    id: idSchemas.contract,
    customerId: idSchemas.customer,
    number: Text.optional(),
    status: z.enum(['draft', 'active', 'expired', 'terminated']),
    currency: CurrencyCode,
    termStart: CalendarDate,
    /** First day after the term (exclusive). */
    termEnd: CalendarDate,
    signedAt: Timestamp.optional(),
    lines: z.array(ContractLineV1).min(1),
    externalRefs: z.array(ExternalRefV1),
  })
  .superRefine((contract, ctx) => {
    checkCurrencies(ctx, contract, contract.currency);
    checkOrder(ctx, contract.termStart, contract.termEnd, ['termEnd'], true);
    checkUniqueIds(ctx, contract.lines, ['lines']);
  });

/** @see ContractV1 */
export type ContractV1 = z.infer<typeof ContractV1>;
