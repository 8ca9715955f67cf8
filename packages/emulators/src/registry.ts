import { hubspotEmulatorFlags, startHubspotEmulator } from './hubspot/index.ts';
import { chargebeeEmulatorFlags, startChargebeeEmulator } from './chargebee/index.ts';
import { netsuiteEmulatorFlags, startNetsuiteEmulator } from './netsuite/index.ts';
import { quickbooksEmulatorFlags, startQuickbooksEmulator } from './quickbooks/index.ts';
import { salesforceEmulatorFlags, startSalesforceEmulator } from './salesforce/index.ts';
import { startStripeEmulator, stripeEmulatorFlags } from './stripe/index.ts';
import {
  businessCentralEmulatorFlags,
  startBusinessCentralEmulator,
} from './business-central/index.ts';

/** A started emulator, whatever the vendor. */
export interface StartedEmulator {
  name: string;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** One command-line flag of an emulator, normalised across vendors. */
export interface EmulatorFlagSpec {
  /** `--client-id` */
  flag: string;
  /** The option it sets (`clientId`). */
  option: string;
  env?: string;
  description: string;
  default: string | number | null | undefined;
  /** Parse as a number. */
  numeric: boolean;
}

/** How to start one vendor's emulator. */
export interface EmulatorEntry {
  name: string;
  title: string;
  defaultPort: number;
  flags: EmulatorFlagSpec[];
  start(options: Record<string, unknown>): Promise<StartedEmulator>;
}

type RawFlag = {
  flag: string;
  option?: string;
  env?: string;
  description: string;
  default: string | number | null | undefined;
};

function normalise(flags: readonly RawFlag[]): EmulatorFlagSpec[] {
  return flags.map((f) => ({
    flag: f.flag,
    option:
      f.option ?? f.flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()),
    ...(f.env !== undefined && { env: f.env }),
    description: f.description,
    default: f.default,
    numeric: typeof f.default === 'number',
  }));
}

/** Every emulator `revsync emulate` can start, by name. */
export const EMULATORS: Record<string, EmulatorEntry> = {
  stripe: {
    name: 'stripe',
    title: 'Stripe (Billing, payments, test clocks, signed webhooks)',
    defaultPort: 12111,
    flags: normalise(stripeEmulatorFlags),
    start: (options) => startStripeEmulator(options),
  },
  salesforce: {
    name: 'salesforce',
    title: 'Salesforce (REST, SOQL, OAuth, change events)',
    defaultPort: 12112,
    flags: normalise(salesforceEmulatorFlags),
    start: (options) => startSalesforceEmulator(options),
  },
  netsuite: {
    name: 'netsuite',
    title: 'NetSuite (REST record service, SuiteQL, OAuth 1.0a TBA)',
    defaultPort: 12113,
    flags: normalise(netsuiteEmulatorFlags),
    start: (options) => startNetsuiteEmulator(options),
  },
  hubspot: {
    name: 'hubspot',
    title: 'HubSpot (CRM objects v3, associations v4, search, private-app token, webhooks v3)',
    defaultPort: 12114,
    flags: normalise(hubspotEmulatorFlags),
    start: (options) => startHubspotEmulator(options),
  },
  chargebee: {
    name: 'chargebee',
    title: 'Chargebee (product catalog 2.0 billing, time machine, Basic-auth webhooks)',
    defaultPort: 12115,
    flags: normalise(chargebeeEmulatorFlags),
    start: (options) => startChargebeeEmulator(options),
  },
  quickbooks: {
    name: 'quickbooks',
    title: 'QuickBooks Online (v3 accounting API, query, CDC, Intuit OAuth 2.0)',
    defaultPort: 12116,
    flags: normalise(quickbooksEmulatorFlags),
    start: (options) => startQuickbooksEmulator(options),
  },
  'business-central': {
    name: 'business-central',
    title:
      'Dynamics 365 Business Central (API v2.0 OData, Entra ID client credentials, $batch, webhooks)',
    defaultPort: 12117,
    flags: normalise(businessCentralEmulatorFlags),
    start: (options) => startBusinessCentralEmulator(options),
  },
};
