import { z } from 'zod';
import { secret, url } from '../settings.ts';

/** `connections.crm` for `system: 'salesforce'`. */
export const salesforceConfigSchema = z.strictObject({
  /** `https://login.salesforce.com`, `https://test.salesforce.com`, a My Domain URL, or the emulator. */
  loginUrl: url,
  /** Connected app consumer key (client-credentials flow enabled, with a run-as user). */
  clientId: secret,
  clientSecret: secret,
  apiVersion: z
    .string()
    .regex(/^\d+\.\d$/, 'like "62.0"')
    .optional(),
  /**
   * Which change feeds to read: `change-events` (Change Data Capture; the emulator's route) or
   * `soql` (polling on SystemModstamp). Default `change-events`; use `soql` against a real org.
   */
  feeds: z
    .array(z.enum(['change-events', 'soql']))
    .min(1)
    .optional(),
  /** Currency of amounts when neither the opportunity nor its account names one (default `USD`). */
  defaultCurrency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
});
