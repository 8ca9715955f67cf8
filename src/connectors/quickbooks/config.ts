import { z } from 'zod';
import { secret, setting, url } from '../settings.ts';

/** `connections.erp` for `system: 'quickbooks'`. */
export const quickbooksConfigSchema = z.strictObject({
  /** The Intuit app's OAuth 2.0 client. */
  clientId: secret,
  clientSecret: secret,
  /**
   * The companies revsync books into, one per region (`regions.<code>.subsidiary` names the
   * `realmId`), each with the refresh token the app got when it was connected.
   */
  realms: z.array(z.strictObject({ realmId: setting, refreshToken: secret })).min(1),
  /** `sandbox` (default) or `production`: the API host when `baseUrl` is not given. */
  environment: z.enum(['sandbox', 'production']).optional(),
  /** The API root (default Intuit's host for `environment`); an emulator's URL in tests. */
  baseUrl: url.optional(),
  /** The OAuth token endpoint (default Intuit's). */
  tokenUrl: url.optional(),
  /** The webhook verifier token of the app: with it, `intuit-signature` webhooks are accepted. */
  webhookVerifierToken: secret.optional(),
  /** The item of every sales line. Default `1` (QuickBooks' `Services`). */
  defaultItemId: z.string().min(1).optional(),
  /** The bank account refund receipts pay out of; default each company's first `Bank` account. */
  depositAccountId: z.string().min(1).optional(),
});
