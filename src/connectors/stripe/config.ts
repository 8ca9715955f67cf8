import { z } from 'zod';
import { secret, url } from '../settings.ts';

/** `connections.billing` for `system: 'stripe'`. */
export const stripeConfigSchema = z.strictObject({
  /** Secret or restricted key (`sk_…`/`rk_…`). */
  apiKey: secret,
  /** The webhook endpoint's signing secret (`whsec_…`); without it revsync only polls `/v1/events`. */
  webhookSecret: secret.optional(),
  /** For emulators and proxies, e.g. `http://127.0.0.1:12111`. Default: Stripe's API. */
  baseUrl: url.optional(),
  /** Test payment method attached to new customers (emulator/test mode only). */
  defaultPaymentMethod: z.string().optional(),
  /** Webhook signature tolerance in seconds (default 300). */
  webhookToleranceSeconds: z.int().positive().optional(),
});
