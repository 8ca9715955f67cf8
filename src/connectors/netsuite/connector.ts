import type { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import type { Connector, ErpSystem, ReadOptions } from '../ports.ts';
import { NetsuiteClient, type NetsuiteCredentials, type NetsuiteLogger } from './client.ts';
import { NetsuiteErp } from './netsuite-erp.ts';
import { NetsuitePoller, type NetsuiteFeed } from './poller.ts';
import { NetsuiteReferenceData } from './reference-data.ts';

export type { NetsuiteCredentials, NetsuiteLogger } from './client.ts';
export type { NetsuiteCustomerChange, NetsuiteTransactionChange } from './mapper.ts';
export type { NetsuiteFeed } from './poller.ts';

/** Options of {@link createNetsuiteConnector}. */
export interface NetsuiteConnectorOptions extends NetsuiteCredentials {
  /**
   * Root of the account's REST host (no `/services/rest`), e.g. an emulator's
   * `http://127.0.0.1:12113`. Default `https://<account-id, lowercase, _ as ->.suitetalk.api.netsuite.com`.
   */
  baseUrl?: string;
  /**
   * The account's outbound connection. NetSuite's concurrency pool is shared by every
   * integration on the account: configure its governor's `maxConcurrent` below the account
   * limit, minus what other integrations use.
   */
  connection: OutboundConnection;
  logger?: NetsuiteLogger;
  /** External id of the item for lines without a product code. Default `revsync-service`. */
  defaultItem?: string;
  /** One item per product code (external id = the code), created on first use. Default true. */
  productItems?: boolean;
  /** Internal id of the income account for items revsync creates. */
  itemIncomeAccount?: string;
  /** Deposits: bank, fee and clearing account internal ids (see the config schema). */
  depositAccount?: string;
  feeAccount?: string;
  clearingAccount?: string;
  /** Read each posted invoice's and credit memo's totals back and compare. Default true. */
  verifyTotals?: boolean;
  /** Per-call timeout in ms (default 60 000). */
  timeoutMs?: number;
  /** Which change feeds to poll (default both). */
  feeds?: readonly NetsuiteFeed[];
  /** Rows per poll (default 200, at most 1000). */
  pollPageSize?: number;
  /** Where a first poll starts, ISO 8601 (default: the beginning of time, a full backfill). */
  pollSince?: string;
  /**
   * Leave changes stamped with the current second (by the account's `SYSDATE`) for the next poll
   * (default true). See `NetsuitePollerOptions.settle`.
   */
  pollSettle?: boolean;
}

/**
 * The NetSuite connector: the ERP port over SuiteTalk REST (records upserted by external id,
 * SuiteQL for look-ups) with Token-Based Authentication, and SuiteQL change feeds on
 * `lastmodifieddate` for customers and customer transactions. NetSuite pushes no webhooks, so
 * there is no `webhooks` member. See `docs/connectors-netsuite.md`.
 */
export function createNetsuiteConnector(options: NetsuiteConnectorOptions): Connector<ErpSystem> {
  const client = new NetsuiteClient(options);
  const refs = new NetsuiteReferenceData(client, {
    defaultItem: options.defaultItem ?? 'revsync-service',
    productItems: options.productItems ?? true,
    ...(options.itemIncomeAccount !== undefined && { incomeAccount: options.itemIncomeAccount }),
  });
  const port = new NetsuiteErp(client, refs, {
    ...(options.verifyTotals !== undefined && { verifyTotals: options.verifyTotals }),
    ...(options.depositAccount !== undefined && { depositAccount: options.depositAccount }),
    ...(options.feeAccount !== undefined && { feeAccount: options.feeAccount }),
    ...(options.clearingAccount !== undefined && { clearingAccount: options.clearingAccount }),
  });
  const pollers = (options.feeds ?? ['customers', 'transactions']).map(
    (feed) =>
      new NetsuitePoller(client, {
        feed,
        ...(options.pollPageSize !== undefined && { pageSize: options.pollPageSize }),
        ...(options.pollSince !== undefined && { since: options.pollSince }),
        ...(options.pollSettle !== undefined && { settle: options.pollSettle }),
      }),
  );
  return {
    system: 'netsuite',
    port,
    connection: options.connection,
    pollers,
    // One SuiteQL read of the currency records: proves the token and fills the currency cache.
    async check(readOptions: ReadOptions = {}) {
      await refs.refreshCurrencies({
        operation: 'check',
        ...(readOptions.lane !== undefined && { lane: readOptions.lane }),
        ...(readOptions.signal !== undefined && { signal: readOptions.signal }),
        ...(readOptions.traceparent !== undefined && { traceparent: readOptions.traceparent }),
      });
    },
  };
}
