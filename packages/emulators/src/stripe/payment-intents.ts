import type * as kit from '../kit/index.ts';
import { recordCharge } from './balance.ts';
import { emit, snapshot, update, type StripeContext } from './context.ts';
import { invalidRequest, noSuch, stripeError } from './errors.ts';
import { paginate, rangeFilter } from './lists.ts';
import { cardBehavior, resolvePaymentMethod } from './payment-methods.ts';
import { route } from './route.ts';
import type { Charge, PaymentIntent } from './state.ts';

/** What a charge attempt gave. */
export interface ChargeOutcome {
  ok: boolean;
  charge: Charge;
  /** The 402 to answer with when the card was declined. */
  error?: kit.EmulatorHttpError;
}

/** Fields of a new payment intent. */
export interface NewPaymentIntent {
  amount: number;
  currency: string;
  customer: string | null;
  description?: string | null;
  metadata?: Record<string, string>;
  paymentMethod?: string | null;
  created: number;
}

/** Creates a payment intent (`payment_intent.created`). */
export function createPaymentIntent(ctx: StripeContext, f: NewPaymentIntent): PaymentIntent {
  const id = ctx.ids.next('pi');
  const pi: PaymentIntent = {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: f.amount,
    amount_capturable: 0,
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: `${id}_secret_${ctx.ids.chars(25)}`,
    confirmation_method: 'automatic',
    created: f.created,
    currency: f.currency,
    customer: f.customer,
    customer_account: null,
    description: f.description ?? null,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: f.metadata ?? {},
    next_action: null,
    on_behalf_of: null,
    payment_method: f.paymentMethod ?? null,
    payment_method_configuration_details: null,
    payment_method_options: null,
    payment_method_types: ['card'],
    payment_record: null,
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: f.paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
  ctx.state.paymentIntents.add(pi);
  emit(ctx, 'payment_intent.created', pi, { created: f.created });
  return pi;
}

function createCharge(ctx: StripeContext, pi: PaymentIntent, pmId: string, at: number): Charge {
  const card = cardBehavior(ctx, pmId);
  const pm = ctx.state.paymentMethods.get(pmId);
  const ok = card.decline === undefined;
  const id = ctx.ids.next('ch');
  const charge: Charge = {
    id,
    object: 'charge',
    amount: pi.amount,
    amount_captured: ok ? pi.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: ok ? ctx.ids.next('txn') : null,
    billing_details: pm?.billing_details ?? {
      address: null,
      email: null,
      name: null,
      phone: null,
      tax_id: null,
    },
    calculated_statement_descriptor: 'EMULATED STRIPE',
    captured: ok,
    created: at,
    currency: pi.currency,
    customer: pi.customer,
    description: pi.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: card.decline?.code ?? null,
    failure_message: card.decline?.message ?? null,
    fraud_details: {},
    livemode: false,
    metadata: {},
    on_behalf_of: null,
    outcome: {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: ok ? 'approved_by_network' : 'declined_by_network',
      reason: card.decline?.declineCode ?? null,
      risk_level: 'normal',
      risk_score: 20,
      seller_message: ok
        ? 'Payment complete.'
        : 'The bank did not return any further details with this decline.',
      type: ok ? 'authorized' : 'issuer_declined',
    },
    paid: ok,
    payment_intent: pi.id,
    payment_method: pmId,
    payment_method_details: {
      type: 'card',
      card: {
        amount_authorized: ok ? pi.amount : null,
        authorization_code: ok ? '123456' : null,
        brand: card.brand,
        checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
        country: 'US',
        exp_month: 12,
        exp_year: 2034,
        extended_authorization: { status: 'disabled' },
        fingerprint: pm?.card?.fingerprint ?? null,
        funding: 'credit',
        incremental_authorization: { status: 'unavailable' },
        installments: null,
        last4: card.last4,
        mandate: null,
        multicapture: { status: 'unavailable' },
        network: card.brand,
        network_token: { used: false },
        network_transaction_id: ok ? ctx.ids.chars(15) : null,
        overcapture: { maximum_amount_capturable: pi.amount, status: 'unavailable' },
        regulated_status: 'unregulated',
        three_d_secure: null,
        wallet: null,
        electronic_commerce_indicator: null,
        transaction_link_id: null,
      },
    },
    receipt_email: null,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: ok ? 'succeeded' : 'failed',
    transfer_data: null,
    transfer_group: null,
  };
  return ctx.state.charges.add(charge);
}

/**
 * Confirms `pi` with its payment method at time `at`: one charge, succeeded or declined as the
 * test card says, and the matching `charge.*` and `payment_intent.*` events.
 */
export function confirmPaymentIntent(
  ctx: StripeContext,
  pi: PaymentIntent,
  at: number,
): ChargeOutcome {
  const pmId = typeof pi.payment_method === 'string' ? pi.payment_method : pi.payment_method?.id;
  if (!pmId) {
    throw invalidRequest(
      'You cannot confirm this PaymentIntent because it’s missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.',
      'payment_method',
      'payment_intent_unexpected_state',
    );
  }
  const charge = createCharge(ctx, pi, pmId, at);
  const decline = cardBehavior(ctx, pmId).decline;
  if (!decline) {
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    pi.latest_charge = charge.id;
    pi.last_payment_error = null;
    recordCharge(ctx, charge);
    emit(ctx, 'charge.succeeded', charge, { created: at });
    emit(ctx, 'payment_intent.succeeded', pi, { created: at });
    return { ok: true, charge };
  }
  const pm = ctx.state.paymentMethods.get(pmId);
  pi.status = 'requires_payment_method';
  pi.latest_charge = charge.id;
  pi.payment_method = null;
  pi.last_payment_error = {
    type: 'card_error',
    code: decline.code,
    decline_code: decline.declineCode,
    message: decline.message,
    charge: charge.id,
    doc_url: `https://stripe.com/docs/error-codes/${decline.code.replace(/_/g, '-')}`,
    ...(pm && { payment_method: snapshot(pm) }),
  };
  emit(ctx, 'charge.failed', charge, { created: at });
  emit(ctx, 'payment_intent.payment_failed', pi, { created: at });
  const error = stripeError(402, {
    type: 'card_error',
    code: decline.code,
    decline_code: decline.declineCode,
    message: decline.message,
    charge: charge.id,
    payment_intent: snapshot(pi),
    ...(pm && { payment_method: snapshot(pm) }),
  });
  return { ok: false, charge, error };
}

/** `/v1/payment_intents` and `/v1/charges`. */
export function paymentIntentRoutes(ctx: StripeContext): kit.Route[] {
  const getPi = (id: string): PaymentIntent => {
    const pi = ctx.state.paymentIntents.get(id);
    if (!pi) throw noSuch('payment_intent', id, 'intent');
    return pi;
  };
  const getCharge = (id: string): Charge => {
    const ch = ctx.state.charges.get(id);
    if (!ch) throw noSuch('charge', id);
    return ch;
  };
  const customerOf = (pi: PaymentIntent): string | null =>
    typeof pi.customer === 'string' ? pi.customer : (pi.customer?.id ?? null);
  const confirmOrThrow = (pi: PaymentIntent): PaymentIntent => {
    const outcome = confirmPaymentIntent(ctx, pi, ctx.clock.nowSeconds());
    if (outcome.error) throw outcome.error;
    return pi;
  };
  const PI_CREATE = [
    'amount',
    'currency',
    'customer',
    'payment_method',
    'confirm',
    'description',
    'metadata',
    'payment_method_types',
    'automatic_payment_methods',
    'capture_method',
    'off_session',
    'receipt_email',
    'setup_future_usage',
    'statement_descriptor',
    'statement_descriptor_suffix',
    'return_url',
    'error_on_requires_action',
    'confirmation_method',
    'use_stripe_sdk',
  ];
  return [
    route(ctx, 'POST', '/v1/payment_intents', ({ p }) => {
      p.allow(...PI_CREATE);
      const amount = p.reqInt('amount', { min: 1 });
      const currency = p.reqStr('currency').toLowerCase();
      if (currency === 'usd' && amount < 50) {
        throw invalidRequest('Amount must be at least $0.50 usd', 'amount', 'amount_too_small');
      }
      const customer = p.str('customer') ?? null;
      if (customer && !ctx.state.customers.has(customer))
        throw noSuch('customer', customer, 'customer');
      const capture = p.oneOf('capture_method', [
        'automatic',
        'automatic_async',
        'manual',
      ] as const);
      if (capture === 'manual') {
        throw invalidRequest(
          'The emulator does not support capture_method=manual.',
          'capture_method',
        );
      }
      const pmParam = p.str('payment_method');
      const pm = pmParam ? resolvePaymentMethod(ctx, pmParam, null, 'payment_method') : undefined;
      const pi = createPaymentIntent(ctx, {
        amount,
        currency,
        customer,
        description: p.str('description') ?? null,
        metadata: p.metadata(),
        paymentMethod: pm?.id ?? null,
        created: ctx.clock.nowSeconds(),
      });
      pi.receipt_email = p.str('receipt_email') ?? null;
      return p.bool('confirm') ? confirmOrThrow(pi) : pi;
    }),
    route(ctx, 'GET', '/v1/payment_intents/:id', ({ param }) => getPi(param('id'))),
    route(ctx, 'POST', '/v1/payment_intents/:id', ({ p, param }) => {
      p.allow(
        'amount',
        'currency',
        'customer',
        'description',
        'metadata',
        'payment_method',
        'receipt_email',
      );
      const pi = getPi(param('id'));
      if (pi.status === 'succeeded' || pi.status === 'canceled') {
        const changesMoney = p.has('amount') || p.has('currency') || p.has('payment_method');
        if (changesMoney) {
          throw invalidRequest(
            `This PaymentIntent's amount could not be updated because it has a status of ${pi.status}. You may only update the amount of a PaymentIntent with one of the following statuses: requires_payment_method, requires_confirmation, requires_action.`,
            'amount',
            'payment_intent_unexpected_state',
          );
        }
      }
      const pmParam = p.str('payment_method');
      const pm = pmParam ? resolvePaymentMethod(ctx, pmParam, null, 'payment_method') : undefined;
      return update(ctx, 'payment_intent.updated', pi, (o) => {
        o.amount = p.int('amount', { min: 1 }) ?? o.amount;
        o.currency = p.str('currency')?.toLowerCase() ?? o.currency;
        if (p.has('customer')) o.customer = p.nullableStr('customer') ?? null;
        if (p.has('description')) o.description = p.nullableStr('description') ?? null;
        if (p.has('receipt_email')) o.receipt_email = p.nullableStr('receipt_email') ?? null;
        o.metadata = p.metadata(o.metadata);
        if (pm) {
          o.payment_method = pm.id;
          if (o.status === 'requires_payment_method') o.status = 'requires_confirmation';
        }
      });
    }),
    route(ctx, 'POST', '/v1/payment_intents/:id/confirm', ({ p, param }) => {
      p.allow(
        'payment_method',
        'off_session',
        'return_url',
        'receipt_email',
        'setup_future_usage',
        'error_on_requires_action',
        'use_stripe_sdk',
        'mandate',
      );
      const pi = getPi(param('id'));
      if (pi.status !== 'requires_payment_method' && pi.status !== 'requires_confirmation') {
        throw invalidRequest(
          `This PaymentIntent's status is ${pi.status}, but it must be requires_payment_method or requires_confirmation to be confirmed.`,
          undefined,
          'payment_intent_unexpected_state',
        );
      }
      const pmParam = p.str('payment_method');
      if (pmParam)
        pi.payment_method = resolvePaymentMethod(ctx, pmParam, null, 'payment_method').id;
      return confirmOrThrow(pi);
    }),
    route(ctx, 'POST', '/v1/payment_intents/:id/cancel', ({ p, param }) => {
      p.allow('cancellation_reason');
      const pi = getPi(param('id'));
      if (pi.status === 'succeeded' || pi.status === 'canceled') {
        throw invalidRequest(
          `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
          undefined,
          'payment_intent_unexpected_state',
        );
      }
      pi.status = 'canceled';
      pi.canceled_at = ctx.clock.nowSeconds();
      pi.cancellation_reason =
        p.oneOf('cancellation_reason', [
          'duplicate',
          'fraudulent',
          'requested_by_customer',
          'abandoned',
        ] as const) ?? null;
      emit(ctx, 'payment_intent.canceled', pi);
      return pi;
    }),
    route(ctx, 'GET', '/v1/payment_intents', ({ p }) => {
      p.allow('customer', 'created', 'limit', 'starting_after', 'ending_before');
      const customer = p.str('customer');
      const created = rangeFilter(p, 'created');
      const items = ctx.state.paymentIntents
        .newestFirst()
        .filter(
          (pi) => (customer === undefined || customerOf(pi) === customer) && created(pi.created),
        );
      return paginate(items, p, '/v1/payment_intents');
    }),
    route(ctx, 'GET', '/v1/charges/:id', ({ param }) => getCharge(param('id'))),
    route(ctx, 'POST', '/v1/charges/:id', ({ p, param }) => {
      p.allow('metadata', 'description', 'receipt_email');
      return update(ctx, 'charge.updated', getCharge(param('id')), (o) => {
        o.metadata = p.metadata(o.metadata);
        if (p.has('description')) o.description = p.nullableStr('description') ?? null;
        if (p.has('receipt_email')) o.receipt_email = p.nullableStr('receipt_email') ?? null;
      });
    }),
    route(ctx, 'GET', '/v1/charges', ({ p }) => {
      p.allow('customer', 'payment_intent', 'created', 'limit', 'starting_after', 'ending_before');
      const customer = p.str('customer');
      const pi = p.str('payment_intent');
      const created = rangeFilter(p, 'created');
      const items = ctx.state.charges
        .newestFirst()
        .filter(
          (c) =>
            (customer === undefined || c.customer === customer) &&
            (pi === undefined || c.payment_intent === pi) &&
            created(c.created),
        );
      return paginate(items, p, '/v1/charges');
    }),
  ];
}
