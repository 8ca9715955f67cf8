import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '@revsync/emulators/stripe';
import { everyPage } from './index.ts';

let emu: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  emu = await startStripeEmulator({ port: 0, rateLimit: 0 });
  stripe = new Stripe('sk_test_sim_actions', {
    host: '127.0.0.1',
    port: emu.port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });
  for (let i = 0; i < 250; i++) await stripe.customers.create({ name: `Customer ${i}` });
});
afterAll(() => emu.close());

describe('the simulator reading Stripe lists', () => {
  it('walks every page although pages are refused with 429 bursts between them', async () => {
    emu.app.faults.set({
      rules: [
        {
          match: 'GET /v1/customers',
          rateLimitBurst: { p: 0.5, length: 2, retryAfterSeconds: 0 },
        },
      ],
    });
    let refused = 0;
    const customers = await everyPage(async (after) => {
      try {
        return await stripe.customers.list({ limit: 100, starting_after: after });
      } catch (caught) {
        if ((caught as { statusCode?: number }).statusCode === 429) refused += 1;
        throw caught;
      }
    });
    emu.app.faults.set('none');

    expect(refused).toBeGreaterThan(0);
    expect(customers).toHaveLength(250);
    expect(new Set(customers.map((c) => c.id)).size).toBe(250);
  });

  it('gives up on an error that is not passing', async () => {
    await expect(
      everyPage((after) =>
        stripe.customers.list({ limit: 100, starting_after: after ?? 'cus_missing' }),
      ),
    ).rejects.toThrow(/cus_missing/);
  });
});
