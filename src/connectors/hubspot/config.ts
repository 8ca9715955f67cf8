import { z } from 'zod';
import { secret, url } from '../settings.ts';

/** `connections.crm` for `system: 'hubspot'`. */
export const hubspotConfigSchema = z.strictObject({
  /** The private app's access token (sent as `Authorization: Bearer`). */
  accessToken: secret,
  /** API root: `https://api.hubapi.com` (default) or the emulator's URL. */
  basePath: url.optional(),
  /** The app's client secret: verifies webhooks v3. Without it (and `webhookUrl`) no webhooks. */
  clientSecret: secret.optional(),
  /** The target URL exactly as registered in the app's webhook settings (part of the signature). */
  webhookUrl: url.optional(),
  /**
   * Deal stage ids that mean closed won (any pipeline). Default: HubSpot's own verdict, the
   * calculated `hs_is_closed_won` (stages whose probability is 1.0).
   */
  closedWonStages: z.array(z.string().min(1)).min(1).optional(),
  /** Currency of amounts when neither the deal nor its company names one (default `USD`). */
  defaultCurrency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
});
