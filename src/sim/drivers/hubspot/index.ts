import { Client } from '@hubspot/api-client';
import { hubspotEmulatorDefaults, startHubspotEmulator } from '@revsync/emulators/hubspot';
import { env } from '../../../connectors/settings.ts';
import { toCurrencyCode } from '../../../model/currency.ts';
import { toDecimalString } from '../../../model/money.ts';
import { retry } from '../../retry.ts';
import {
  startOrAttach,
  type CrmActor,
  type CrmDealBilling,
  type CrmDriver,
  type DealLine,
  type SimProduct,
} from '../driver.ts';

/** HubSpot-defined association types the actor uses. */
const DEAL_TO_COMPANY_PRIMARY = 5;
const LINE_ITEM_TO_DEAL = 20;

/** `@hubspot/api-client` throws `ApiException` (`code` = HTTP status); the retry helper reads `status`. */
function hs<T>(call: () => Promise<T>): Promise<T> {
  return retry(async () => {
    try {
      return await call();
    } catch (caught) {
      const code = (caught as { code?: unknown }).code;
      if (typeof code === 'number' && caught instanceof Error) {
        throw Object.assign(caught, { status: code });
      }
      throw caught;
    }
  });
}

const BILLING = [
  'revsync_subscription_id',
  'revsync_subscription_status',
  'revsync_mrr',
  'revsync_mrr_currency',
  'deal_currency_code',
];

/**
 * Sales in HubSpot through `@hubspot/api-client`: companies with the portal's `revsync_*`
 * properties, deals associated with their company (primary), line items from the product library
 * associated with the deal, won by moving the deal to the pipeline's closed-won stage; revsync's
 * write-back read from the deal's `revsync_*` properties.
 */
export class HubspotActor implements CrmActor {
  readonly #crm: Client['crm'];
  readonly #objects: Client['crm']['objects'];
  readonly #products = new Map<string, SimProduct & { id: string }>();

  constructor(client: Client) {
    // Take the API groups now: the SDK's retry setting is process-wide and applied on first use.
    this.#crm = client.crm;
    this.#objects = client.crm.objects;
    void this.#crm.pipelines;
  }

