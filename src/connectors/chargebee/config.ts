import { z } from 'zod';
import { secret, setting, url } from '../settings.ts';

/** `connections.billing` for `system: 'chargebee'`. */
export const chargebeeConfigSchema = z.strictObject({
  /** The site name: `acme-test` for `https://acme-test.chargebee.com`. */
  site: setting.optional(),
  /** A full-access API key of the site (HTTP Basic user name). */
  apiKey: secret,
  /** For emulators and proxies, e.g. `http://127.0.0.1:12115`; replaces `site`. */
  baseUrl: url.optional(),
  /** Basic-auth user name set on the site's webhook; without it revsync only polls events. */
  webhookUsername: setting.optional(),
  /** Basic-auth password set on the site's webhook. */
  webhookPassword: secret.optional(),
  /** Deliveries of events older than this are refused as replays (default 3 days). */
  webhookMaxAgeSeconds: z.int().positive().optional(),
  /** The item family revsync's items are created in (default `revsync`). */
  itemFamilyId: z.string().min(1).optional(),
  /** Test sites only: a card token attached to new customers (e.g. `tok_visa`). */
  paymentToken: z.string().optional(),
});
