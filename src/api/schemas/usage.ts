import { z } from 'zod';
import { IsoInstant, UsageRecordInput } from '../../model/usage-record.ts';

// The record schema lives in the model: the API and the stream ingest (src/ingest) accept the same.
export { UsageRecordInput };

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
