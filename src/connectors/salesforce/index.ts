import { defineConnector } from '../definition.ts';
import { salesforceConfigSchema } from './config.ts';
import { salesforceEntityKey, toCanonicalEvents } from './events.ts';

export { salesforceConfigSchema } from './config.ts';
export type { SalesforceConnectorOptions, SalesforceFeed } from './connector.ts';
export {
  DEFAULT_SALESFORCE_FIELDS,
  type SalesforceFieldMap,
  type SalesforceFieldOverrides,
} from './fields.ts';

/**
 * Salesforce as the CRM: accounts, opportunities and their line items read through `jsforce`
 * (OAuth client credentials), billing status written back; Change Data Capture or SOQL polling
 * for changes. See `docs/connectors.md`.
 */
export const salesforceConnector = defineConnector({
  system: 'salesforce',
  role: 'crm',
  displayName: 'Salesforce',
  configSchema: salesforceConfigSchema,
  // The daily request allowance is the binding limit; keep a steady pace under bursts.
  defaultLimits: { ratePerSecond: 50, maxConcurrent: 10 },
  async create(config, context) {
    const { createSalesforceConnector } = await import('./connector.ts');
    return createSalesforceConnector({
      loginUrl: config.loginUrl,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      ...(config.apiVersion !== undefined && { apiVersion: config.apiVersion }),
      ...(config.feeds !== undefined && { feeds: config.feeds }),
      ...(config.defaultCurrency !== undefined && { defaultCurrency: config.defaultCurrency }),
      connection: context.connection,
      logger: context.logger,
    });
  },
  normalise: toCanonicalEvents,
  entityKey: salesforceEntityKey,
});
