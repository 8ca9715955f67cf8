import { z } from 'zod';

const IsoInstant = z.iso.datetime({ offset: true }).meta({
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

/**
 * The producer's statement that a period is complete for one subscription item: how many records
 * it sent and their total quantity. The ingest compares it with what arrived (data-completeness
 * check) before the period is billed.
 */
export const UsageManifestInput = z
  .object({
    source: z.string().min(1).max(255),
    subscriptionItemId: z.string().min(1).max(255),
    periodStart: IsoInstant,
    periodEnd: IsoInstant,
    count: z.int().min(0),
    sum: z.int().min(0),
  })
  .meta({ title: 'UsageManifestInput' });

/** @see UsageManifestInput */
export type UsageManifestInput = z.infer<typeof UsageManifestInput>;

/** Body of `POST /v1/usage`: up to 1,000 records per request. */
export const UsageBatchInput = z.object({
  records: z.array(UsageRecordInput).min(1).max(1000),
});
