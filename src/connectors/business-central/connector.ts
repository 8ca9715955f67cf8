import type { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import type { Connector, ErpSystem, PollSource, ReadOptions } from '../ports.ts';
import { BusinessCentralErp } from './business-central-erp.ts';
import { BusinessCentralClient, type BusinessCentralLogger } from './client.ts';
import { BusinessCentralPoller } from './poller.ts';
import {
  BusinessCentralSubscriptions,
  BusinessCentralWebhooks,
  defaultClientState,
} from './webhooks.ts';

export type { BusinessCentralLogger } from './client.ts';

/** Options of {@link createBusinessCentralConnector}. */
export interface BusinessCentralConnectorOptions {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  environment?: string;
  baseUrl?: string;
  loginUrl?: string;
  /** Default derived from the client secret. */
  webhookClientState?: string;
  /** With it, a subscription poller subscribes and renews webhook subscriptions. */
  notificationUrl?: string;
  /**
   * The app's outbound connection. Business Central allows 6,000 requests per 5 minutes per
   * user and 100 at once (see the definition's `defaultLimits`).
   */
  connection: OutboundConnection;
  logger?: BusinessCentralLogger;
  timeoutMs?: number;
  /** Events per poll (default 200). */
  pollPageSize?: number;
  /** Where a first poll starts, ISO 8601 (default 30 days ago). */
  pollSince?: string;
}

/**
 * The Business Central connector: the ERP port over API v2.0 (one company per region), a delta
 * feed per company, `clientState`-checked webhook notifications with the `validationToken`
 * handshake, and — when `notificationUrl` is set — subscriptions kept alive. The companies are
 * read on first use (and kept). See `docs/connectors.md`.
 */
export async function createBusinessCentralConnector(
  options: BusinessCentralConnectorOptions,
): Promise<Connector<ErpSystem>> {
  const client = new BusinessCentralClient({
    tenantId: options.tenantId,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    connection: options.connection,
    ...(options.environment !== undefined && { environment: options.environment }),
    ...(options.baseUrl !== undefined && { baseUrl: options.baseUrl }),
    ...(options.loginUrl !== undefined && { loginUrl: options.loginUrl }),
    ...(options.logger !== undefined && { logger: options.logger }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
  });
  const port = new BusinessCentralErp(client);
  const clientState = options.webhookClientState ?? defaultClientState(options.clientSecret);
  const pollers: PollSource[] = [
    new BusinessCentralPoller(client, {
      companyIds: () => port.companyIds({ lane: 'low' }),
      ...(options.pollPageSize !== undefined && { pageSize: options.pollPageSize }),
      ...(options.pollSince !== undefined && { since: options.pollSince }),
    }),
  ];
  if (options.notificationUrl !== undefined) {
    pollers.push(
      new BusinessCentralSubscriptions(client, {
        notificationUrl: options.notificationUrl,
        clientState,
        companyIds: () => port.companyIds({ lane: 'low' }),
      }),
    );
  }
  return {
    system: 'business-central',
    port,
    connection: options.connection,
    pollers,
    webhooks: new BusinessCentralWebhooks({ clientState }),
    // The companies: proves the token and the environment.
    async check(readOptions: ReadOptions = {}) {
      await client.request('GET', 'companies', {
        operation: 'check',
        ...(readOptions.lane !== undefined && { lane: readOptions.lane }),
        ...(readOptions.signal !== undefined && { signal: readOptions.signal }),
        ...(readOptions.traceparent !== undefined && { traceparent: readOptions.traceparent }),
      });
    },
  };
}
