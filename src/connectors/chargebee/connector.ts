import type { BillingSystem, Connector, ReadOptions } from '../ports.ts';
import type { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import { ChargebeeBilling } from './chargebee-billing.ts';
import { ChargebeeClient, type ChargebeeLogger } from './client.ts';
import { createChargebeeEventPoller, type ChargebeeEventPollerOptions } from './poller.ts';
import { createChargebeeWebhookSource } from './webhooks.ts';

export { classifyChargebeeError } from './errors.ts';
export { toVendorEvent as toChargebeeVendorEvent } from './events.ts';
export { CHARGEBEE_EVENTS_CURSOR } from './poller.ts';
export type { ChargebeeLogger } from './client.ts';

/** Options of {@link createChargebeeConnector}. */
export interface ChargebeeConnectorOptions {
  apiKey: string;
  /** The site (`acme-test`); or `baseUrl`. */
  site?: string;
  /** Another API host, e.g. the emulator `http://127.0.0.1:12115`. */
  baseUrl?: string;
  /** Basic-auth credentials of the site's webhook; without them the connector only polls. */
  webhookUsername?: string;
  webhookPassword?: string;
  webhookMaxAgeSeconds?: number;
  itemFamilyId?: string;
  paymentToken?: string;
  connection: OutboundConnection;
  logger?: ChargebeeLogger;
  timeoutMs?: number;
  pageSize?: number;
  events?: ChargebeeEventPollerOptions;
}

/**
 * The Chargebee connector: the billing port on Chargebee Billing (product catalog 2.0,
 * `chargebee` SDK v3), Basic-auth webhook verification and the `/events` poller, every call
 * through `connection` (governor, circuit breaker), writes keyed by the step's idempotency key.
 */
export function createChargebeeConnector(
  options: ChargebeeConnectorOptions,
): Connector<BillingSystem> {
  const client = new ChargebeeClient({
    apiKey: options.apiKey,
    connection: options.connection,
    ...(options.site !== undefined && { site: options.site }),
    ...(options.baseUrl !== undefined && { baseUrl: options.baseUrl }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.logger !== undefined && { logger: options.logger }),
    ...(options.pageSize !== undefined && { pageSize: options.pageSize }),
  });
  const port = new ChargebeeBilling(client, {
    ...(options.itemFamilyId !== undefined && { itemFamilyId: options.itemFamilyId }),
    ...(options.paymentToken !== undefined && { paymentToken: options.paymentToken }),
  });
  return {
    system: 'chargebee',
    port,
    connection: options.connection,
    ...(options.webhookUsername !== undefined && {
      webhooks: createChargebeeWebhookSource({
        username: options.webhookUsername,
        password: options.webhookPassword ?? '',
        ...(options.webhookMaxAgeSeconds !== undefined && {
          maxAgeSeconds: options.webhookMaxAgeSeconds,
        }),
      }),
    }),
    pollers: [createChargebeeEventPoller(client, options.events)],
    async check(readOptions?: ReadOptions) {
      await client.read('check', readOptions, (h) => client.sdk.customer.list({ limit: 1 }, h));
    },
  };
}
