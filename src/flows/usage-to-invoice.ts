import { defineFlow } from '../engine/flow.ts';
import { ValidationError } from '../model/revsync-error.ts';
import type { FlowDeps } from './deps.ts';
import { writeOptions } from './step-options.ts';

/** The event that starts a usage period's billing (raised when a source closes a period). */
export const USAGE_PERIOD_CLOSED = 'revsync.usage.period_closed';

export interface UsagePeriod {
  subscriptionItemId: string;
  periodStart: string;
  periodEnd: string;
}

/** How often an incomplete period is checked again, and for how long. */
export const USAGE_RECHECK_MS = 5 * 60_000;
export const USAGE_MAX_CHECKS = 288;

/**
 * Usage-to-invoice: usage records arrive through the API; when a source closes a period, the
 * period is billed only once it is complete — every required source has closed it, each
 * source's record count and sum match its manifest, and the period has ended (the watermark).
 * An incomplete period is held back and checked again; once complete, its quantity is reported
 * to the billing platform once (idempotency key per run step, one run per period).
 */
export function usageToInvoiceFlow(deps: FlowDeps) {
  return defineFlow<UsagePeriod>({
    name: 'usage-to-invoice',
    triggers: [USAGE_PERIOD_CLOSED],
    entityKey: (event) =>
      `usage:${(event.data as UsagePeriod).subscriptionItemId}:${(event.data as UsagePeriod).periodStart}`,
    input: (event) => {
      const data = event.data as Partial<UsagePeriod>;
      if (!data.subscriptionItemId || !data.periodStart || !data.periodEnd) {
        throw new Error('usage period events need subscriptionItemId, periodStart and periodEnd');
      }
      return {
        subscriptionItemId: data.subscriptionItemId,
        periodStart: data.periodStart,
        periodEnd: data.periodEnd,
      };
    },
    async run(ctx, period) {
      for (let check = 1; ; check++) {
        const result = await ctx.step(`check-completeness-${check}`, () =>
          deps.usage.completeness(period),
        );
        if (result.complete) {
          if (result.quantity === 0) return { reported: false, quantity: 0, checks: check };
          const reported = await ctx.step('report-usage', async (s) => {
            if (!deps.billing.reportUsage)
              throw new ValidationError(`${deps.billing.system} cannot take usage`);
            return deps.billing.reportUsage(
              {
                subscriptionItemId: period.subscriptionItemId,
                quantity: result.quantity,
                periodStart: period.periodStart,
                periodEnd: period.periodEnd,
                description: `Usage ${period.periodStart.slice(0, 10)} – ${period.periodEnd.slice(0, 10)}: ${result.quantity} units`,
              },
              writeOptions(s),
            );
          });
          return {
            reported: true,
            usageItemId: reported.id,
            quantity: result.quantity,
            records: result.records,
            checks: check,
          };
        }
        if (check >= USAGE_MAX_CHECKS) {
          await ctx.step('incomplete', () => {
            throw new ValidationError(
              `usage period still incomplete after ${check} checks: ${result.problems.join('; ')}`,
            );
          });
        }
        ctx.log.info(
          { problems: result.problems, check },
          'usage period incomplete; holding it back',
        );
        await ctx.sleep(`recheck-${check}`, deps.rules.usageRecheckMs ?? USAGE_RECHECK_MS);
      }
    },
  });
}
