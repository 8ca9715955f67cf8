import type * as kit from '../kit/index.ts';
import { emit, type StripeContext } from './context.ts';
import { invalidRequest, noSuch } from './errors.ts';
import { paginate, rangeFilter } from './lists.ts';
import { idOf } from './lookup.ts';
import { route } from './route.ts';
import type { BalanceTransaction, Charge, Payout, Refund } from './state.ts';

/**
 * Balance transactions and payouts. Every succeeded charge adds a `charge` transaction (its
 * processing fee withheld: `percent` % of the amount, rounded half up, plus `fixed` minor
 * units), every refund a negative `refund` transaction, and an admin route adds `adjustment`s.
 * `POST /_emulator/payouts` pays out, per currency, every transaction not paid out yet: one
 * `payout` (status `paid`, `amount` = the sum of their `net`) with its own negative `payout`
 * transaction, and the events `payout.created` and `payout.paid`.
 */

/** Stripe's standard card pricing, 2.9 % + 30 minor units, unless configured otherwise. */
export const DEFAULT_FEES = { percent: 2.9, fixed: 30 } as const;

/** Funds become available two days after the charge (Stripe's standard US schedule). */
const AVAILABLE_AFTER_S = 2 * 86_400;

/** The processing fee of a charge of `amount` minor units (0 for a zero charge). */
export function feeFor(ctx: StripeContext, amount: number): number {
  if (amount <= 0) return 0;
  const { percent, fixed } = ctx.state.fees;
  // Percent in hundredths of a percent, so the arithmetic stays in integers.
  const bps = Math.round(percent * 100);
  return Math.floor((amount * bps + 5_000) / 10_000) + fixed;
}

function add(
  ctx: StripeContext,
  f: {
    id?: string;
    type: BalanceTransaction['type'];
    amount: number;
    fee: number;
    currency: string;
    created: number;
    source: string | null;
    description: string | null;
    reporting: string;
  },
): BalanceTransaction {
  const txn: BalanceTransaction = {
    id: f.id ?? ctx.ids.next('txn'),
    object: 'balance_transaction',
    amount: f.amount,
    available_on: f.type === 'payout' ? f.created : f.created + AVAILABLE_AFTER_S,
    balance_type: 'payments',
    created: f.created,
    currency: f.currency,
    description: f.description,
    exchange_rate: null,
    fee: f.fee,
    fee_details:
      f.fee > 0
        ? [
            {
              amount: f.fee,
              application: null,
              currency: f.currency,
              description: 'Stripe processing fees',
              type: 'stripe_fee',
            },
          ]
        : [],
    net: f.amount - f.fee,
    reporting_category: f.reporting,
    source: f.source,
    status: 'pending',
    type: f.type,
  };
  return ctx.state.balanceTransactions.add(txn);
}

/** The `charge` balance transaction of a succeeded charge (its id is the charge's `balance_transaction`). */
export function recordCharge(ctx: StripeContext, charge: Charge): BalanceTransaction {
  const fee = feeFor(ctx, charge.amount);
  return add(ctx, {
    ...(typeof charge.balance_transaction === 'string' && { id: charge.balance_transaction }),
    type: 'charge',
    amount: charge.amount,
    fee,
    currency: charge.currency,
    created: charge.created,
    source: charge.id,
    description: charge.description,
    reporting: 'charge',
  });
}

/** The negative `refund` balance transaction of a refund (no fee is returned). */
export function recordRefund(ctx: StripeContext, refund: Refund): BalanceTransaction {
  return add(ctx, {
    ...(typeof refund.balance_transaction === 'string' && { id: refund.balance_transaction }),
    type: 'refund',
    amount: -refund.amount,
    fee: 0,
    currency: refund.currency,
    created: refund.created,
    source: refund.id,
    description: `REFUND FOR CHARGE (${idOf(refund.charge) ?? ''})`,
    reporting: 'refund',
  });
}

/** Pays out everything not paid out yet, one payout per currency (oldest currency first). */
export function payOutAll(
  ctx: StripeContext,
  options: { currency?: string; at?: number } = {},
): Payout[] {
  const byCurrency = new Map<string, BalanceTransaction[]>();
  for (const t of ctx.state.balanceTransactions.values()) {
    if (t.type === 'payout' || ctx.state.paidOut.has(t.id)) continue;
    if (options.currency !== undefined && t.currency !== options.currency) continue;
    const list = byCurrency.get(t.currency) ?? [];
    list.push(t);
    byCurrency.set(t.currency, list);
  }
  const payouts: Payout[] = [];
  for (const [currency, txns] of byCurrency) {
    const amount = txns.reduce((s, t) => s + t.net, 0);
    if (amount <= 0) continue; // Stripe keeps a negative or empty balance for the next payout.
    // A payout arrives the day after the newest funds it carries (test clocks run ahead).
    const newest = Math.max(...txns.map((t) => t.created));
    const created = Math.max(options.at ?? ctx.clock.nowSeconds(), newest);
    const id = ctx.ids.next('po');
    const own = add(ctx, {
      type: 'payout',
      amount: -amount,
      fee: 0,
      currency,
      created,
      source: id,
      description: 'STRIPE PAYOUT',
      reporting: 'payout',
    });
    const payout: Payout = {
      id,
      object: 'payout',
      amount,
      application_fee: null,
      application_fee_amount: null,
      arrival_date: created + 86_400,
      automatic: true,
      balance_transaction: own.id,
      created,
      currency,
      description: 'STRIPE PAYOUT',
      destination: 'ba_emulated',
      failure_balance_transaction: null,
      failure_code: null,
      failure_message: null,
      livemode: false,
      metadata: {},
      method: 'standard',
      original_payout: null,
      payout_method: null,
      reconciliation_status: 'completed',
      reversed_by: null,
      source_type: 'card',
      statement_descriptor: null,
      status: 'pending',
      trace_id: null,
      type: 'bank_account',
    };
    ctx.state.payouts.add(payout);
    for (const t of txns) {
      ctx.state.paidOut.set(t.id, id);
      t.status = 'available';
    }
    ctx.state.paidOut.set(own.id, id);
    own.status = 'available';
    emit(ctx, 'payout.created', payout, { created });
    payout.status = 'paid';
    emit(ctx, 'payout.paid', payout, { created: payout.arrival_date });
    payouts.push(payout);
  }
  return payouts;
}

