import { z } from 'zod';
import { CurrencyCode } from '../currency.ts';
import { EntityValidationError, ModelError } from '../errors.ts';
import { idSchemas } from '../ids.ts';
import type { Money } from '../money.ts';
import { toValidationIssues } from '../validation.ts';
import { ExternalRefV1 } from './external-ref.ts';
import { NonNegativeMoney, Text, Timestamp } from './primitives.ts';
import { checkCurrencies, checkOrder, report } from './refinements.ts';

/** Payment states. */
export const PaymentStatus = z.enum([
  'pending',
  'succeeded',
  'failed',
  'refunded',
  'partially_refunded',
]);

/** @see PaymentStatus */
export type PaymentStatus = z.infer<typeof PaymentStatus>;

/**
 * The legal payment status changes. `failed → pending/succeeded` is a retried attempt on the same
 * payment; `succeeded → failed` is a bank debit (ACH, SEPA) returned after it settled; a
 * partially refunded payment can be refunded again.
 */
export const PAYMENT_STATUS_TRANSITIONS = {
  pending: ['succeeded', 'failed'],
  failed: ['pending', 'succeeded'],
  succeeded: ['partially_refunded', 'refunded', 'failed'],
  partially_refunded: ['partially_refunded', 'refunded'],
  refunded: [],
} as const satisfies Record<PaymentStatus, readonly PaymentStatus[]>;

/** True when a payment may move from `from` to `to`. */
export function canTransitionPayment(from: PaymentStatus, to: PaymentStatus): boolean {
  return (PAYMENT_STATUS_TRANSITIONS[from] as readonly PaymentStatus[]).includes(to);
}

/** One observed status with when it happened and, for failures and refunds, why. */
export const PaymentStatusChangeV1 = z.object({
  status: PaymentStatus,
  at: Timestamp,
  reason: Text.optional(),
});

/** @see PaymentStatusChangeV1 */
export type PaymentStatusChangeV1 = z.infer<typeof PaymentStatusChangeV1>;

/** How the customer paid. Card details are limited to brand and last four digits. */
export const PaymentMethodV1 = z.object({
  type: z.enum([
    'card',
    'ach_debit',
    'sepa_debit',
    'bacs_debit',
    'bank_transfer',
    'check',
    'cash',
    'wallet',
    'other',
  ]),
  brand: Text.optional(),
  last4: z
    .string()
    .regex(/^\d{4}$/, 'must be four digits')
    .optional(),
});

/** @see PaymentMethodV1 */
export type PaymentMethodV1 = z.infer<typeof PaymentMethodV1>;

/**
 * Money received (or attempted) from a customer. `statusHistory` is the status lineage, oldest
 * first: it ends in `status`, its times never go back, and each step is a legal transition
 * ({@link PAYMENT_STATUS_TRANSITIONS}). Refund state and `amountRefunded` agree.
 */
export const PaymentV1 = z
  .object({
    schemaVersion: z.literal(1),
    id: idSchemas.payment,
    customerId: idSchemas.customer,
    invoiceId: idSchemas.invoice.optional(),
    currency: CurrencyCode,
    amount: NonNegativeMoney,
    amountRefunded: NonNegativeMoney,
    status: PaymentStatus,
    statusHistory: z.array(PaymentStatusChangeV1).min(1),
    method: PaymentMethodV1,
    externalRefs: z.array(ExternalRefV1),
  })
  .superRefine((payment, ctx) => {
    checkCurrencies(ctx, payment, payment.currency);
    const history = payment.statusHistory;
    const last = history[history.length - 1];
    if (last !== undefined && last.status !== payment.status) {
      report(ctx, ['status'], `must equal the last statusHistory status (${last.status})`);
    }
    for (let i = 1; i < history.length; i++) {
      const prev = history[i - 1];
      const next = history[i];
      if (prev === undefined || next === undefined) continue;
      checkOrder(ctx, prev.at, next.at, ['statusHistory', i, 'at'], false);
      if (!canTransitionPayment(prev.status, next.status)) {
        report(
          ctx,
          ['statusHistory', i, 'status'],
          `cannot go from ${prev.status} to ${next.status}`,
        );
      }
    }
    const refunded = payment.amountRefunded.amount;
    const amount = payment.amount.amount;
    if (refunded > amount) {
      report(ctx, ['amountRefunded'], 'must not exceed amount');
    } else if (payment.status === 'refunded' && refunded !== amount) {
      report(ctx, ['amountRefunded'], 'must equal amount when status is refunded');
    } else if (payment.status === 'partially_refunded' && (refunded === 0 || refunded === amount)) {
      report(ctx, ['amountRefunded'], 'must be between zero and amount when partially refunded');
    }
  });

/** @see PaymentV1 */
export type PaymentV1 = z.infer<typeof PaymentV1>;

/** A status change to apply with {@link transitionPayment}. */
export interface PaymentTransition {
  status: PaymentStatus;
  at: string;
  reason?: string;
  /** The new cumulative refunded amount, for the refund statuses. */
  amountRefunded?: Money;
}

/**
 * The one way to change a payment's status: checks the transition, appends it to the history
 * and returns the new, validated payment (the input is not modified).
 *
 * @throws ModelError `invalid_transition` for an illegal change.
 * @throws EntityValidationError when the result breaks an invariant (say, a refund amount that
 *   does not match the new status).
 */
export function transitionPayment(payment: PaymentV1, change: PaymentTransition): PaymentV1 {
  if (!canTransitionPayment(payment.status, change.status)) {
    throw new ModelError(
      'invalid_transition',
      `payment ${payment.id} cannot go from ${payment.status} to ${change.status}`,
    );
  }
  const entry: PaymentStatusChangeV1 = { status: change.status, at: change.at };
  if (change.reason !== undefined) entry.reason = change.reason;
  const next = {
    ...payment,
    status: change.status,
    amountRefunded: change.amountRefunded ?? payment.amountRefunded,
    statusHistory: [...payment.statusHistory, entry],
  };
  const parsed = PaymentV1.safeParse(next);
  if (!parsed.success) throw new EntityValidationError('payment', toValidationIssues(parsed.error));
  return parsed.data;
}
