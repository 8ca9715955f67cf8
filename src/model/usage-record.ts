import { z } from 'zod';

/** An ISO 8601 instant with an offset (`Z` or `±hh:mm`). */
export const IsoInstant = z.iso.datetime({ offset: true }).meta({
  description: 'An instant in ISO 8601 / RFC 3339, e.g. 2026-01-31T12:00:00Z',
});

/**
 * One usage measurement as a producer sends it. `dedupeKey` is the producer's idempotency key:
 * a record sent twice with the same key counts once.
 */
export const UsageRecordInput = z
  .object({
    subscriptionItemId: z.string().min(1).max(255),
    quantity: z.int().min(0),
    timestamp: IsoInstant,
    source: z.string().min(1).max(255),
    dedupeKey: z.string().min(1).max(255),
  })
  .meta({ title: 'UsageRecordInput' });

/** @see UsageRecordInput */
export type UsageRecordInput = z.infer<typeof UsageRecordInput>;
