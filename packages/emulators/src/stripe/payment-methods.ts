import type * as kit from '../kit/index.ts';
import { emit, nowFor, update, type StripeContext } from './context.ts';
import { invalidRequest, noSuch } from './errors.ts';
import { paginate } from './lists.ts';
import { route } from './route.ts';
import type { CardBehavior, PaymentMethod } from './state.ts';

const declined = {
  code: 'card_declined',
  declineCode: 'generic_decline',
  message: 'Your card was declined.',
};
const insufficient = {
  code: 'card_declined',
  declineCode: 'insufficient_funds',
  message: 'Your card has insufficient funds.',
};
const expired = {
  code: 'expired_card',
  declineCode: 'expired_card',
  message: 'Your card has expired.',
};

/** Stripe's test payment method tokens and how their cards behave. */
export const TEST_CARDS: Readonly<Record<string, CardBehavior>> = {
  pm_card_visa: { brand: 'visa', last4: '4242' },
  pm_card_visa_debit: { brand: 'visa', last4: '5556' },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444' },
  pm_card_amex: { brand: 'amex', last4: '8431' },
  pm_card_chargeDeclined: { brand: 'visa', last4: '0002', decline: declined },
  pm_card_visa_chargeDeclined: { brand: 'visa', last4: '0002', decline: declined },
  pm_card_chargeDeclinedInsufficientFunds: { brand: 'visa', last4: '9995', decline: insufficient },
  pm_card_visa_chargeDeclinedInsufficientFunds: {
    brand: 'visa',
    last4: '9995',
    decline: insufficient,
  },
  pm_card_chargeDeclinedExpiredCard: { brand: 'visa', last4: '0069', decline: expired },
  pm_card_chargeCustomerFail: { brand: 'visa', last4: '0341', decline: declined },
};

/** Test card numbers (for `card[number]`) and card tokens (`card[token]`). */
const BY_NUMBER: Readonly<Record<string, string>> = {
  '4242424242424242': 'pm_card_visa',
  '4000056655665556': 'pm_card_visa_debit',
  '5555555555554444': 'pm_card_mastercard',
  '378282246310005': 'pm_card_amex',
  '4000000000000002': 'pm_card_chargeDeclined',
  '4000000000009995': 'pm_card_chargeDeclinedInsufficientFunds',
  '4000000000000069': 'pm_card_chargeDeclinedExpiredCard',
  '4000000000000341': 'pm_card_chargeCustomerFail',
};
const BY_TOKEN: Readonly<Record<string, string>> = {
  tok_visa: 'pm_card_visa',
  tok_mastercard: 'pm_card_mastercard',
  tok_amex: 'pm_card_amex',
  tok_chargeDeclined: 'pm_card_chargeDeclined',
  tok_chargeDeclinedInsufficientFunds: 'pm_card_chargeDeclinedInsufficientFunds',
  tok_chargeDeclinedExpiredCard: 'pm_card_chargeDeclinedExpiredCard',
  tok_chargeCustomerFail: 'pm_card_chargeCustomerFail',
};

/** Whether `id` is a test token rather than a stored payment method. */
export function isTestToken(id: string): boolean {
  return Object.hasOwn(TEST_CARDS, id);
}

