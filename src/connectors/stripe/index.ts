import { defineConnector } from '../definition.ts';
import { stripeConfigSchema } from './config.ts';
import { stripeCorrelationId, stripeEntityKey, toCanonicalEvents } from './events.ts';

export { stripeConfigSchema } from './config.ts';
export type { StripeConnectorOptions } from './connector.ts';

/**
 * Stripe Billing as the billing platform: customers, prices, subscriptions with proration,
 * invoices, payments, refunds, credit notes and usage, through the `stripe` SDK; signed webhooks
 * and the `/v1/events` poller. See `docs/connectors.md`.
 */
export const stripeConnector = defineConnector({
  system: 'stripe',
  role: 'billing',
  displayName: 'Stripe',
  configSchema: stripeConfigSchema,
  // Live mode allows 100 read/write requests per second; stay below it.
  defaultLimits: { ratePerSecond: 80, maxConcurrent: 10 },
  async create(config, context) {
    const { createStripeConnector } = await import('./connector.ts');
    return createStripeConnector({
      apiKey: config.apiKey,
      ...(config.baseUrl !== undefined && { baseUrl: config.baseUrl }),
      ...(config.webhookSecret !== undefined && { webhookSecret: config.webhookSecret }),
      ...(config.webhookToleranceSeconds !== undefined && {
        webhookToleranceSeconds: config.webhookToleranceSeconds,
      }),
      ...(config.defaultPaymentMethod !== undefined && {
        defaultPaymentMethod: config.defaultPaymentMethod,
      }),
      ...(context.testClock !== undefined && { testClock: context.testClock }),
      connection: context.connection,
      logger: context.logger,
    });
  },
  normalise: toCanonicalEvents,
  entityKey: stripeEntityKey,
  correlationId: stripeCorrelationId,
});
