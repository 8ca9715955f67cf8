import type { Logger } from 'pino';
import type { ResolvedConfig, ResolvedConnection } from '../config/load-config.ts';
import { ROLES, type Ports, type Role } from '../connectors/definition.ts';
import type { Connector } from '../connectors/ports.ts';
import { connectorFor } from '../connectors/registry.ts';
import type { OutboundGateway } from '../gateway/outbound-gateway.ts';
import { ValidationError } from '../model/revsync-error.ts';
import type { RuntimeConnectors } from './runtime.ts';

/** Test-mode extras for the connectors (the simulator's billing test clock). */
export interface ConnectorExtras {
  testClock?: string;
}

/**
 * Builds the connector of every configured role from the registry, each on its own gateway
 * connection (one governor and circuit per API account, named after the role's system).
 */
export async function buildConnectors(
  config: ResolvedConfig,
  gateway: OutboundGateway,
  logger: Logger,
  extras: ConnectorExtras = {},
): Promise<RuntimeConnectors> {
  const missing = ROLES.filter((role) => !config.connections[role]);
  if (missing.length > 0) {
    throw new ValidationError(
      `revsync needs a connection for every role: add ${missing.map((r) => `connections.${r}`).join(', ')}`,
    );
  }
  const out: Partial<{ [R in Role]: Connector<Ports[R]> }> = {};
  for (const role of ROLES) {
    (out as Record<Role, unknown>)[role] = await buildConnector(
      role,
      config.connections[role]!,
      gateway,
      logger,
      extras,
    );
  }
  return out as RuntimeConnectors;
}

/**
 * Builds one role's connector from its resolved connection (see `resolveConnection`) on the
 * gateway connection named after its system.
 */
export async function buildConnector<R extends Role>(
  role: R,
  resolved: ResolvedConnection,
  gateway: OutboundGateway,
  logger: Logger,
  extras: ConnectorExtras = {},
): Promise<Connector<Ports[R]>> {
  const {
    system,
    limits,
    circuit,
    pollIntervalMs: _poll,
    catchUpPollIntervalMs: _catchUp,
    ...settings
  } = resolved;
  const definition = connectorFor(system);
  if (!definition) throw new ValidationError(`connections.${role}: unknown system ${system}`);
  if (definition.role !== role)
    throw new ValidationError(`connections.${role}: ${system} is a ${definition.role} system`);
  const connection = gateway.connection(system, {
    system,
    ...(limits !== undefined && { limits }),
    ...(circuit !== undefined && { circuit }),
  });
  const connector = await definition.create(settings as never, {
    connection,
    logger: logger.child({ connector: system, role }),
    ...(role === 'billing' && extras.testClock !== undefined && { testClock: extras.testClock }),
  });
  return connector as Connector<Ports[R]>;
}
