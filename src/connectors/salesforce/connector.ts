import { toCurrencyCode } from '../../model/currency.ts';
import type { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import type { Connector, CrmSystem, PollSource, ReadOptions } from '../ports.ts';
import { createChangeEventSource } from './change-events.ts';
import { SalesforceClient, type SalesforceLogger } from './client.ts';
import { SalesforceCrm } from './crm.ts';
import { WATCHED_OBJECTS } from './events.ts';
import { resolveSalesforceFields, type SalesforceFieldOverrides } from './fields.ts';
import { createSoqlPoller } from './poller.ts';

export type { SalesforceLogger } from './client.ts';
export {
  DEFAULT_SALESFORCE_FIELDS,
  type SalesforceFieldMap,
  type SalesforceFieldOverrides,
} from './fields.ts';

/** The event feeds a Salesforce connector can offer. */
export type SalesforceFeed = 'change-events' | 'soql';

/** Options of {@link createSalesforceConnector}. */
export interface SalesforceConnectorOptions {
  /** `https://login.salesforce.com`, `https://test.salesforce.com`, a My Domain URL, or the emulator. */
  loginUrl: string;
  /** Connected app consumer key (client-credentials flow enabled, with a run-as user). */
  clientId: string;
  clientSecret: string;
  /** REST API version (default `62.0`). */
  apiVersion?: string;
  /** The outbound connection (governor + circuit breaker) of this Salesforce org. */
  connection: OutboundConnection;
  logger?: SalesforceLogger;
  /** Field names where the org's differ from the defaults. */
  fields?: SalesforceFieldOverrides;
  /** Currency of amounts when neither the opportunity nor its account names one (default `USD`). */
  defaultCurrency?: string;
  /**
   * Which feeds `pollers` offers (default `['change-events']`). `change-events` reads the
   * emulator's Change Data Capture route; against a real org, where CDC needs the Pub/Sub API,
   * use `['soql']`. Both at once deliver most changes twice (under different event ids).
   */
  feeds?: readonly SalesforceFeed[];
  /** Where the change event feed starts without a cursor (default `earliest`: all retained). */
  changeEventStart?: 'earliest' | 'latest';
  /** How long to hold calls after the daily API limit is used up (default 15 min). */
  dailyLimitRetryAfterMs?: number;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
}

/**
 * The Salesforce connector: {@link CrmSystem} over jsforce (OAuth client credentials), its
 * event feeds (change events and/or SOQL polling on `SystemModstamp`), and a cheap `check()`.
 *
 * @example
 * const sf = createSalesforceConnector({
 *   loginUrl: 'http://127.0.0.1:12112', clientId: 'revsync-local', clientSecret: 'revsync-local-secret',
 *   connection: gateway.connection('salesforce', { system: 'salesforce' }),
 * });
 * const account = await sf.port.getAccount('001…');
 */
export function createSalesforceConnector(
  options: SalesforceConnectorOptions,
): Connector<CrmSystem> {
  const fields = resolveSalesforceFields(options.fields);
  const client = new SalesforceClient({
    loginUrl: options.loginUrl,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    connection: options.connection,
    ...(options.apiVersion !== undefined && { apiVersion: options.apiVersion }),
    ...(options.logger !== undefined && { logger: options.logger }),
    ...(options.dailyLimitRetryAfterMs !== undefined && {
      dailyLimitRetryAfterMs: options.dailyLimitRetryAfterMs,
    }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
  });
  const port = new SalesforceCrm(client, fields, toCurrencyCode(options.defaultCurrency ?? 'USD'));
  const feeds = new Set(options.feeds ?? ['change-events']);
  const pollers: PollSource[] = [];
  if (feeds.has('change-events')) {
    pollers.push(
      createChangeEventSource({
        client,
        fields,
        ...(options.changeEventStart !== undefined && { start: options.changeEventStart }),
        ...(options.logger !== undefined && { logger: options.logger }),
      }),
    );
  }
  if (feeds.has('soql')) {
    for (const object of WATCHED_OBJECTS)
      pollers.push(createSoqlPoller({ client, fields, object }));
  }
  return {
    system: 'salesforce',
    port,
    connection: options.connection,
    pollers,
    async check(checkOptions?: ReadOptions): Promise<void> {
      await client.request('limits', { method: 'GET', url: '/limits' }, checkOptions);
    },
  };
}
