import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { ApiOptions } from '../api/api-options.ts';
import { buildConnectors } from '../app/build-connectors.ts';
import { Runtime } from '../app/runtime.ts';
import { defineConfig, env, type RevsyncConfig } from '../config/define-config.ts';
import { resolveConfig } from '../config/load-config.ts';
import { ROLES, type Role } from '../connectors/definition.ts';
import { DEFAULT_STACK } from '../connectors/registry.ts';
import type { EngineOptions } from '../engine/engine.ts';
import { OutboundGateway } from '../gateway/outbound-gateway.ts';
import { openStore } from '../store/open-store.ts';
import { setUpCatalog, type World } from './actions.ts';
import { simRegions } from './catalog.ts';
import type {
  BillingActor,
  CrmActor,
  ErpActor,
  FaultLevel,
  StartedSystem,
} from './drivers/driver.ts';
import { loadDriver } from './drivers/load-driver.ts';
import { freePort } from './free-port.ts';
import { settle } from './settle.ts';

export type { FaultLevel } from './drivers/driver.ts';

/** Which system plays each role. */
export type Stack = Record<Role, string>;

export interface EnvironmentOptions {
  seed: number;
  faults: FaultLevel;
  /** The systems (default: the registry's default stack). */
  stack?: Partial<Stack>;
  /** Use running emulators, by role, instead of starting them. */
  urls?: Partial<Record<Role, string>>;
  /** Emulator ports by role: absent = any free port; `'default'` = each emulator's own port. */
  emulatorPorts?: 'default';
  /** `'off'`: emulators without request-rate limits (benchmarks); default each vendor's. */
  rateLimits?: 'vendor' | 'off';
  /** Webhook deliveries each emulator has in flight at once (default 1; Stripe's honours it). */
  webhookConcurrency?: number;
  /** revsync's store (default: a temporary SQLite file). */
  storeUrl?: string;
  /** revsync's HTTP port (default: any free port). */
  port?: number;
  logger?: Logger;
  /** How often an incomplete usage period is checked again (default 1 s). */
  usageRecheckMs?: number;
  /** Engine overrides (concurrency, retry policy…). */
  engine?: Partial<Omit<EngineOptions, 'store' | 'flows' | 'clock' | 'logger'>>;
  /** Changes to the configuration (e.g. turning flows off). */
  configure?: (config: RevsyncConfig) => RevsyncConfig;
  /** The API and dashboard (default: webhooks only). */
  api?: ApiOptions | false;
  /**
   * How often Stripe's and Chargebee's event lists are polled behind their webhooks (default
   * 250 ms, like every other poller here, so injected webhook losses are caught up quickly;
   * revsync's own default is 10 s).
   */
  catchUpPollIntervalMs?: number;
  /** The currencies customers buy in, one region each (default USD, GBP, EUR; JPY adds Japan). */
  currencies?: readonly string[];
}

