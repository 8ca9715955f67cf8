import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { RevsyncConfig } from '../../src/config/define-config.ts';
import { createRng } from '@revsync/emulators/kit';
import {
  startEnvironment,
  type EnvironmentOptions,
  type SimEnvironment,
} from '../../src/sim/environment.ts';
import { NetsuiteActor } from '../../src/sim/drivers/netsuite/index.ts';
import { SalesforceActor } from '../../src/sim/drivers/salesforce/index.ts';
import { StripeActor } from '../../src/sim/drivers/stripe/index.ts';

export interface VendorClients {
  salesforce: SalesforceActor['connection'];
  stripe: StripeActor['stripe'];
  netsuite: NetsuiteActor['client'];
}

/** The default stack's vendor SDK clients, as the flow tests check the systems with them. */
export function vendorClients(env: SimEnvironment): VendorClients {
  const { crm, billing, erp } = env.systems;
  if (
    !(crm.actor instanceof SalesforceActor) ||
    !(billing.actor instanceof StripeActor) ||
    !(erp.actor instanceof NetsuiteActor)
  )
    throw new Error('these flow tests run on the Salesforce → Stripe → NetSuite stack');
  return {
    salesforce: crm.actor.connection,
    stripe: billing.actor.stripe,
    netsuite: erp.actor.client,
  };
}

/**
 * A flow-test environment: the three emulators (no faults unless asked), revsync on a temporary
 * SQLite store, and the SDK clients the tests act and check with. One per test file.
 */
export function useFlowEnvironment(options: Partial<EnvironmentOptions> = {}) {
  const box: { env?: SimEnvironment } = {};
  beforeAll(async () => {
    box.env = await startEnvironment({ seed: 11, faults: 'none', usageRecheckMs: 500, ...options });
  }, 120_000);
  afterAll(async () => {
    await box.env?.close();
  });
  return {
    get env(): SimEnvironment {
      if (!box.env) throw new Error('environment not started');
      return box.env;
    },
    rng: createRng(options.seed ?? 11).fork('flow-test'),
    get salesforce(): VendorClients['salesforce'] {
      return vendorClients(this.env).salesforce;
    },
    get stripe(): VendorClients['stripe'] {
      return vendorClients(this.env).stripe;
    },
    get netsuite(): VendorClients['netsuite'] {
      return vendorClients(this.env).netsuite;
    },
    /** Waits until revsync is quiet, failing the test if it does not get there. */
    async settle(): Promise<void> {
      expect(await box.env!.settle({ timeoutMs: 120_000 }), 'revsync went quiet').toBe(true);
    },
  };
}

/** A NetSuite record by external id (`undefined` when there is none). */
export async function netsuiteRecord(
  env: SimEnvironment,
  type: string,
  externalId: string,
): Promise<Record<string, unknown> | undefined> {
  const res = await vendorClients(env).netsuite.get<Record<string, unknown>>(
    `/services/rest/record/v1/${type}/eid:${externalId}?expandSubResources=true`,
  );
  if (res.status === 404) return undefined;
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Minor units of a NetSuite decimal amount (two-decimal currencies). */
export function cents(value: unknown): number {
  return Math.round(Number(value) * 100);
}

const BIN = new URL('../../bin/revsync.js', import.meta.url).pathname;

/**
 * `revsync <args> --config FILE` in a child process on the environment's systems and store,
 * the config written as an .mjs file into `dir`.
 */
export async function revsyncCli(
  env: SimEnvironment,
  config: RevsyncConfig | undefined,
  dir: string,
  args: string[],
): Promise<{ code: number | null; out: string; err: string }> {
  const file = join(dir, 'revsync.config.mjs');
  writeFileSync(file, `export default ${JSON.stringify(config)};\n`);
  const { systems, runtime } = env;
  const [command, ...rest] = args;
  const child = spawn(process.execPath, [BIN, ...command!.split(' '), '--config', file, ...rest], {
    env: {
      ...process.env,
      ...systems.crm.env,
      ...systems.billing.env,
      ...systems.erp.env,
      REVSYNC_STORE_URL: runtime.config.store!.url,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  return { code, out, err };
}
