/** Which part of the revenue stack a vendor system plays, for labels and colours. */
export type SystemRole = 'CRM' | 'Billing' | 'ERP' | 'revsync';

const ROLES: Record<string, SystemRole> = {
  salesforce: 'CRM',
  hubspot: 'CRM',
  stripe: 'Billing',
  chargebee: 'Billing',
  netsuite: 'ERP',
  quickbooks: 'ERP',
  'business-central': 'ERP',
  businesscentral: 'ERP',
  revsync: 'revsync',
};

const NAMES: Record<string, string> = {
  salesforce: 'Salesforce',
  hubspot: 'HubSpot',
  stripe: 'Stripe',
  chargebee: 'Chargebee',
  netsuite: 'NetSuite',
  quickbooks: 'QuickBooks',
  'business-central': 'Business Central',
  revsync: 'revsync',
};

/** `netsuite` → `ERP`. */
export function roleOf(system: string): SystemRole | undefined {
  return ROLES[system.toLowerCase()];
}

/** `netsuite` → `NetSuite`. */
export function systemName(system: string): string {
  return NAMES[system.toLowerCase()] ?? system;
}

/**
 * The system a step talks to, guessed from revsync's step naming (`…:erp-customer`, `post`,
 * `…:billing-customer`, `…:crm-writeback`); undefined when the name does not say.
 */
export function roleOfStep(step: string): SystemRole | undefined {
  if (/erp|post|credit-memo|journal/.test(step)) return 'ERP';
  if (/billing|subscription|price|invoice|refund|usage/.test(step)) return 'Billing';
  if (/crm|account|opportunit/.test(step)) return 'CRM';
  return undefined;
}