function createFromCard(
  ctx: StripeContext,
  card: CardBehavior,
  created: number,
  metadata: Record<string, string> = {},
): PaymentMethod {
  const pm: PaymentMethod = {
    id: ctx.ids.next('pm'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: {
      address: {
        city: null,
        country: null,
        line1: null,
        line2: null,
        postal_code: null,
        state: null,
      },
      email: null,
      name: null,
      phone: null,
      tax_id: null,
    },
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      display_brand: card.brand,
      exp_month: 12,
      exp_year: 2034,
      fingerprint: ctx.ids.chars(16),
      funding: 'credit',
      generated_from: null,
      last4: card.last4,
      networks: { available: [card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created,
    customer: null,
    customer_account: null,
    livemode: false,
    metadata,
    type: 'card',
  };
  ctx.state.paymentMethods.add(pm);
  ctx.state.cards.set(pm.id, card);
  return pm;
}

function attach(ctx: StripeContext, pm: PaymentMethod, customerId: string): PaymentMethod {
  pm.customer = customerId;
  emit(ctx, 'payment_method.attached', pm, { created: nowFor(ctx, customerId) });
  return pm;
}

function requireCustomer(ctx: StripeContext, id: string, param: string): void {
  if (!ctx.state.customers.has(id)) throw noSuch('customer', id, param);
}

/**
 * The payment method `idOrToken` names. A test token (`pm_card_visa`) becomes a real payment
 * method: attached to `customerId` when given (reusing the one made from the same token for
 * that customer, as a default-payment-method reference expects).
 */
export function resolvePaymentMethod(
  ctx: StripeContext,
  idOrToken: string,
  customerId: string | null,
  param: string,
  options: { requireAttached?: boolean } = {},
): PaymentMethod {
  const card = TEST_CARDS[idOrToken];
  if (card) {
    if (!customerId) return createFromCard(ctx, card, ctx.clock.nowSeconds());
    const key = `${customerId}/${idOrToken}`;
    const existing = ctx.state.paymentMethods.get(ctx.state.tokenMethods.get(key) ?? '');
    if (existing && existing.customer === customerId) return existing;
    const pm = createFromCard(ctx, card, nowFor(ctx, customerId));
    ctx.state.tokenMethods.set(key, pm.id);
    return attach(ctx, pm, customerId);
  }
  const pm = ctx.state.paymentMethods.get(idOrToken);
  if (!pm) throw noSuch('PaymentMethod', idOrToken, param);
  if (options.requireAttached && customerId && pm.customer !== customerId) {
    throw invalidRequest(
      `The customer does not have a payment method with the ID ${idOrToken}. The payment method must be attached to the customer.`,
      param,
      'resource_missing',
    );
  }
  return pm;
}

/** How the card of a payment method behaves when charged. */
export function cardBehavior(ctx: StripeContext, pmId: string): CardBehavior {
  return ctx.state.cards.get(pmId) ?? { brand: 'visa', last4: '4242' };
}

/** `/v1/payment_methods` and `/v1/customers/:id/payment_methods`. */
export function paymentMethodRoutes(ctx: StripeContext): kit.Route[] {
  const get = (id: string): PaymentMethod => {
    const pm = ctx.state.paymentMethods.get(id);
    if (!pm) throw noSuch('PaymentMethod', id);
    return pm;
  };
  const listFor = (customer: string | undefined, type: string | undefined) =>
    ctx.state.paymentMethods
      .newestFirst()
      .filter(
        (pm) =>
          (customer === undefined || pm.customer === customer) &&
          (type === undefined || pm.type === type),
      );
  return [
    route(ctx, 'POST', '/v1/payment_methods', ({ p }) => {
      p.allow('type', 'card', 'billing_details', 'metadata', 'customer', 'payment_method');
      const type = p.oneOf('type', ['card'] as const);
      if (type === undefined)
        throw invalidRequest('Missing required param: type.', 'type', 'parameter_missing');
      const card = p.obj('card');
      if (!card) throw invalidRequest('Missing required param: card.', 'card', 'parameter_missing');
      card.allow('token', 'number', 'exp_month', 'exp_year', 'cvc');
      const token = card.str('token');
      const number = card.str('number')?.replace(/\s/g, '');
      let template: CardBehavior | undefined;
      if (token !== undefined) {
        template = TEST_CARDS[BY_TOKEN[token] ?? ''];
        if (!template) throw noSuch('token', token, 'card[token]');
      } else if (number !== undefined) {
        template = TEST_CARDS[BY_NUMBER[number] ?? ''] ?? {
          brand: 'visa',
          last4: number.slice(-4),
        };
      } else {
        throw invalidRequest(
          'Missing required param: card[number].',
          'card[number]',
          'parameter_missing',
        );
      }
      const pm = createFromCard(ctx, template, ctx.clock.nowSeconds(), p.metadata());
      const billing = p.obj('billing_details');
      if (billing) {
        billing.allow('name', 'email', 'phone', 'address');
        pm.billing_details.name = billing.str('name') ?? null;
        pm.billing_details.email = billing.str('email') ?? null;
        pm.billing_details.phone = billing.str('phone') ?? null;
      }
      return pm;
    }),
    route(ctx, 'GET', '/v1/payment_methods/:id', ({ param }) => get(param('id'))),
    route(ctx, 'POST', '/v1/payment_methods/:id', ({ p, param }) => {
      p.allow('metadata', 'billing_details', 'allow_redisplay');
      const pm = get(param('id'));
      return update(ctx, 'payment_method.updated', pm, (o) => {
        o.metadata = p.metadata(o.metadata ?? {});
        const billing = p.obj('billing_details');
        if (billing) {
          billing.allow('name', 'email', 'phone', 'address');
          if (billing.has('name')) o.billing_details.name = billing.nullableStr('name') ?? null;
          if (billing.has('email')) o.billing_details.email = billing.nullableStr('email') ?? null;
          if (billing.has('phone')) o.billing_details.phone = billing.nullableStr('phone') ?? null;
        }
      });
    }),
    route(ctx, 'POST', '/v1/payment_methods/:id/attach', ({ p, param }) => {
      p.allow('customer');
      const customer = p.reqStr('customer');
      requireCustomer(ctx, customer, 'customer');
      const id = param('id');
      const card = TEST_CARDS[id];
      if (card) return attach(ctx, createFromCard(ctx, card, nowFor(ctx, customer)), customer);
      const pm = get(id);
      if (pm.customer === customer) return pm;
      if (pm.customer !== null) {
        throw invalidRequest(
          'The payment method you provided has already been attached to a customer.',
          'payment_method',
        );
      }
      return attach(ctx, pm, customer);
    }),
    route(ctx, 'POST', '/v1/payment_methods/:id/detach', ({ param }) => {
      const pm = get(param('id'));
      const customerId = typeof pm.customer === 'string' ? pm.customer : null;
      if (!customerId) {
        throw invalidRequest(
          'The payment method you provided is not attached to a customer so detachment is impossible.',
          'payment_method',
        );
      }
      const previous = { customer: customerId };
      pm.customer = null;
      const customer = ctx.state.customers.get(customerId);
      if (customer?.invoice_settings.default_payment_method === pm.id) {
        update(ctx, 'customer.updated', customer, (c) => {
          c.invoice_settings.default_payment_method = null;
        });
      }
      emit(ctx, 'payment_method.detached', pm, { previous });
      return pm;
    }),
    route(ctx, 'GET', '/v1/payment_methods', ({ p }) => {
      p.allow('customer', 'type', 'limit', 'starting_after', 'ending_before');
      return paginate(listFor(p.str('customer'), p.str('type')), p, '/v1/payment_methods');
    }),
    route(ctx, 'GET', '/v1/customers/:id/payment_methods', ({ p, param }) => {
      p.allow('type', 'limit', 'starting_after', 'ending_before', 'allow_redisplay');
      requireCustomer(ctx, param('id'), 'customer');
      return paginate(
        listFor(param('id'), p.str('type')),
        p,
        `/v1/customers/${param('id')}/payment_methods`,
      );
    }),
    route(ctx, 'GET', '/v1/customers/:customer/payment_methods/:id', ({ param }) => {
      const pm = get(param('id'));
      if (pm.customer !== param('customer')) throw noSuch('PaymentMethod', param('id'));
      return pm;
    }),
  ];
}
