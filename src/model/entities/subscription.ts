import { z } from 'zod';
import { CurrencyCode } from '../currency.ts';
import { idSchemas } from '../ids.ts';
import { ExternalRefV1 } from './external-ref.ts';
import { Timestamp } from './primitives.ts';
import { checkOrder, checkUniqueIds, report } from './refinements.ts';

/** Subscription states, as Stripe names them (Chargebee's map onto these). */
export const SubscriptionStatus = z.enum([
  'trialing',
  'active',
  'past_due',
  'unpaid',
  'incomplete',
  'incomplete_expired',
  'paused',
  'canceled',
]);

/** @see SubscriptionStatus */
export type SubscriptionStatus = z.infer<typeof SubscriptionStatus>;

/** One price on a subscription, with its licensed quantity (0 for metered prices). */
export const SubscriptionItemV1 = z.object({
  id: idSchemas.subscription_item,
  priceId: idSchemas.price,
  quantity: z.int().nonnegative(),
});

/** @see SubscriptionItemV1 */
export type SubscriptionItemV1 = z.infer<typeof SubscriptionItemV1>;

/**
 * A recurring agreement as the billing platform runs it. The current period is
 * `[currentPeriodStart, currentPeriodEnd)`. `amendmentSequence` counts applied amendments
 * (0 for the original), so consumers can order and de-duplicate changes.
 */
export const SubscriptionV1 = z
  .object({
    schemaVersion: z.literal(1),
    id: idSchemas.subscription,
    customerId: idSchemas.customer,
    contractId: idSchemas.contract.optional(),
    status: SubscriptionStatus,
    currency: CurrencyCode,
    items: z.array(SubscriptionItemV1).min(1),
    currentPeriodStart: Timestamp,
    currentPeriodEnd: Timestamp,
    amendmentSequence: z.int().nonnegative(),
    cancelAtPeriodEnd: z.boolean(),
    startedAt: Timestamp.optional(),
    trialEnd: Timestamp.optional(),
    canceledAt: Timestamp.optional(),
    externalRefs: z.array(ExternalRefV1),
  })
  .superRefine((sub, ctx) => {
    checkOrder(ctx, sub.currentPeriodStart, sub.currentPeriodEnd, ['currentPeriodEnd'], true);
    checkUniqueIds(ctx, sub.items, ['items']);
    if (sub.status === 'canceled' && sub.canceledAt === undefined) {
      report(ctx, ['canceledAt'], 'is required when status is canceled');
    }
    if (sub.status === 'trialing' && sub.trialEnd === undefined) {
      report(ctx, ['trialEnd'], 'is required when status is trialing');
    }
  });

/** @see SubscriptionV1 */
export type SubscriptionV1 = z.infer<typeof SubscriptionV1>;
