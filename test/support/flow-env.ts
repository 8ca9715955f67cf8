import { afterAll, beforeAll, expect } from 'vitest';
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
