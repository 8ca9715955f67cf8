/**
 * An example configuration: Salesforce (crm) → Stripe (billing) → NetSuite (erp) on the local
 * emulators (`revsync emulate`), three regions and currencies. Each role names its system; the
 * rest of the connection is that connector's settings. Credentials come from the environment;
 * nothing secret is written here. Run it with `revsync start --config examples/demo.config.ts`.
 */
import { defineConfig, env } from '../src/config/index.ts';

export default defineConfig({
  store: { url: env('REVSYNC_STORE_URL', 'sqlite:.revsync/demo.db') },
  server: { host: '127.0.0.1', port: 4000 },
  connections: {
    crm: {
      system: 'salesforce',
      loginUrl: env('SALESFORCE_LOGIN_URL', 'http://127.0.0.1:12112'),
      clientId: env('SALESFORCE_CLIENT_ID'),
      clientSecret: env('SALESFORCE_CLIENT_SECRET'),
      limits: { ratePerSecond: 50, maxConcurrent: 10 },
      pollIntervalMs: 500,
    },
    billing: {
      system: 'stripe',
      baseUrl: env('STRIPE_BASE_URL', 'http://127.0.0.1:12111'),
      apiKey: env('STRIPE_API_KEY'),
      webhookSecret: env('STRIPE_WEBHOOK_SECRET'),
      defaultPaymentMethod: 'pm_card_visa',
      limits: { ratePerSecond: 20, maxConcurrent: 10 },
    },
    erp: {
      system: 'netsuite',
      accountId: env('NETSUITE_ACCOUNT_ID', 'TSTDRV1234567'),
      baseUrl: env('NETSUITE_BASE_URL', 'http://127.0.0.1:12113'),
      consumerKey: env('NETSUITE_CONSUMER_KEY'),
      consumerSecret: env('NETSUITE_CONSUMER_SECRET'),
      tokenId: env('NETSUITE_TOKEN_ID'),
      tokenSecret: env('NETSUITE_TOKEN_SECRET'),
      // NetSuite's concurrency pool is shared by every integration on the account.
      limits: { maxConcurrent: 5 },
    },
  },
  ownership: {
    customer: {
      name: 'crm',
      billingAddress: 'crm',
      currency: 'erp',
      subsidiary: 'erp',
    },
  },
  matchRules: { customer: [['taxId'], ['domain'], ['normalizedName', 'country']] },
  regions: {
    NA: { subsidiary: '1', currency: 'USD', countries: ['US', 'CA'] },
    UK: { subsidiary: '2', currency: 'GBP', countries: ['GB'] },
    EU: { subsidiary: '3', currency: 'EUR', countries: ['DE', 'FR', 'NL', 'IE', 'ES', 'IT'] },
  },
  defaultRegion: 'NA',
  usage: { requiredSources: ['meter-a', 'meter-b'] },
});
