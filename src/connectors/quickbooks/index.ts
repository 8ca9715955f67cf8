import { defineConnector } from '../definition.ts';
import { quickbooksConfigSchema } from './config.ts';
import { quickbooksEntityKey, toCanonicalEvents } from './events.ts';

export { quickbooksConfigSchema } from './config.ts';
export type { QuickbooksConnectorOptions } from './connector.ts';
export type { QuickbooksChange } from './events.ts';

/**
 * QuickBooks Online as the ERP: customers (with currency), invoices with lines and tax, credit
 * memos and refund receipts, payments applied to invoices — one company (realm) per region,
 * idempotent through revsync's reference and `requestid`; CDC change feeds and
 * `intuit-signature` webhooks. See `docs/connectors.md`.
 */
export const quickbooksConnector = defineConnector({
  system: 'quickbooks',
  role: 'erp',
  displayName: 'QuickBooks Online',
  configSchema: quickbooksConfigSchema,
  // Intuit: 500 requests a minute and 10 a second per company, 10 at once. 8/s (480/min)
  // keeps one governor under the per-minute limit even when every call goes to one company.
  defaultLimits: { ratePerSecond: 8, burst: 8, maxConcurrent: 8 },
  async create(config, context) {
    const { createQuickbooksConnector } = await import('./connector.ts');
    return createQuickbooksConnector({
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      realms: config.realms,
      ...(config.environment !== undefined && { environment: config.environment }),
      ...(config.baseUrl !== undefined && { baseUrl: config.baseUrl }),
      ...(config.tokenUrl !== undefined && { tokenUrl: config.tokenUrl }),
      ...(config.webhookVerifierToken !== undefined && {
        webhookVerifierToken: config.webhookVerifierToken,
      }),
      ...(config.defaultItemId !== undefined && { defaultItemId: config.defaultItemId }),
      ...(config.depositAccountId !== undefined && { depositAccountId: config.depositAccountId }),
      connection: context.connection,
      logger: context.logger,
    });
  },
  normalise: toCanonicalEvents,
  entityKey: quickbooksEntityKey,
});
