import { z } from 'zod';
import { secret, setting, url } from '../settings.ts';

/**
 * `connections.erp` for `system: 'business-central'`. Each region's books are a Business Central
 * company: `regions.<code>.subsidiary` names the company id (a GUID).
 */
export const businessCentralConfigSchema = z.strictObject({
  /** The Entra ID tenant (GUID or `<name>.onmicrosoft.com`) of the Business Central environment. */
  tenantId: setting,
  /** The app registration's client id and secret (client-credentials flow). */
  clientId: secret,
  clientSecret: secret,
  /** The Business Central environment, default `production`. */
  environment: z.string().min(1).optional(),
  /**
   * The API host, default `https://api.businesscentral.dynamics.com`; the API root is
   * `${baseUrl}/v2.0/${tenantId}/${environment}/api/v2.0`. An emulator's URL in tests.
   */
  baseUrl: url.optional(),
  /**
   * The Entra ID host, default `https://login.microsoftonline.com`. When it is not the default,
   * msal's network client sends what it would send to the default host here (an emulator).
   */
  loginUrl: url.optional(),
  /**
   * The `clientState` revsync's webhook subscriptions carry and notifications must echo; default
   * derived from the client secret (so every connection has one without more configuration).
   */
  webhookClientState: secret.optional(),
  /**
   * Where Business Central should deliver notifications (revsync's public
   * `…/webhooks/business-central`). With it, the subscription poller subscribes to each
   * company's customers and documents and renews the subscriptions before they expire.
   */
  notificationUrl: url.optional(),
});
