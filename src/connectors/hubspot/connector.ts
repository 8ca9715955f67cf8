import { toCurrencyCode } from '../../model/currency.ts';
import type { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import type { Connector, CrmSystem, ReadOptions } from '../ports.ts';
import { HubspotClient } from './client.ts';
import { HubspotCrm } from './crm.ts';
import { WATCHED_OBJECTS } from './events.ts';
import { createModifiedPoller } from './poller.ts';
import { createWebhookSource } from './webhooks.ts';

/** Options of {@link createHubspotConnector}. */
export interface HubspotConnectorOptions {
  /** The private app's access token. */
  accessToken: string;
  /** API root (default `https://api.hubapi.com`), or the emulator's URL. */
  basePath?: string;
  /** The app's client secret and registered target URL: both needed to verify webhooks. */
  clientSecret?: string;
  webhookUrl?: string;
  /** Deal stage ids that mean closed won; default HubSpot's `hs_is_closed_won`. */
  closedWonStages?: readonly string[];
  /** Currency when neither the deal nor its company names one (default `USD`). */
  defaultCurrency?: string;
  /** The outbound connection (governor + circuit breaker) of this portal. */
  connection: OutboundConnection;
}

/**
 * The HubSpot connector: {@link CrmSystem} over `@hubspot/api-client` (private-app token), a
 * poller per watched object (search by `hs_lastmodifieddate`), webhooks v3 when the app's
 * client secret and target URL are configured, and a cheap `check()`.
 *
 * @example
 * const hs = createHubspotConnector({
 *   accessToken: 'pat-na1-revsync-local', basePath: 'http://127.0.0.1:12114',
 *   connection: gateway.connection('hubspot', { system: 'hubspot' }),
 * });
 * const deal = await hs.port.getOpportunity('1000000007');
 */
export function createHubspotConnector(options: HubspotConnectorOptions): Connector<CrmSystem> {
  const client = new HubspotClient({
    accessToken: options.accessToken,
    connection: options.connection,
    ...(options.basePath !== undefined && { basePath: options.basePath }),
  });
  const rule = options.closedWonStages ? { closedWonStages: new Set(options.closedWonStages) } : {};
  const port = new HubspotCrm(client, rule, toCurrencyCode(options.defaultCurrency ?? 'USD'));
  const webhooks =
    options.clientSecret && options.webhookUrl
      ? createWebhookSource({ clientSecret: options.clientSecret, webhookUrl: options.webhookUrl })
      : undefined;
  return {
    system: 'hubspot',
    port,
    connection: options.connection,
    ...(webhooks && { webhooks }),
    pollers: WATCHED_OBJECTS.map((object) => createModifiedPoller({ client, object, rule })),
    async check(checkOptions?: ReadOptions): Promise<void> {
      await client.dealStages(checkOptions);
    },
  };
}
