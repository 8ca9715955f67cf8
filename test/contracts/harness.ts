/**
 * What the contract suites run against: a registered connector built exactly as `revsync start`
 * builds it (its connection resolved from the simulator driver's settings), talking to its
 * emulator, plus the driver's actor for what the port itself does not do (sales creating deals in
 * a CRM) and the emulator's fault switch for the error-class checks.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { buildConnector } from '../../src/app/build-connectors.ts';
import { resolveConnection } from '../../src/config/load-config.ts';
import type { AnyConnectorDefinition, Ports, Role } from '../../src/connectors/definition.ts';
import type { Connector } from '../../src/connectors/ports.ts';
import { connectorFor, connectorsFor } from '../../src/connectors/registry.ts';
import { OutboundGateway } from '../../src/gateway/outbound-gateway.ts';
import type {
  BillingActor,
  CrmActor,
  ErpActor,
  StartedSystem,
} from '../../src/sim/drivers/driver.ts';
import { loadDriver } from '../../src/sim/drivers/load-driver.ts';
import { fixtureFor, type ConnectorFixture } from './fixtures/index.ts';

/** The simulator actor of each role. */
export interface Actors {
  crm: CrmActor;
  billing: BillingActor;
  erp: ErpActor;
}

/** One connector under contract: its emulator, how to connect to it, how to break it. */
export interface ContractSubject<R extends Role> {
  readonly role: R;
  readonly system: string;
  readonly definition: AnyConnectorDefinition;
  readonly fixture: ConnectorFixture;
  readonly started: StartedSystem<Actors[R]>;
  /**
   * A connector on a connection of its own (a fresh governor, and a circuit that never opens,
   * so one check's injected faults do not leak into the next).
   */
  connect(): Promise<Connector<Ports[R]>>;
  /** Replaces the emulator's fault rules (`PUT /_emulator/faults`); `undefined` switches them off. */
  faults(rules?: readonly Record<string, unknown>[]): Promise<void>;
  close(): Promise<void>;
}

/** Nothing listens here: webhook deliveries the emulator attempts fail fast. */
const NOWHERE = 'http://127.0.0.1:9/webhooks/contract';

/** Starts `system`'s emulator through its simulator driver (any free port, no faults). */
export async function startSubject<R extends Role>(
  role: R,
  system: string,
): Promise<ContractSubject<R>> {
  const definition = connectorFor(system);
  if (!definition || definition.role !== role)
    throw new Error(`${system} is not a registered ${role} connector`);
  const driver = await loadDriver(role, system);
  const started = (await driver.start({
    seed: 7,
    faults: 'none',
    port: 0,
    webhookUrl: NOWHERE,
  })) as StartedSystem<Actors[R]>;
  const connectors: Connector<Ports[R]>[] = [];
  const logger = pino({ level: process.env.REVSYNC_LOG_LEVEL ?? 'silent' });
  return {
    role,
    system,
    definition,
    fixture: fixtureFor(system),
    started,
    async connect() {
      const resolved = resolveConnection(role, { system, ...started.connection }, started.env);
      const connector = await buildConnector(
        role,
        { ...resolved, circuit: { failureThreshold: 1_000_000 } },
        new OutboundGateway(),
        logger,
        started.testClock !== undefined ? { testClock: started.testClock } : {},
      );
      connectors.push(connector);
      return connector;
    },
    async faults(rules) {
      const res = await fetch(new URL('/_emulator/faults', started.url), {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(rules ? { rules } : { preset: 'none' }),
      });
      if (!res.ok) throw new Error(`${system}: setting faults answered ${res.status}`);
    },
    async close() {
      for (const connector of connectors) await connector.close?.();
      await started.close();
    },
  };
}

/** A unique suffix per call, for names and external ids no earlier check used. */
export function unique(prefix: string): string {
  unique.n += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${unique.n}`;
}
unique.n = 0;

/**
 * Registers one role's contract for every registered connector of that role: a `describe` per
 * connector (`erp contract × netsuite`) whose emulator starts once, a world the checks share,
 * and one `it` per check.
 */
export function defineContract<R extends Role, W>(
  role: R,
  setUp: (subject: ContractSubject<R>) => Promise<W>,
  checks: Record<string, (world: W) => Promise<void>>,
): void {
  for (const definition of connectorsFor(role)) {
    describe(`${role} contract × ${definition.system}`, () => {
      const box: { subject?: ContractSubject<R>; world?: W } = {};
      beforeAll(async () => {
        box.subject = await startSubject(role, definition.system);
        box.world = await setUp(box.subject);
      }, 120_000);
      afterAll(async () => {
        await box.subject?.close();
      });
      for (const [name, check] of Object.entries(checks)) {
        it(name, async () => {
          if (box.world === undefined) throw new Error('the contract world was not set up');
          await check(box.world);
        });
      }
    });
  }
}
