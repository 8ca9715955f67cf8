import { defineConnector } from '../definition.ts';
import { hubspotConfigSchema } from './config.ts';
import { hubspotEntityKey, toCanonicalEvents } from './events.ts';

export { hubspotConfigSchema } from './config.ts';
export type { HubspotConnectorOptions } from './connector.ts';

/**
 * HubSpot as the CRM: companies, deals and their line items read through `@hubspot/api-client`
 * (private-app token), billing status written back to `revsync_*` properties; changes from a
 * search-by-`hs_lastmodifieddate` poller and, when configured, signed webhooks v3. See
 * `docs/connectors.md`.
 */
export const hubspotConnector = defineConnector({
  system: 'hubspot',
  role: 'crm',
  displayName: 'HubSpot',
  configSchema: hubspotConfigSchema,
  // Private apps on Pro/Enterprise: 190 requests per rolling 10 s; keep under it, bursts of 10.
  defaultLimits: { ratePerSecond: 18, burst: 10, maxConcurrent: 10 },
  async create(config, context) {
    const { createHubspotConnector } = await import('./connector.ts');
    return createHubspotConnector({
      accessToken: config.accessToken,
      ...(config.basePath !== undefined && { basePath: config.basePath }),
      ...(config.clientSecret !== undefined && { clientSecret: config.clientSecret }),
      ...(config.webhookUrl !== undefined && { webhookUrl: config.webhookUrl }),
      ...(config.closedWonStages !== undefined && { closedWonStages: config.closedWonStages }),
      ...(config.defaultCurrency !== undefined && { defaultCurrency: config.defaultCurrency }),
      connection: context.connection,
    });
  },
  normalise: toCanonicalEvents,
  entityKey: hubspotEntityKey,
});
