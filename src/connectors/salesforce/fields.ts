import { ValidationError } from '../../model/revsync-error.ts';

/**
 * Which Salesforce fields the connector reads and writes. Standard fields (`Name`, `StageName`,
 * `IsWon`, …) are fixed; the rest is configurable because every org names its custom fields its
 * own way. The defaults are the fields the revsync setup guide asks an admin to create.
 */
export interface SalesforceFieldMap {
  /** Account fields read into `CrmAccount`. */
  account: {
    name: string;
    /** Website; the lowercase host becomes `domain`. */
    website: string;
    taxId: string;
    taxIdType: string;
    billingStreet: string;
    billingCity: string;
    billingPostalCode: string;
    billingState: string;
    /** Country name or code; read as ISO 3166-1 alpha-2. */
    billingCountry: string;
    /** ISO 4217 code (orgs without multi-currency keep it in a custom field). */
    currency: string;
    region: string;
    email: string;
    revsyncId: string;
  };
  /** Account fields revsync writes back (and `getAccountBilling` reads). */
  accountBilling: {
    revsyncId: string;
    billingCustomerId: string;
    subscriptionId: string;
    subscriptionStatus: string;
    /** A number field: MRR in major units, in the account's currency. */
    mrr: string;
    paymentStatus: string;
    lastPaymentAt: string;
    churned: string;
  };
  /** Opportunity fields beyond the standard ones. */
  opportunity: {
    /** `New Business`, `Amendment`, `Renewal`. */
    type: string;
    /** ISO 4217; the account's currency when empty. */
    currency: string;
    /** Read (an amendment names the subscription it changes) and written back. */
    subscriptionId: string;
    subscriptionStatus: string;
    mrr: string;
  };
  /** Opportunity line item fields beyond the standard ones. */
  lineItem: {
    /** `month` or `year` (default `month`). */
    interval: string;
  };
}

/** Partial overrides of {@link SalesforceFieldMap}, one level deep. */
export type SalesforceFieldOverrides = {
  [K in keyof SalesforceFieldMap]?: Partial<SalesforceFieldMap[K]>;
};

/** The default field map. */
export const DEFAULT_SALESFORCE_FIELDS: SalesforceFieldMap = {
  account: {
    name: 'Name',
    website: 'Website',
    taxId: 'Tax_Id__c',
    taxIdType: 'Tax_Id_Type__c',
    billingStreet: 'BillingStreet',
    billingCity: 'BillingCity',
    billingPostalCode: 'BillingPostalCode',
    billingState: 'BillingState',
    billingCountry: 'BillingCountry',
    currency: 'Currency__c',
    region: 'Region__c',
    email: 'Billing_Email__c',
    revsyncId: 'Revsync_Id__c',
  },
  accountBilling: {
    revsyncId: 'Revsync_Id__c',
    billingCustomerId: 'Billing_Customer_Id__c',
    subscriptionId: 'Subscription_Id__c',
    subscriptionStatus: 'Subscription_Status__c',
    mrr: 'MRR__c',
    paymentStatus: 'Payment_Status__c',
    lastPaymentAt: 'Last_Payment_At__c',
    churned: 'Churned__c',
  },
  opportunity: {
    type: 'Type',
    currency: 'Currency__c',
    subscriptionId: 'Subscription_Id__c',
    subscriptionStatus: 'Subscription_Status__c',
    mrr: 'MRR__c',
  },
  lineItem: {
    interval: 'Billing_Interval__c',
  },
};

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * The default map with `overrides` applied.
 *
 * @throws ValidationError naming the entry when a field name is not a valid Salesforce API name (names go
 * into SOQL, so they are checked once here).
 */
export function resolveSalesforceFields(
  overrides: SalesforceFieldOverrides = {},
): SalesforceFieldMap {
  const merged: SalesforceFieldMap = {
    account: { ...DEFAULT_SALESFORCE_FIELDS.account, ...overrides.account },
    accountBilling: { ...DEFAULT_SALESFORCE_FIELDS.accountBilling, ...overrides.accountBilling },
    opportunity: { ...DEFAULT_SALESFORCE_FIELDS.opportunity, ...overrides.opportunity },
    lineItem: { ...DEFAULT_SALESFORCE_FIELDS.lineItem, ...overrides.lineItem },
  };
  for (const [group, entries] of Object.entries(merged)) {
    for (const [key, name] of Object.entries(entries as Record<string, unknown>)) {
      if (typeof name !== 'string' || !FIELD_NAME.test(name)) {
        throw new ValidationError(
          `salesforce fields.${group}.${key}: ${JSON.stringify(name)} is not a Salesforce field name`,
        );
      }
    }
  }
  return merged;
}
