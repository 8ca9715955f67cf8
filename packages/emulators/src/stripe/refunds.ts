import type * as kit from '../kit/index.ts';
import { recordRefund } from './balance.ts';
import { emit, nowFor, update, type StripeContext } from './context.ts';
import { invalidRequest, missingParam, noSuch } from './errors.ts';
import { paginate, rangeFilter } from './lists.ts';
import { idOf } from './lookup.ts';
import { route } from './route.ts';
import type { Charge, Refund } from './state.ts';

/** Fields of a new refund. */
export interface NewRefund {
  amount?: number;
  reason?: Refund['reason'];
  metadata?: Record<string, string>;
}

/**
 * Refunds `amount` (default: all that is left) of a succeeded charge: `refund.created` and
 * `charge.refunded` (with the previous `amount_refunded`).
 */
export function createRefund(ctx: StripeContext, charge: Charge, f: NewRefund): Refund {
  if (charge.status !== 'succeeded') {
    throw invalidRequest(
      `Charge ${charge.id} has not succeeded and cannot be refunded.`,
      'charge',
      'charge_not_refundable',
    );
  }
  const left = charge.amount - charge.amount_refunded;
  if (left <= 0) {
    throw invalidRequest(
      `Charge ${charge.id} has already been refunded.`,
      'charge',
      'charge_already_refunded',
    );
  }
  const amount = f.amount ?? left;
  if (amount > left) {
    throw invalidRequest(
      `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`,
      'amount',
      'amount_too_large',
    );
  }
  const customerId = idOf(charge.customer);
  const at = nowFor(ctx, customerId);
  const refund: Refund = {
    id: ctx.ids.next('re'),
    object: 'refund',
    amount,
    balance_transaction: ctx.ids.next('txn'),
    charge: charge.id,
    created: at,
    currency: charge.currency,
    customer: customerId,
    customer_account: null,
    destination_details: {
      type: 'card',
      card: {
        reference_status: 'pending',
        reference_type: 'acquirer_reference_number',
        type: 'refund',
      },
    },
    metadata: f.metadata ?? {},
    payment_intent: idOf(charge.payment_intent),
    payment_method: charge.payment_method,
    reason: f.reason ?? null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
  ctx.state.refunds.add(refund);
  recordRefund(ctx, refund);
  emit(ctx, 'refund.created', refund, { created: at });
  const before = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded === charge.amount;
  emit(ctx, 'charge.refunded', charge, { created: at, previous: before });
  return refund;
}

/** `/v1/refunds`. */
export function refundRoutes(ctx: StripeContext): kit.Route[] {
  const get = (id: string): Refund => {
    const r = ctx.state.refunds.get(id);
    if (!r) throw noSuch('refund', id);
    return r;
  };
  return [
    route(ctx, 'POST', '/v1/refunds', ({ p }) => {
      p.allow(
        'amount',
        'charge',
        'payment_intent',
        'reason',
        'metadata',
        'instructions_email',
        'refund_application_fee',
        'reverse_transfer',
        'currency',
        'customer',
        'origin',
      );
      const chargeId = p.str('charge');
      const piId = p.str('payment_intent');
      let charge: Charge | undefined;
      if (chargeId) {
        charge = ctx.state.charges.get(chargeId);
        if (!charge) throw noSuch('charge', chargeId, 'charge');
      } else if (piId) {
        const pi = ctx.state.paymentIntents.get(piId);
        if (!pi) throw noSuch('payment_intent', piId, 'payment_intent');
        charge = ctx.state.charges.get(idOf(pi.latest_charge) ?? '');
        if (!charge || pi.status !== 'succeeded') {
          throw invalidRequest(
            `This PaymentIntent (${piId}) does not have a successful charge to refund.`,
            'payment_intent',
            'charge_not_refundable',
          );
        }
      } else {
        throw missingParam('charge');
      }
      const amount = p.int('amount', { min: 1 });
      const reason = p.oneOf('reason', [
        'duplicate',
        'fraudulent',
        'requested_by_customer',
      ] as const);
      return createRefund(ctx, charge, {
        ...(amount !== undefined && { amount }),
        ...(reason !== undefined && { reason }),
        metadata: p.metadata(),
      });
    }),
    route(ctx, 'GET', '/v1/refunds/:id', ({ param }) => get(param('id'))),
    route(ctx, 'POST', '/v1/refunds/:id', ({ p, param }) => {
      p.allow('metadata');
      return update(ctx, 'refund.updated', get(param('id')), (r) => {
        r.metadata = p.metadata(r.metadata ?? {});
      });
    }),
    route(ctx, 'POST', '/v1/refunds/:id/cancel', ({ param }) => {
      const r = get(param('id'));
      throw invalidRequest(
        `Refund ${r.id} has status ${r.status} and cannot be canceled.`,
        undefined,
        'refund_not_cancelable',
      );
    }),
    route(ctx, 'GET', '/v1/refunds', ({ p }) => {
      p.allow('charge', 'payment_intent', 'created', 'limit', 'starting_after', 'ending_before');
      const charge = p.str('charge');
      const pi = p.str('payment_intent');
      const created = rangeFilter(p, 'created');
      const items = ctx.state.refunds
        .newestFirst()
        .filter(
          (r) =>
            (charge === undefined || r.charge === charge) &&
            (pi === undefined || r.payment_intent === pi) &&
            created(r.created),
        );
      return paginate(items, p, '/v1/refunds');
    }),
  ];
}
