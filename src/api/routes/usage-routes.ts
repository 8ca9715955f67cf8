import { z } from 'zod';
import { UnavailableError } from '../../model/revsync-error.ts';
import type { ApiContext } from '../api-context.ts';
import type { UsageIngest } from '../deps.ts';
import { defineRoute } from '../route-spec.ts';
import { UsageBatchInput, UsageManifestInput } from '../schemas/usage.ts';

function ingestOf(api: ApiContext): UsageIngest {
  if (!api.usage) {
    throw new UnavailableError(
      'usage ingestion is not configured on this server (start it with a UsageIngest)',
    );
  }
  return api.usage;
}

/** Usage-to-invoice: metered usage in, periods closed with a completeness manifest. */
export const usageRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/usage',
    access: 'operator',
    operationId: 'recordUsage',
    tag: 'usage',
    summary: 'Record usage measurements (de-duplicated on dedupeKey)',
    body: UsageBatchInput,
    status: 202,
    errors: [503],
    response: z.object({ accepted: z.number().int(), duplicates: z.number().int() }),
    async handler({ api, body, actor }) {
      return ingestOf(api).record(body.records, { actor });
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/usage/periods/close',
    access: 'operator',
    operationId: 'closeUsagePeriod',
    tag: 'usage',
    summary: 'Close a usage period with the producer’s manifest (count and sum)',
    description:
      'The ingest checks the manifest against what arrived (data completeness) and answers 400 or 409 when they differ.',
    body: UsageManifestInput,
    errors: [409, 503],
    response: z.object({ closed: z.literal(true), manifest: UsageManifestInput }),
    async handler({ api, body, actor }) {
      await ingestOf(api).closePeriod(body, { actor });
      await api.store.audit.record(api.store.db, {
        at: api.clock.now(),
        actor,
        action: 'usage.period.close',
        targetType: 'subscription_item',
        targetId: body.subscriptionItemId,
        details: { ...body },
      });
      return { closed: true as const, manifest: body };
    },
  }),
];
