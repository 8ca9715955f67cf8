import { rmSync } from 'node:fs';
import type { Logger } from 'pino';
import { createRng } from '@revsync/emulators/kit';
import type { ApiOptions } from '../api/api-options.ts';
import type { BootstrapKey } from '../governance/api-keys.ts';
import type { Role } from '../connectors/definition.ts';
import { parseStoreUrl } from '../store/open-store.ts';
import {
  startEnvironment,
  type EnvironmentOptions,
  type FaultLevel,
  type SimEnvironment,
  type Stack,
} from './environment.ts';
import { DemoTraffic } from './traffic.ts';

/** The demo's API keys: known, printed at start, and only ever valid against the demo's store. */
export const DEMO_KEYS: BootstrapKey[] = [
  { name: 'demo-admin', role: 'admin', key: 'rsk_demoadmin_revsync-demo-admin-key-0001' },
  { name: 'demo-operator', role: 'operator', key: 'rsk_demooperator_revsync-demo-operator-key-01' },
  { name: 'demo-approver', role: 'approver', key: 'rsk_demoapprover_revsync-demo-approver-key-01' },
  { name: 'demo-viewer', role: 'viewer', key: 'rsk_demoviewer_revsync-demo-viewer-key-0001' },
];

/** Where the demo keeps its state; emptied at every start (the emulators start empty too). */
export const DEMO_STORE_URL = 'sqlite:.revsync/demo.db';

export interface DemoOptions {
  port: number;
  seed: number;
  faults: FaultLevel;
  traffic: boolean;
  /** The systems (default: the registry's default stack). */
  stack?: Partial<Stack>;
  /** The emulators on any free port (tests) instead of each one's own port. */
  anyPorts?: boolean;
  /** The store (default {@link DEMO_STORE_URL}; a SQLite file is deleted first). */
  storeUrl?: string;
  logger: Logger;
  trafficTickMs?: number;
  /** Changes to the configuration (tests: an audit signing key). */
  configure?: EnvironmentOptions['configure'];
  /** API settings besides the demo keys (tests: request logging). */
  api?: Omit<ApiOptions, 'bootstrapKeys'>;
}

/** A running demo and how to stop it. */
export interface RunningDemo {
  url: string;
  /** The systems, revsync and the actors the traffic acts through (`env.world`). */
  env: SimEnvironment;
  traffic: DemoTraffic | undefined;
  /** Each role's system and its emulator's URL. */
  systems: Record<Role, { system: string; url: string }>;
  stop(): Promise<void>;
}

/**
 * `revsync demo`: each role's emulator, revsync on the embedded SQLite store, the API and
 * dashboard, and steady simulated business traffic — the simulator's environment, kept running.
 */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const storeUrl = options.storeUrl ?? DEMO_STORE_URL;
  const { dialect, target } = parseStoreUrl(storeUrl);
  if (dialect === 'sqlite' && target !== ':memory:') {
    // The emulators start empty, so yesterday's demo records would point at nothing.
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
  }
  const env = await startEnvironment({
    seed: options.seed,
    faults: options.faults,
    ...(options.stack && { stack: options.stack }),
    ...(!options.anyPorts && { emulatorPorts: 'default' as const }),
    storeUrl,
    port: options.port,
    logger: options.logger,
    engine: { defaultRetry: { maxAttempts: 10, initialDelayMs: 500, maxDelayMs: 15_000 } },
    api: { ...options.api, bootstrapKeys: DEMO_KEYS },
    ...(options.configure && { configure: options.configure }),
  });
  let traffic: DemoTraffic | undefined;
  try {
    if (options.traffic) {
      traffic = new DemoTraffic(
        env.world,
        env.runtime.usage,
        createRng(options.seed).fork('demo'),
        options.logger,
        { ...(options.trafficTickMs !== undefined && { tickMs: options.trafficTickMs }) },
      );
      traffic.start();
    }
  } catch (caught) {
    await env.close();
    throw caught;
  }
  const systemOf = (role: Role) => ({ system: env.stack[role], url: env.urls[role] });
  return {
    url: env.runtime.url, // the port actually bound (`--port 0` picks a free one)
    env,
    traffic,
    systems: { crm: systemOf('crm'), billing: systemOf('billing'), erp: systemOf('erp') },
    async stop() {
      await traffic?.stop();
      await env.close();
    },
  };
}
