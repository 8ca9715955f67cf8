import { z } from 'zod';
import { CurrencyCode } from '../currency.ts';
import { idSchemas } from '../ids.ts';
import { ExternalRefV1 } from './external-ref.ts';
import { NonNegativeMoney, Text } from './primitives.ts';
import { checkCurrencies, report } from './refinements.ts';

/** How a recurring price repeats and how its quantity is known. */
export const RecurringV1 = z.object({
  interval: z.enum(['month', 'year']),
  /** Bill every N intervals (3 months = quarterly). */
  intervalCount: z.int().min(1).max(36),
  /** `licensed`: quantity set on the subscription; `metered`: quantity from usage records. */
  usageType: z.enum(['licensed', 'metered']),
});

/** @see RecurringV1 */
export type RecurringV1 = z.infer<typeof RecurringV1>;

/**
 * What a product costs per unit, in one currency. `recurring` is present exactly when
 * `type` is `recurring`.
 */
export const PriceV1 = z
  .object({
    schemaVersion: z.literal(1),
    id: idSchemas.price,
    productId: idSchemas.product,
    currency: CurrencyCode,
    type: z.enum(['recurring', 'one_time']),
    /** Price of one unit for one interval. */
    unitAmount: NonNegativeMoney,
    recurring: RecurringV1.optional(),
    nickname: Text.optional(),
    active: z.boolean(),
    externalRefs: z.array(ExternalRefV1),
  })
  .superRefine((price, ctx) => {
    checkCurrencies(ctx, price, price.currency);
    if (price.type === 'recurring' && price.recurring === undefined) {
      report(ctx, ['recurring'], 'is required for a recurring price');
    }
    if (price.type === 'one_time' && price.recurring !== undefined) {
      report(ctx, ['recurring'], 'must be absent for a one_time price');
    }
  });

/** @see PriceV1 */
export type PriceV1 = z.infer<typeof PriceV1>;
