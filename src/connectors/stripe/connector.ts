import type { BillingSystem, Connector, ReadOptions } from '../ports.ts';
import type { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import { StripeClient, type StripeLogger } from './client.ts';
import { createStripeEventPoller, type StripeEventPollerOptions } from './poller.ts';
import { StripeBilling } from './stripe-billing.ts';
import { createStripeWebhookSource } from './webhooks.ts';

export { classifyStripeError } from './errors.ts';
export { fromStripeAmount, toStripeAmount, stripeExponent } from './amounts.ts';
export { toVendorEvent as toStripeVendorEvent } from './mapper.ts';
export { STRIPE_EVENTS_CURSOR } from './poller.ts';
export type { StripeLogger } from './client.ts';
export type { StripeEventPollerOptions } from './poller.ts';

/** Options of {@link createStripeConnector}. */
export interface StripeConnectorOptions {
  /** Secret or restricted key (`sk_…`/`rk_…`); env `STRIPE_API_KEY` by convention. */
  apiKey: string;
  /** Another API host, e.g. the emulator `http://127.0.0.1:12111`; default `https://api.stripe.com`. */
  baseUrl?: string;
  /** The endpoint's signing secret (`whsec_…`); without it the connector has no webhook source. */
  webhookSecret?: string;
  /** Webhook signature tolerance in seconds (default 300). */
  webhookToleranceSeconds?: number;
  /** The outbound connection (governor + circuit breaker) every call goes through. */
  connection: OutboundConnection;
  logger?: StripeLogger;
  /** Attached to new customers as `invoice_settings.default_payment_method` (e.g. `pm_card_visa`). */
  defaultPaymentMethod?: string;
  /** Test mode only: new customers are created on this test clock (`clock_…`). */
  testClock?: string;
  /** Per-request timeout in ms (default 30 000). */
  timeoutMs?: number;
  /** Page size of paged reads (default 100, Stripe's maximum). */
  pageSize?: number;
  /** Options of the `/v1/events` poller. */
  events?: StripeEventPollerOptions;
}

/**
 * The Stripe connector: the billing port on Stripe Billing (`stripe` SDK, API version
 * `2026-10-28.endive`), webhook verification and the `/v1/events` poller, every call through
 * `connection` (governor, circuit breaker), writes keyed by the step's idempotency key.
 *
 * @example
 * const connector = createStripeConnector({
 *   apiKey: process.env.STRIPE_API_KEY!,
 *   webhookSecret: process.env.STRIPE_WEBHOOK_SECRET,
 *   connection: gateway.connection('stripe', { system: 'stripe', limits: { ratePerSecond: 20 } }),
 * });
 * await connector.check();
 */
export function createStripeConnector(options: StripeConnectorOptions): Connector<BillingSystem> {
  const client = new StripeClient({
    apiKey: options.apiKey,
    connection: options.connection,
    ...(options.baseUrl !== undefined && { baseUrl: options.baseUrl }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.logger !== undefined && { logger: options.logger }),
    ...(options.pageSize !== undefined && { pageSize: options.pageSize }),
  });
  const port = new StripeBilling(client, {
    ...(options.defaultPaymentMethod !== undefined && {
      defaultPaymentMethod: options.defaultPaymentMethod,
    }),
    ...(options.testClock !== undefined && { testClock: options.testClock }),
  });
  return {
    system: 'stripe',
    port,
    connection: options.connection,
    ...(options.webhookSecret !== undefined && {
      webhooks: createStripeWebhookSource({
        secret: options.webhookSecret,
        ...(options.webhookToleranceSeconds !== undefined && {
          toleranceSeconds: options.webhookToleranceSeconds,
        }),
      }),
    }),
    pollers: [createStripeEventPoller(client, options.events)],
    async check(readOptions?: ReadOptions) {
      await client.read('check', readOptions, (request) =>
        client.sdk.customers.list({ limit: 1 }, request),
      );
    },
  };
}
