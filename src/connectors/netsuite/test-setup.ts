/** Test fixture: the NetSuite emulator in-process, an outbound connection and the connector. */
import type { CircuitOptions } from '../../gateway/circuit-breaker.ts';
import type { CallRecord } from '../../gateway/outbound-gateway.ts';
import type { GovernorLimits } from '../../gateway/governor.ts';
import { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import {
  startNetsuiteEmulator,
  type NetsuiteEmulator,
  type NetsuiteEmulatorOptions,
} from '@revsync/emulators/netsuite';
import type { Connector, ErpSystem, WriteOptions } from '../ports.ts';
import { createNetsuiteConnector, type NetsuiteConnectorOptions } from './connector.ts';

/** A running emulator with a connector pointed at it. */
export interface NetsuiteFixture {
  emu: NetsuiteEmulator;
  connection: OutboundConnection;
  connector: Connector<ErpSystem>;
  erp: ErpSystem;
  close(): Promise<void>;
}

/** Starts the emulator on a free port and builds a connector for it. */
export async function startFixture(
  options: {
    emulator?: NetsuiteEmulatorOptions;
    limits?: GovernorLimits;
    circuit?: CircuitOptions;
    connector?: Partial<NetsuiteConnectorOptions>;
  } = {},
): Promise<NetsuiteFixture> {
  const emu = await startNetsuiteEmulator({ port: 0, seed: 7, ...options.emulator });
  const fixture = connect(emu, options);
  return { ...fixture, close: () => emu.close() };
}

/** A fresh connection and connector for a running emulator (fresh caches). */
export function connect(
  emu: NetsuiteEmulator,
  options: {
    limits?: GovernorLimits;
    circuit?: CircuitOptions;
    connector?: Partial<NetsuiteConnectorOptions>;
    /** Told of every outside call (one HTTP request), with its operation. */
    onCall?: (record: CallRecord) => void;
  } = {},
): Omit<NetsuiteFixture, 'close'> {
  const connection = new OutboundConnection(
    'netsuite',
    {
      system: 'netsuite',
      ...(options.limits && { limits: options.limits }),
      ...(options.circuit && { circuit: options.circuit }),
    },
    { ...(options.onCall && { onCall: options.onCall }) },
  );
  const { accountId, consumerKey, consumerSecret, tokenId, tokenSecret } = emu.credentials;
  const connector = createNetsuiteConnector({
    accountId,
    consumerKey,
    consumerSecret,
    tokenId,
    tokenSecret,
    baseUrl: emu.url,
    connection,
    ...options.connector,
  });
  return { emu, connection, connector, erp: connector.port };
}

let keys = 0;
/** Write options with a fresh idempotency key. */
export const write = (extra: Partial<WriteOptions> = {}): WriteOptions => ({
  idempotencyKey: `test-${++keys}`,
  ...extra,
});
