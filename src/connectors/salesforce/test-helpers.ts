import type { IncomingHttpHeaders } from 'node:http';
import { Connection } from 'jsforce';
import { OutboundConnection, type CircuitOptions } from '../../gateway/index.ts';
import {
  startSalesforceEmulator,
  type RunningSalesforceEmulator,
  type SalesforceEmulatorOptions,
} from '@revsync/emulators/salesforce';
import type { Connector, CrmSystem } from '../ports.ts';
import { createSalesforceConnector, type SalesforceConnectorOptions } from './connector.ts';

/** An emulator, a connector logged in to it through client credentials, and a seeding handle. */
export interface SalesforceTestbed {
  sf: RunningSalesforceEmulator;
  connector: Connector<CrmSystem>;
  connection: OutboundConnection;
  /** jsforce on the emulator's fixed token, for seeding and inspecting as a user would. */
  admin: Connection;
  /** Headers of every request the emulator received (oldest first). */
  headers: { method: string; url: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** Starts an emulator on a free port and a connector against it. */
export async function startTestbed(
  options: {
    emulator?: SalesforceEmulatorOptions;
    connector?: Partial<SalesforceConnectorOptions>;
    circuit?: CircuitOptions;
  } = {},
): Promise<SalesforceTestbed> {
  const sf = await startSalesforceEmulator({ port: 0, ...options.emulator });
  const headers: SalesforceTestbed['headers'] = [];
  sf.app.server.on('request', (req) => {
    headers.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
  });
  const connection = new OutboundConnection('salesforce-test', {
    system: 'salesforce',
    ...(options.circuit && { circuit: options.circuit }),
  });
  const connector = createSalesforceConnector({
    loginUrl: sf.loginUrl,
    clientId: sf.clientId,
    clientSecret: sf.clientSecret,
    connection,
    ...options.connector,
  });
  const admin = new Connection({
    instanceUrl: sf.url,
    accessToken: sf.accessToken,
    version: '62.0',
  });
  return { sf, connector, connection, admin, headers, close: () => sf.close() };
}

/** Creates a record as a user would (REST, fixed token); answers its id. */
export async function createRecord(
  admin: Connection,
  object: string,
  values: Record<string, unknown>,
): Promise<string> {
  const result = await admin.sobject(object).create(values);
  if (!result.success) throw new Error(`could not create ${object}: ${JSON.stringify(result)}`);
  return result.id;
}

/** Updates a record as a user would. */
export async function updateRecord(
  admin: Connection,
  object: string,
  id: string,
  values: Record<string, unknown>,
): Promise<void> {
  const result = await admin.sobject(object).update({ Id: id, ...values });
  if (!result.success) throw new Error(`could not update ${object}: ${JSON.stringify(result)}`);
}

/** A product with a standard price; answers the product id. */
export async function createProduct(
  tb: SalesforceTestbed,
  code: string,
  name: string,
  price: number,
): Promise<string> {
  const productId = await createRecord(tb.admin, 'Product2', {
    Name: name,
    ProductCode: code,
    IsActive: true,
  });
  await createRecord(tb.admin, 'PricebookEntry', {
    Pricebook2Id: tb.sf.state.standardPricebookId,
    Product2Id: productId,
    UnitPrice: price,
    IsActive: true,
  });
  return productId;
}
