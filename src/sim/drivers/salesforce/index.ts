import jsforce, { type Connection } from 'jsforce';
import { salesforceEmulatorDefaults, startSalesforceEmulator } from '@revsync/emulators/salesforce';
import { env } from '../../../connectors/settings.ts';
import { toDecimalString } from '../../../model/money.ts';
import { toCurrencyCode } from '../../../model/currency.ts';
import { retry } from '../../retry.ts';
import {
  startOrAttach,
  type CrmActor,
  type CrmDealBilling,
  type CrmDriver,
  type DealLine,
  type SimProduct,
} from '../driver.ts';

/**
 * Sales in Salesforce through `jsforce`: accounts with the org's custom fields (`Region__c`,
 * `Currency__c`, `Tax_Id__c`…), opportunities with line items from the standard price book, won
 * by moving them to `Closed Won`; revsync's write-back read from the opportunity's fields.
 */
export class SalesforceActor implements CrmActor {
  readonly connection: Connection;
  readonly #pricebook = new Map<string, string>();

  constructor(connection: Connection) {
    this.connection = connection;
  }

  async setUpCatalog(products: readonly SimProduct[]): Promise<void> {
    const sf = this.connection;
    const standard = await retry(() =>
      sf.query<{ Id: string }>('SELECT Id FROM Pricebook2 WHERE IsStandard = true LIMIT 1'),
    );
    const pricebookId = standard.records[0]?.Id;
    if (!pricebookId) throw new Error('the Salesforce org has no standard price book');
    for (const product of products) {
      const existing = await retry(() =>
        sf.query<{ Id: string }>(
          `SELECT Id FROM PricebookEntry WHERE Product2.ProductCode = '${product.code}' AND Pricebook2Id = '${pricebookId}' LIMIT 1`,
        ),
      );
      if (existing.records[0]) {
        this.#pricebook.set(product.code, existing.records[0].Id);
        continue;
      }
      const p = await retry(() =>
        sf
          .sobject('Product2')
          .create({ Name: product.name, ProductCode: product.code, IsActive: true }),
      );
      const e = await retry(() =>
        sf.sobject('PricebookEntry').create({
          Pricebook2Id: pricebookId,
          Product2Id: idOf(p),
          UnitPrice: product.listPrice / 100,
          IsActive: true,
        }),
      );
      this.#pricebook.set(product.code, idOf(e));
    }
  }

  async createAccount(input: Parameters<CrmActor['createAccount']>[0]): Promise<string> {
    const account = await retry(() =>
      this.connection.sobject('Account').create({
        Name: input.name,
        Website: `https://www.${input.domain}`,
        BillingCountry: input.country,
        Region__c: input.region,
        Currency__c: input.currency,
        Billing_Email__c: input.email,
        ...(input.taxId && { Tax_Id__c: input.taxId.value, Tax_Id_Type__c: input.taxId.type }),
      }),
    );
    return idOf(account);
  }

  async createDeal(input: Parameters<CrmActor['createDeal']>[0]): Promise<string> {
    const opp = await retry(() =>
      this.connection.sobject('Opportunity').create({
        Name: input.name,
        AccountId: input.accountId,
        StageName: input.kind === 'amendment' ? 'Negotiation/Review' : 'Prospecting',
        CloseDate: new Date().toISOString().slice(0, 10),
        Type: input.kind === 'amendment' ? 'Amendment' : 'New Business',
        Currency__c: input.currency,
        ...(input.subscriptionId && { Subscription_Id__c: input.subscriptionId }),
      }),
    );
    return idOf(opp);
  }

  async addLine(dealId: string, line: DealLine): Promise<void> {
    const entry = this.#pricebook.get(line.productCode);
    if (!entry) throw new Error(`no price book entry for ${line.productCode}: set up the catalog`);
    await retry(() =>
      this.connection.sobject('OpportunityLineItem').create({
        OpportunityId: dealId,
        PricebookEntryId: entry,
        Quantity: line.quantity,
        UnitPrice: Number(
          toDecimalString({
            amount: line.unitAmount,
            currency: toCurrencyCode(line.currency),
          }),
        ),
        Billing_Interval__c: line.interval,
      }),
    );
  }

  async win(dealId: string): Promise<void> {
    await retry(() =>
      this.connection.sobject('Opportunity').update({ Id: dealId, StageName: 'Closed Won' }),
    );
  }

  async dealBilling(dealId: string): Promise<CrmDealBilling> {
    const opp = (await retry(() =>
      this.connection.sobject('Opportunity').retrieve(dealId),
    )) as Record<string, unknown>;
    return billingOf(opp);
  }

  async allDealBilling(): Promise<Map<string, CrmDealBilling>> {
    const soql = await retry(() =>
      this.connection
        .query<Record<string, unknown>>(
          'SELECT Id, Subscription_Id__c, Subscription_Status__c, MRR__c, Currency__c FROM Opportunity',
        )
        .run({ autoFetch: true, maxFetch: 1_000_000 }),
    );
    return new Map(soql.records.map((r) => [String(r.Id), billingOf(r)]));
  }
}

function billingOf(opp: Record<string, unknown>): CrmDealBilling {
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    ...(text(opp.Subscription_Id__c) && { subscriptionId: text(opp.Subscription_Id__c) }),
    ...(text(opp.Subscription_Status__c) && {
      subscriptionStatus: text(opp.Subscription_Status__c),
    }),
    ...(opp.MRR__c !== null && opp.MRR__c !== undefined && { mrr: String(opp.MRR__c) }),
    ...(text(opp.Currency__c) && { currency: text(opp.Currency__c) }),
  };
}

function idOf(result: unknown): string {
  const r = result as { id?: string };
  if (!r.id) throw new Error(`Salesforce did not create the record: ${JSON.stringify(result)}`);
  return r.id;
}

/** The Salesforce emulator, revsync connected by OAuth client credentials, and its sales team. */
export const driver: CrmDriver = {
  system: 'salesforce',
  role: 'crm',
  async start(options) {
    const emulator = await startOrAttach(options, (listen) =>
      startSalesforceEmulator({
        ...listen,
        seed: options.seed,
        faults: options.faults,
        sessionTimeoutSeconds: 0,
      }),
    );
    const url = emulator.url;
    const { clientId, clientSecret } = salesforceEmulatorDefaults;
    const connection = new jsforce.Connection({
      oauth2: { clientId, clientSecret, loginUrl: url },
      loginUrl: url,
      version: '62.0',
    });
    await retry(() => connection.authorize({ grant_type: 'client_credentials' }));
    return {
      url,
      connection: {
        loginUrl: url,
        clientId: env('SALESFORCE_CLIENT_ID'),
        clientSecret: env('SALESFORCE_CLIENT_SECRET'),
        limits: { ratePerSecond: 200, maxConcurrent: 10 },
        pollIntervalMs: 250,
      },
      env: { SALESFORCE_CLIENT_ID: clientId, SALESFORCE_CLIENT_SECRET: clientSecret },
      actor: new SalesforceActor(connection),
      clearFaults: emulator.clearFaults,
      close: emulator.close,
    };
  },
};
