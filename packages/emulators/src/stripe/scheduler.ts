import { advanceInvoice, currentPeriod, payInvoice } from './billing.ts';
import { clockOf, type StripeContext } from './context.ts';
import { idOf } from './lookup.ts';
import type { Invoice, Subscription } from './state.ts';
import { expireIncomplete, INCOMPLETE_EXPIRY_SECONDS, renewSubscription } from './subscriptions.ts';

type Action =
  | { at: number; kind: 'renew'; sub: Subscription }
  | { at: number; kind: 'expire'; sub: Subscription }
  | { at: number; kind: 'finalize'; inv: Invoice }
  | { at: number; kind: 'collect'; inv: Invoice };

const RENEWING = new Set(['active', 'past_due', 'trialing', 'unpaid']);

/** The earliest piece of billing work due for customers on `scope` (a test clock id, or `null` for the emulator clock). */
function nextAction(ctx: StripeContext, scope: string | null): Action | undefined {
  let best: Action | undefined;
  const consider = (a: Action): void => {
    if (!best || a.at < best.at) best = a;
  };
  for (const sub of ctx.state.subscriptions.values()) {
    const customer = idOf(sub.customer);
    if (!ctx.state.customers.has(customer ?? '') || clockOf(ctx, customer) !== scope) continue;
    if (RENEWING.has(sub.status)) {
      const end = currentPeriod(sub).end;
      consider({ at: Math.min(end, sub.cancel_at ?? end), kind: 'renew', sub });
    } else if (sub.status === 'incomplete') {
      consider({ at: sub.created + INCOMPLETE_EXPIRY_SECONDS, kind: 'expire', sub });
    }
  }
  for (const inv of ctx.state.invoices.values()) {
    if (clockOf(ctx, idOf(inv.customer)) !== scope) continue;
    if (inv.status === 'draft' && inv.auto_advance && inv.automatically_finalizes_at !== null) {
      consider({ at: inv.automatically_finalizes_at, kind: 'finalize', inv });
    } else if (
      inv.status === 'open' &&
      inv.next_payment_attempt !== null &&
      inv.collection_method === 'charge_automatically'
    ) {
      consider({ at: inv.next_payment_attempt, kind: 'collect', inv });
    }
  }
  return best;
}

/**
 * Runs, in time order, every piece of billing work due up to `until` for the customers on
 * `scope`: renewals (or cancellations) at period ends, drafts finalized an hour after creation
 * and charged, deferred first payment attempts, and `incomplete` subscriptions expiring.
 * `setTime` moves the scope's clock to each action's time first (test clocks).
 */
export function runDueWork(
  ctx: StripeContext,
  scope: string | null,
  until: number,
  setTime?: (at: number) => void,
): number {
  let done = 0;
  for (let guard = 0; guard < 100_000; guard++) {
    const action = nextAction(ctx, scope);
    if (!action || action.at > until) break;
    setTime?.(action.at);
    if (action.kind === 'renew') renewSubscription(ctx, action.sub, action.at);
    else if (action.kind === 'expire') expireIncomplete(ctx, action.sub, action.at);
    else if (action.kind === 'finalize') advanceInvoice(ctx, action.inv, action.at);
    else {
      action.inv.next_payment_attempt = null;
      payInvoice(ctx, action.inv, action.at);
    }
    done++;
  }
  return done;
}
