/**
 * The registered connectors: the one list that names vendors. Adding a connector is a folder in
 * `src/connectors/<system>/` exporting a definition, one line here, and its emulator in
 * `packages/emulators` (see `docs/connectors.md`, "Writing a connector").
 */
import type { AnyConnectorDefinition, Role } from './definition.ts';
import { hubspotConnector } from './hubspot/index.ts';
import { chargebeeConnector } from './chargebee/index.ts';
import { netsuiteConnector } from './netsuite/index.ts';
import { quickbooksConnector } from './quickbooks/index.ts';
import { salesforceConnector } from './salesforce/index.ts';
import { stripeConnector } from './stripe/index.ts';
import { businessCentralConnector } from './business-central/index.ts';

/** Every registered connector. */
export const CONNECTORS = [
  salesforceConnector,
  stripeConnector,
  netsuiteConnector,
  hubspotConnector,
  chargebeeConnector,
  quickbooksConnector,
  businessCentralConnector,
] as const;

/** The stack revsync runs when nothing else is chosen (the demo's and the simulator's default). */
export const DEFAULT_STACK: Readonly<Record<Role, string>> = {
  crm: 'salesforce',
  billing: 'stripe',
  erp: 'netsuite',
};

/** The registered connector of `system`, if any. */
export function connectorFor(system: string): AnyConnectorDefinition | undefined {
  return (CONNECTORS as readonly AnyConnectorDefinition[]).find((c) => c.system === system);
}

/** The registered connectors that can play `role`. */
export function connectorsFor(role: Role): AnyConnectorDefinition[] {
  return (CONNECTORS as readonly AnyConnectorDefinition[]).filter((c) => c.role === role);
}