  async setUpCatalog(products: readonly SimProduct[]): Promise<void> {
    for (const product of products) {
      const found = await hs(() =>
        this.#objects.searchApi.doSearch('products', {
          filterGroups: [
            { filters: [{ propertyName: 'hs_sku', operator: 'EQ' as never, value: product.code }] },
          ],
          properties: ['hs_sku'],
          limit: 1,
        }),
      );
      const existing = found.results[0];
      const id =
        existing?.id ??
        (
          await hs(() =>
            this.#objects.basicApi.create('products', {
              properties: {
                name: product.name,
                hs_sku: product.code,
                price: String(product.listPrice / 100),
              },
              associations: [],
            }),
          )
        ).id;
      this.#products.set(product.code, { ...product, id });
    }
  }

  async createAccount(input: Parameters<CrmActor['createAccount']>[0]): Promise<string> {
    const company = await hs(() =>
      this.#objects.basicApi.create('companies', {
        properties: {
          name: input.name,
          domain: input.domain,
          website: `https://www.${input.domain}`,
          country: input.country,
          revsync_region: input.region,
          revsync_currency: input.currency,
          revsync_billing_email: input.email,
          ...(input.taxId && {
            revsync_tax_id: input.taxId.value,
            revsync_tax_id_type: input.taxId.type,
          }),
        },
        associations: [],
      }),
    );
    return company.id;
  }

  async createDeal(input: Parameters<CrmActor['createDeal']>[0]): Promise<string> {
    const deal = await hs(() =>
      this.#objects.basicApi.create('deals', {
        properties: {
          dealname: input.name,
          pipeline: 'default',
          dealstage: input.kind === 'amendment' ? 'contractsent' : 'appointmentscheduled',
          dealtype: input.kind === 'amendment' ? 'amendment' : 'newbusiness',
          deal_currency_code: input.currency,
          closedate: new Date().toISOString(),
          ...(input.subscriptionId && { revsync_subscription_id: input.subscriptionId }),
        },
        associations: [
          {
            to: { id: input.accountId },
            types: [
              {
                associationCategory: 'HUBSPOT_DEFINED' as never,
                associationTypeId: DEAL_TO_COMPANY_PRIMARY,
              },
            ],
          },
        ],
      }),
    );
    return deal.id;
  }

  async addLine(dealId: string, line: DealLine): Promise<void> {
    const product = this.#products.get(line.productCode);
    if (!product) throw new Error(`no product ${line.productCode}: set up the catalog`);
    await hs(() =>
      this.#objects.basicApi.create('line_items', {
        properties: {
          hs_product_id: product.id,
          hs_sku: product.code,
          name: product.name,
          quantity: String(line.quantity),
          price: toDecimalString({
            amount: line.unitAmount,
            currency: toCurrencyCode(line.currency),
          }),
          hs_line_item_currency_code: line.currency,
          recurringbillingfrequency: line.interval === 'year' ? 'annually' : 'monthly',
        },
        associations: [
          {
            to: { id: dealId },
            types: [
              {
                associationCategory: 'HUBSPOT_DEFINED' as never,
                associationTypeId: LINE_ITEM_TO_DEAL,
              },
            ],
          },
        ],
      }),
    );
  }

  async win(dealId: string): Promise<void> {
    await hs(() =>
      this.#objects.basicApi.update('deals', dealId, { properties: { dealstage: 'closedwon' } }),
    );
  }

  async dealBilling(dealId: string): Promise<CrmDealBilling> {
    const deal = await hs(() => this.#objects.basicApi.getById('deals', dealId, BILLING));
    return billingOf(deal.properties);
  }

  async allDealBilling(): Promise<Map<string, CrmDealBilling>> {
    const out = new Map<string, CrmDealBilling>();
    let after: string | undefined;
    do {
      const page = await hs(() => this.#objects.basicApi.getPage('deals', 100, after, BILLING));
      for (const d of page.results) out.set(d.id, billingOf(d.properties));
      after = page.paging?.next?.after;
    } while (after);
    return out;
  }
}

function billingOf(p: Record<string, string | null>): CrmDealBilling {
  const text = (v: string | null | undefined) =>
    typeof v === 'string' && v !== '' ? v : undefined;
  const currency = text(p['revsync_mrr_currency']) ?? text(p['deal_currency_code']);
  return {
    ...(text(p['revsync_subscription_id']) && {
      subscriptionId: text(p['revsync_subscription_id']),
    }),
    ...(text(p['revsync_subscription_status']) && {
      subscriptionStatus: text(p['revsync_subscription_status']),
    }),
    ...(text(p['revsync_mrr']) && { mrr: text(p['revsync_mrr']) }),
    ...(currency && { currency }),
  };
}

/** The HubSpot emulator, revsync connected by a private-app token with webhooks v3, and its sales team. */
export const driver: CrmDriver = {
  system: 'hubspot',
  role: 'crm',
  async start(options) {
    const { accessToken, clientSecret } = hubspotEmulatorDefaults;
    const emulator = await startOrAttach(options, (listen) =>
      startHubspotEmulator({
        ...listen,
        seed: options.seed,
        faults: options.faults,
        ...(options.rateLimits === 'off' && { tenSecondLimit: 0, searchPerSecond: 0 }),
      }),
    );
    const url = emulator.url;
    const put = await fetch(new URL('/_emulator/webhooks', url), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: options.webhookUrl, clientSecret }),
    });
    if (!put.ok) throw new Error(`${url}: setting the webhook target answered ${put.status}`);
    const client = new Client({ accessToken, basePath: url, numberOfApiCallRetries: 0 });
    return {
      url,
      connection: {
        accessToken: env('HUBSPOT_ACCESS_TOKEN'),
        basePath: url,
        clientSecret: env('HUBSPOT_CLIENT_SECRET'),
        webhookUrl: env('HUBSPOT_WEBHOOK_URL'),
        limits: { ratePerSecond: 15, burst: 10, maxConcurrent: 8 },
        pollIntervalMs: 500,
      },
      env: {
        HUBSPOT_ACCESS_TOKEN: accessToken,
        HUBSPOT_CLIENT_SECRET: clientSecret,
        HUBSPOT_WEBHOOK_URL: options.webhookUrl,
      },
      actor: new HubspotActor(client),
      clearFaults: emulator.clearFaults,
      ...(emulator.started && { flushWebhooks: () => emulator.started!.flushWebhooks() }),
      close: emulator.close,
    };
  },
};
