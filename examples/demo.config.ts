/**
 * The demo's configuration: Salesforce → Stripe → NetSuite on the local emulators, three regions
 * and currencies. Credentials come from the environment (`revsync demo` sets the emulators'
 * defaults before loading this file); nothing secret is written here.
 */
import { defineConfig, env } from '../src/config/index.ts';

export default defineConfig({
  store: { url: env('REVSYNC_STORE_URL', 'sqlite:.revsync/demo.db') },
  server: { host: '127.0.0.1', port: 4000 },
  connections: {
    salesforce: {
      loginUrl: env('SALESFORCE_LOGIN_URL', 'http://127.0.0.1:12112'),
      clientId: env('SALESFORCE_CLIENT_ID'),
      clientSecret: env('SALESFORCE_CLIENT_SECRET'),
      limits: { ratePerSecond: 50, maxConcurrent: 10 },
      pollIntervalMs: 500,
    },
    stripe: {
      baseUrl: env('STRIPE_BASE_URL', 'http://127.0.0.1:12111'),
      apiKey: env('STRIPE_API_KEY'),
      webhookSecret: env('STRIPE_WEBHOOK_SECRET'),
      defaultPaymentMethod: 'pm_card_visa',
      limits: { ratePerSecond: 20, maxConcurrent: 10 },
    },
    netsuite: {
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
      name: 'salesforce',
      billingAddress: 'salesforce',
      currency: 'netsuite',
      subsidiary: 'netsuite',
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
