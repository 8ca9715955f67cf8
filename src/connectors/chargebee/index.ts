import { defineConnector } from '../definition.ts';
import { chargebeeConfigSchema } from './config.ts';
import { chargebeeCorrelationId, chargebeeEntityKey, toCanonicalEvents } from './events.ts';

export { chargebeeConfigSchema } from './config.ts';
export type { ChargebeeConnectorOptions } from './connector.ts';

/**
 * Chargebee Billing as the billing platform: customers, item prices (product catalog 2.0),
 * subscriptions with items and Chargebee's own proration, invoices, transactions, refunds,
 * credit notes and usage as unbilled charges, through the `chargebee` SDK; Basic-auth webhooks
 * and the `/events` poller. See `docs/connectors.md`.
 */
export const chargebeeConnector = defineConnector({
  system: 'chargebee',
  role: 'billing',
  displayName: 'Chargebee',
  configSchema: chargebeeConfigSchema,
  // Test sites allow 150 requests a minute; live sites 150–3500 by plan: raise it in `limits`.
  defaultLimits: { ratePerSecond: 2, maxConcurrent: 5 },
  async create(config, context) {
    const { createChargebeeConnector } = await import('./connector.ts');
    return createChargebeeConnector({
      apiKey: config.apiKey,
      ...(config.site !== undefined && { site: config.site }),
      ...(config.baseUrl !== undefined && { baseUrl: config.baseUrl }),
      ...(config.webhookUsername !== undefined && { webhookUsername: config.webhookUsername }),
      ...(config.webhookPassword !== undefined && { webhookPassword: config.webhookPassword }),
      ...(config.webhookMaxAgeSeconds !== undefined && {
        webhookMaxAgeSeconds: config.webhookMaxAgeSeconds,
      }),
      ...(config.itemFamilyId !== undefined && { itemFamilyId: config.itemFamilyId }),
      ...(config.paymentToken !== undefined && { paymentToken: config.paymentToken }),
      connection: context.connection,
      logger: context.logger,
    });
  },
  normalise: toCanonicalEvents,
  entityKey: chargebeeEntityKey,
  correlationId: chargebeeCorrelationId,
});
