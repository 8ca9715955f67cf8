import { defineConnector } from '../definition.ts';
import { businessCentralConfigSchema } from './config.ts';
import { businessCentralEntityKey, toCanonicalEvents } from './events.ts';

export { businessCentralConfigSchema } from './config.ts';
export type { BusinessCentralConnectorOptions } from './connector.ts';
export type { BusinessCentralChange } from './events.ts';

/**
 * Dynamics 365 Business Central as the ERP: customers, posted sales invoices with lines and
 * credit memos, customer payments through payment journals applied to invoices — one company
 * per region, idempotent through revsync's references, `If-Match` etags re-read on 412, `$batch`
 * atomicity groups for postings; a delta poller per company and `clientState` webhooks with the
 * `validationToken` handshake. See `docs/connectors.md`.
 */
export const businessCentralConnector = defineConnector({
  system: 'business-central',
  role: 'erp',
  displayName: 'Business Central',
  configSchema: businessCentralConfigSchema,
  // Business Central: 6,000 requests per 5 minutes per user (20/s on average) and 100 at once.
  // 18/s keeps a busy connection under the 5-minute budget; 20 in flight leaves room for the
  // other integrations of the same user.
  defaultLimits: { ratePerSecond: 18, burst: 40, maxConcurrent: 20 },
  async create(config, context) {
    const { createBusinessCentralConnector } = await import('./connector.ts');
    return createBusinessCentralConnector({
      tenantId: config.tenantId,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      ...(config.environment !== undefined && { environment: config.environment }),
      ...(config.baseUrl !== undefined && { baseUrl: config.baseUrl }),
      ...(config.loginUrl !== undefined && { loginUrl: config.loginUrl }),
      ...(config.webhookClientState !== undefined && {
        webhookClientState: config.webhookClientState,
      }),
      ...(config.notificationUrl !== undefined && { notificationUrl: config.notificationUrl }),
      connection: context.connection,
      logger: context.logger,
    });
  },
  normalise: toCanonicalEvents,
  entityKey: businessCentralEntityKey,
});
