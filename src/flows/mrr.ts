import { money, prorate, sum, zero, type Money } from '../model/money.ts';
import { toCurrencyCode } from '../model/currency.ts';
import type { BillingSubscription } from '../connectors/ports.ts';

/**
 * Monthly recurring revenue of a subscription: Σ unit amount × quantity per month (yearly prices
 * divided by 12, half-even to the minor unit). Zero once canceled.
 */
export function monthlyRecurringRevenue(subscription: BillingSubscription): Money {
  const currency = toCurrencyCode(subscription.currency);
  if (subscription.status === 'canceled' || subscription.status === 'incomplete_expired')
    return zero(currency);
  const perItem = subscription.items.map((item) => {
    const total = money(BigInt(item.unitAmount.amount) * BigInt(item.quantity), currency);
    return item.interval === 'year' ? prorate(total, 1, 12, 'half-even') : total;
  });
  return sum(perItem, currency);
}
