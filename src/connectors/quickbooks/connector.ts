import type { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import type { Connector, ErpSystem, ReadOptions } from '../ports.ts';
import {
  QuickbooksClient,
  type QuickbooksLogger,
  type QuickbooksRealmCredentials,
} from './client.ts';
import { QuickbooksPoller } from './poller.ts';
import { QuickbooksErp } from './quickbooks-erp.ts';
import { QuickbooksWebhooks } from './webhooks.ts';

export type { QuickbooksLogger, QuickbooksRealmCredentials } from './client.ts';

/** Options of {@link createQuickbooksConnector}. */
export interface QuickbooksConnectorOptions {
  clientId: string;
  clientSecret: string;
  realms: readonly QuickbooksRealmCredentials[];
  environment?: 'sandbox' | 'production';
  baseUrl?: string;
  tokenUrl?: string;
  webhookVerifierToken?: string;
  defaultItemId?: string;
  depositAccountId?: string;
  /**
   * The app's outbound connection. Intuit's limits are per company: 500 requests a minute,
   * 10 a second, 10 at once. One governor serves every realm of the connection, so its
   * limits (see the definition's `defaultLimits`) hold for each realm with room to spare.
   */
  connection: OutboundConnection;
  logger?: QuickbooksLogger;
  timeoutMs?: number;
  /** Events per poll (default 200). */
  pollPageSize?: number;
  /** Where a first poll starts, ISO 8601 (default: CDC's 30-day window). */
  pollSince?: string;
}

/**
 * The QuickBooks Online connector: the ERP port over the v3 accounting API (one company per
 * region), a CDC change feed per company, and `intuit-signature` webhooks when the app's
 * verifier token is configured. See `docs/connectors.md`.
 */
export function createQuickbooksConnector(
  options: QuickbooksConnectorOptions,
): Connector<ErpSystem> {
  const client = new QuickbooksClient({
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    realms: options.realms,
    connection: options.connection,
    ...(options.environment !== undefined && { environment: options.environment }),
    ...(options.baseUrl !== undefined && { baseUrl: options.baseUrl }),
    ...(options.tokenUrl !== undefined && { tokenUrl: options.tokenUrl }),
    ...(options.logger !== undefined && { logger: options.logger }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
  });
  const port = new QuickbooksErp(client, {
    ...(options.defaultItemId !== undefined && { defaultItemId: options.defaultItemId }),
    ...(options.depositAccountId !== undefined && { depositAccountId: options.depositAccountId }),
  });
  const pollers = options.realms.map(
    (r) =>
      new QuickbooksPoller(client, {
        realmId: r.realmId,
        ...(options.pollPageSize !== undefined && { pageSize: options.pollPageSize }),
        ...(options.pollSince !== undefined && { since: options.pollSince }),
      }),
  );
  return {
    system: 'quickbooks',
    port,
    connection: options.connection,
    pollers,
    ...(options.webhookVerifierToken !== undefined && {
      webhooks: new QuickbooksWebhooks({ verifierToken: options.webhookVerifierToken }),
    }),
    // The preferences of each company: proves every realm's token.
    async check(readOptions: ReadOptions = {}) {
      for (const realmId of client.realmIds) {
        await client.request(realmId, 'GET', '/preferences', {
          operation: 'check',
          ...(readOptions.lane !== undefined && { lane: readOptions.lane }),
          ...(readOptions.signal !== undefined && { signal: readOptions.signal }),
          ...(readOptions.traceparent !== undefined && { traceparent: readOptions.traceparent }),
        });
      }
    },
  };
}