/** Everything a simulation, the demo or a flow test works with. */
export interface SimEnvironment {
  runtime: Runtime;
  gateway: OutboundGateway;
  stack: Stack;
  /** The CRM and billing systems as the scenario acts on them. */
  world: World;
  /** The ERP's books, read back for the invariants. */
  erp: ErpActor;
  /** The started systems by role (URLs, actors). */
  systems: {
    crm: StartedSystem<CrmActor>;
    billing: StartedSystem<BillingActor>;
    erp: StartedSystem<ErpActor>;
  };
  urls: Record<Role, string>;
  /** Waits until revsync is quiet; false if it did not go quiet in time. */
  settle(options?: {
    timeoutMs?: number;
    onWait?: (busy: Record<string, number>) => void;
  }): Promise<boolean>;
  /** Switches off every emulator's faults (before reading the books). */
  clearFaults(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts each role's emulator through its simulator driver (unless given its URL), and revsync
 * on them with the configuration a simulation uses; the drivers' actors act on the systems.
 */
export async function startEnvironment(options: EnvironmentOptions): Promise<SimEnvironment> {
  const logger = options.logger ?? pino({ level: process.env.REVSYNC_LOG_LEVEL ?? 'silent' });
  const stack: Stack = { ...DEFAULT_STACK, ...options.stack };
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    const port = options.port ?? (await freePort());
    const started: Partial<SimEnvironment['systems']> = {};
    for (const role of ROLES) {
      const driver = await loadDriver(role, stack[role]);
      const url = options.urls?.[role];
      const system = await driver.start({
        seed: options.seed,
        faults: options.faults,
        ...(options.emulatorPorts !== 'default' && { port: 0 }),
        ...(url !== undefined && { url }),
        webhookUrl: `http://127.0.0.1:${port}/webhooks/${stack[role]}`,
        ...(options.rateLimits !== undefined && { rateLimits: options.rateLimits }),
        ...(options.webhookConcurrency !== undefined && {
          webhookConcurrency: options.webhookConcurrency,
        }),
      });
      (started as Record<Role, StartedSystem<unknown>>)[role] = system;
      cleanups.push(() => system.close());
    }
    const systems = started as SimEnvironment['systems'];
    const regions = simRegions(options.currencies);
    const world: World = { crm: systems.crm.actor, billing: systems.billing.actor, regions };
    await setUpCatalog(world);

    const dir = mkdtempSync(join(tmpdir(), 'revsync-sim-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const base = simulationConfig(
      stack,
      systems,
      options.usageRecheckMs ?? 1_000,
      regions.some((r) => r.region === 'JP'),
    );
    const config = resolveConfig(
      options.configure ? options.configure(base) : base,
      {
        ...systems.crm.env,
        ...systems.billing.env,
        ...systems.erp.env,
        REVSYNC_STORE_URL: options.storeUrl ?? `sqlite:${join(dir, 'revsync.db')}`,
      },
      'simulation configuration',
    );
    const store = await openStore({ url: config.store!.url });
    const gateway = new OutboundGateway();
    const runtime = new Runtime(config, {
      store,
      gateway,
      connectors: await buildConnectors(config, gateway, logger, {
        ...(systems.billing.testClock !== undefined && { testClock: systems.billing.testClock }),
      }),
      logger,
      engine: {
        concurrency: 32,
        pollIntervalMs: 50,
        defaultRetry: { maxAttempts: 12, initialDelayMs: 200, maxDelayMs: 5_000 },
        ...options.engine,
      },
      pollIntervalMs: 250,
      catchUpPollIntervalMs: options.catchUpPollIntervalMs ?? 250,
      api: options.api ?? false,
    });
    await runtime.start({ port });
    cleanups.push(() => runtime.stop());

    const flushes = ROLES.flatMap((role) => systems[role].flushWebhooks ?? []);
    return {
      runtime,
      gateway,
      stack,
      world,
      erp: systems.erp.actor,
      systems,
      urls: { crm: systems.crm.url, billing: systems.billing.url, erp: systems.erp.url },
      settle: (o = {}) =>
        settle(runtime, {
          ...(flushes.length > 0 && {
            flushWebhooks: async () => void (await Promise.all(flushes.map((f) => f()))),
          }),
          timeoutMs: o.timeoutMs ?? 10 * 60_000,
          ...(o.onWait && { onWait: o.onWait }),
        }),
      async clearFaults() {
        for (const role of ROLES) await systems[role].clearFaults();
      },
      close,
    };
  } catch (caught) {
    await close();
    throw caught;
  }
}

/**
 * The configuration of a simulation: each role's connection as its driver gives it (with a
 * circuit that opens and probes quickly), three regions and currencies, usage from two meters.
 */
function simulationConfig(
  stack: Stack,
  systems: SimEnvironment['systems'],
  usageRecheckMs: number,
  japan: boolean,
): RevsyncConfig {
  const circuit = { failureThreshold: 5, openMs: 1_000, maxOpenMs: 8_000 };
  const subsidiaries = systems.erp.subsidiaries ?? {};
  const connection = (role: Role) => ({
    system: stack[role],
    ...systems[role].connection,
    circuit,
  });
  return defineConfig({
    store: { url: env('REVSYNC_STORE_URL') },
    connections: {
      crm: connection('crm'),
      billing: connection('billing'),
      erp: connection('erp'),
    } as RevsyncConfig['connections'],
    matchRules: { customer: [['taxId'], ['domain'], ['normalizedName', 'country']] },
    regions: {
      NA: { subsidiary: subsidiaries.NA ?? '1', currency: 'USD', countries: ['US', 'CA'] },
      UK: { subsidiary: subsidiaries.UK ?? '2', currency: 'GBP', countries: ['GB'] },
      EU: { subsidiary: subsidiaries.EU ?? '3', currency: 'EUR', countries: ['DE', 'FR', 'NL'] },
      // Japan books where the ERP driver says (a company of its own, or a foreign currency in one).
      ...(japan && {
        JP: {
          subsidiary: subsidiaries.JP ?? subsidiaries.NA ?? '1',
          currency: 'JPY',
          countries: ['JP'],
        },
      }),
    },
    defaultRegion: 'NA',
    usage: { requiredSources: ['meter-a', 'meter-b'], recheckSeconds: usageRecheckMs / 1000 },
  });
}
