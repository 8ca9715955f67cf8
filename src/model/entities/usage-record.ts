import { z } from 'zod';
import { idSchemas } from '../ids.ts';
import { ExternalRefV1 } from './external-ref.ts';
import { Text, Timestamp } from './primitives.ts';

/**
 * A usage measurement for a metered subscription item. `dedupeKey` is the producer's
 * idempotency key: two records with the same key are the same measurement, counted once.
 */
export const UsageRecordV1 = z.object({
  schemaVersion: z.literal(1),
  id: idSchemas.usage_record,
  subscriptionItemId: idSchemas.subscription_item,
  subscriptionId: idSchemas.subscription.optional(),
  customerId: idSchemas.customer.optional(),
  quantity: z.int().nonnegative(),
  /** `increment` adds to the period's usage; `set` replaces it. */
  action: z.enum(['increment', 'set']),
  /** When the usage happened. */
  timestamp: Timestamp,
  /** The producer: a meter, a product service, a file import. */
  source: Text,
  dedupeKey: Text.max(255),
  /** When revsync received it. */
  receivedAt: Timestamp.optional(),
  externalRefs: z.array(ExternalRefV1),
});

/** @see UsageRecordV1 */
export type UsageRecordV1 = z.infer<typeof UsageRecordV1>;
