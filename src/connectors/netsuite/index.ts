import { defineConnector } from '../definition.ts';
import { netsuiteConfigSchema } from './config.ts';
import { netsuiteEntityKey, toCanonicalEvents } from './events.ts';

export { netsuiteConfigSchema } from './config.ts';
export type { NetsuiteConnectorOptions } from './connector.ts';
export type { NetsuiteCustomerChange, NetsuiteTransactionChange } from './mapper.ts';

/**
 * NetSuite as the ERP: customers, invoices, credit memos and customer payments upserted by
 * external id over SuiteTalk REST with Token-Based Authentication; SuiteQL change feeds.
 * See `docs/connectors.md`.
 */
export const netsuiteConnector = defineConnector({
  system: 'netsuite',
  role: 'erp',
  displayName: 'NetSuite',
  configSchema: netsuiteConfigSchema,
  // The account's concurrency pool (15 by default) is shared with every other integration.
  defaultLimits: { maxConcurrent: 5 },
  async create(config, context) {
    const { createNetsuiteConnector } = await import('./connector.ts');
    return createNetsuiteConnector({
      accountId: config.accountId,
      ...(config.baseUrl !== undefined && { baseUrl: config.baseUrl }),
      consumerKey: config.consumerKey,
      consumerSecret: config.consumerSecret,
      tokenId: config.tokenId,
      tokenSecret: config.tokenSecret,
      ...(config.defaultItem !== undefined && { defaultItem: config.defaultItem }),
      ...(config.depositAccount !== undefined && { depositAccount: config.depositAccount }),
      ...(config.feeAccount !== undefined && { feeAccount: config.feeAccount }),
      ...(config.clearingAccount !== undefined && { clearingAccount: config.clearingAccount }),
      ...(config.itemIncomeAccount !== undefined && {
        itemIncomeAccount: config.itemIncomeAccount,
      }),
      ...(config.feeds !== undefined && { feeds: config.feeds }),
      connection: context.connection,
      logger: context.logger,
    });
  },
  normalise: toCanonicalEvents,
  entityKey: netsuiteEntityKey,
});
