import type { Logger } from 'pino';
import type { ResolvedConfig } from '../config/load-config.ts';
import { createNetsuiteConnector } from '../connectors/netsuite/index.ts';
import { createSalesforceConnector } from '../connectors/salesforce/index.ts';
import { createStripeConnector } from '../connectors/stripe/index.ts';
import { ValidationError } from '../model/revsync-error.ts';
import type { OutboundGateway } from '../gateway/outbound-gateway.ts';
import type { RuntimeConnectors } from './runtime.ts';

/** Test-mode extras for the billing connector (the simulator's test clock). */
export interface ConnectorExtras {
  stripeTestClock?: string;
}

/**
 * Builds the three connectors of the reference scenario from configuration, each on its own
 * gateway connection (one governor and circuit per API account).
 */
export function buildConnectors(
  config: ResolvedConfig,
  gateway: OutboundGateway,
  logger: Logger,
  extras: ConnectorExtras = {},
): RuntimeConnectors {
  const { salesforce, stripe, netsuite } = config.connections;
  if (!salesforce || !stripe || !netsuite) {
    throw new ValidationError(
      'revsync needs connections.salesforce, connections.stripe and connections.netsuite',
    );
  }
  const crm = createSalesforceConnector({
    loginUrl: salesforce.loginUrl,
    clientId: salesforce.clientId,
    clientSecret: salesforce.clientSecret,
    ...(salesforce.apiVersion !== undefined && { apiVersion: salesforce.apiVersion }),
    ...(salesforce.feeds !== undefined && { feeds: salesforce.feeds }),
    connection: gateway.connection('salesforce', { system: 'salesforce', ...limitsOf(salesforce) }),
    logger: logger.child({ connector: 'salesforce' }),
  });
  const billing = createStripeConnector({
    apiKey: stripe.apiKey,
    ...(stripe.baseUrl !== undefined && { baseUrl: stripe.baseUrl }),
    ...(stripe.webhookSecret !== undefined && { webhookSecret: stripe.webhookSecret }),
    ...(stripe.defaultPaymentMethod !== undefined && {
      defaultPaymentMethod: stripe.defaultPaymentMethod,
    }),
    ...(extras.stripeTestClock !== undefined && { testClock: extras.stripeTestClock }),
    connection: gateway.connection('stripe', { system: 'stripe', ...limitsOf(stripe) }),
    logger: logger.child({ connector: 'stripe' }),
  });
  const erp = createNetsuiteConnector({
    accountId: netsuite.accountId,
    ...(netsuite.baseUrl !== undefined && { baseUrl: netsuite.baseUrl }),
    consumerKey: netsuite.consumerKey,
    consumerSecret: netsuite.consumerSecret,
    tokenId: netsuite.tokenId,
    tokenSecret: netsuite.tokenSecret,
    connection: gateway.connection('netsuite', { system: 'netsuite', ...limitsOf(netsuite) }),
    logger: logger.child({ connector: 'netsuite' }),
  });
  return { crm, billing, erp };
}

function limitsOf(connection: { limits?: object; circuit?: object }) {
  return {
    ...(connection.limits !== undefined && { limits: connection.limits }),
    ...(connection.circuit !== undefined && { circuit: connection.circuit }),
  };
}