/** `/v1/balance_transactions`, `/v1/payouts` and their admin routes. */
export function balanceRoutes(ctx: StripeContext): kit.Route[] {
  const getTxn = (id: string): BalanceTransaction => {
    const t = ctx.state.balanceTransactions.get(id);
    if (!t) throw noSuch('balance_transaction', id);
    return t;
  };
  const getPayout = (id: string): Payout => {
    const p = ctx.state.payouts.get(id);
    if (!p) throw noSuch('payout', id);
    return p;
  };
  return [
    route(ctx, 'GET', '/v1/balance_transactions/:id', ({ param }) => getTxn(param('id'))),
    route(ctx, 'GET', '/v1/balance_transactions', ({ p }) => {
      p.allow(
        'payout',
        'type',
        'source',
        'currency',
        'created',
        'limit',
        'starting_after',
        'ending_before',
      );
      const payout = p.str('payout');
      if (payout !== undefined) getPayout(payout);
      const type = p.str('type');
      const source = p.str('source');
      const currency = p.str('currency')?.toLowerCase();
      const created = rangeFilter(p, 'created');
      const items = ctx.state.balanceTransactions
        .newestFirst()
        .filter(
          (t) =>
            (payout === undefined || ctx.state.paidOut.get(t.id) === payout) &&
            (type === undefined || t.type === type) &&
            (source === undefined || t.source === source) &&
            (currency === undefined || t.currency === currency) &&
            created(t.created),
        );
      return paginate(items, p, '/v1/balance_transactions');
    }),
    route(ctx, 'GET', '/v1/payouts/:id', ({ param }) => getPayout(param('id'))),
    route(ctx, 'GET', '/v1/payouts', ({ p }) => {
      p.allow(
        'status',
        'created',
        'arrival_date',
        'destination',
        'limit',
        'starting_after',
        'ending_before',
      );
      const status = p.str('status');
      const created = rangeFilter(p, 'created');
      const arrival = rangeFilter(p, 'arrival_date');
      const items = ctx.state.payouts
        .newestFirst()
        .filter(
          (o) =>
            (status === undefined || o.status === status) &&
            created(o.created) &&
            arrival(o.arrival_date),
        );
      return paginate(items, p, '/v1/payouts');
    }),
    {
      method: 'POST',
      path: '/_emulator/payouts',
      handler: (req) => {
        const body = (req.rawBody.length > 0 ? req.json() : {}) as {
          currency?: unknown;
          at?: unknown;
        };
        const payouts = payOutAll(ctx, {
          ...(typeof body.currency === 'string' && { currency: body.currency.toLowerCase() }),
          ...(typeof body.at === 'number' && { at: body.at }),
        });
        return { status: 200, body: { object: 'list', data: payouts } };
      },
    },
    {
      method: 'POST',
      path: '/_emulator/balance_transactions',
      handler: (req) => {
        const body = req.json() as { amount?: unknown; currency?: unknown; description?: unknown };
        if (!Number.isInteger(body.amount) || body.amount === 0)
          throw invalidRequest('amount must be a non-zero integer (minor units).', 'amount');
        if (typeof body.currency !== 'string' || !/^[a-zA-Z]{3}$/.test(body.currency))
          throw invalidRequest('currency must be a three-letter ISO code.', 'currency');
        const txn = add(ctx, {
          type: 'adjustment',
          amount: body.amount as number,
          fee: 0,
          currency: body.currency.toLowerCase(),
          created: ctx.clock.nowSeconds(),
          source: null,
          description: typeof body.description === 'string' ? body.description : 'Adjustment',
          reporting: 'other_adjustment',
        });
        return { status: 200, body: txn };
      },
    },
    {
      method: 'POST',
      path: '/_emulator/fees',
      handler: (req) => {
        const body = req.json() as { percent?: unknown; fixed?: unknown };
        const percent = body.percent ?? ctx.state.fees.percent;
        const fixed = body.fixed ?? ctx.state.fees.fixed;
        if (typeof percent !== 'number' || percent < 0 || percent > 100)
          throw invalidRequest('percent must be a number from 0 to 100.', 'percent');
        if (!Number.isInteger(fixed) || (fixed as number) < 0)
          throw invalidRequest('fixed must be a non-negative integer (minor units).', 'fixed');
        ctx.state.fees = { percent, fixed: fixed as number };
        return { status: 200, body: ctx.state.fees };
      },
    },
  ];
}
