import {
  BC_SCOPE,
  businessCentralEmulatorDefaults,
  startBusinessCentralEmulator,
} from '@revsync/emulators/business-central';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setEmulatorFaults, type ErpActor, type StartedSystem } from '../driver.ts';
import { driver } from './index.ts';

type Json = Record<string, unknown>;

const today = () => new Date().toISOString().slice(0, 10);

/**
 * A client of the emulator as a connector would use it: a client-credentials token from the
 * token endpoint (plain form POST, not the actor's msal), then JSON over `fetch`.
 */
async function apiClient(url: string, env: Record<string, string>) {
  const tenant = businessCentralEmulatorDefaults.tenantId;
  const tokenRes = await fetch(`${url}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: env.BC_CLIENT_ID!,
      client_secret: env.BC_CLIENT_SECRET!,
      scope: BC_SCOPE,
    }),
  });
  expect(tokenRes.status).toBe(200);
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  const base = `${url}/v2.0/${tenant}/production/api/v2.0`;
  return async (method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await fetch(`${base}/${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Json) : {};
  };
}

describe('the Business Central simulator driver', () => {
  let system: StartedSystem<ErpActor>;
  let bc: Awaited<ReturnType<typeof apiClient>>;

  beforeAll(async () => {
    system = await driver.start({
      seed: 1,
      faults: 'none',
      port: 0,
      webhookUrl: 'http://127.0.0.1:1/webhooks/business-central',
    });
    bc = await apiClient(system.url, system.env);
  });
  afterAll(() => system?.close());

  it('gives the fixed connection contract and a company per region in its home currency', async () => {
    expect(system.connection).toMatchObject({
      tenantId: businessCentralEmulatorDefaults.tenantId,
      clientId: { env: 'BC_CLIENT_ID' },
      clientSecret: { env: 'BC_CLIENT_SECRET' },
      environment: 'production',
      baseUrl: system.url,
      loginUrl: system.url,
    });
    expect(system.env).toEqual({
      BC_CLIENT_ID: businessCentralEmulatorDefaults.clientId,
      BC_CLIENT_SECRET: businessCentralEmulatorDefaults.clientSecret,
    });
    const subsidiaries = system.subsidiaries!;
    expect(Object.keys(subsidiaries).sort()).toEqual(['EU', 'JP', 'NA', 'UK']);
    expect(new Set(Object.values(subsidiaries)).size).toBe(4);
    const currencies: Record<string, string> = {};
    for (const [region, company] of Object.entries(subsidiaries)) {
      const info = (await bc('GET', `companies(${company})/companyInformation`)) as {
        value: { currencyCode: string }[];
      };
      currencies[region] = info.value[0]!.currencyCode;
    }
    expect(currencies).toEqual({ NA: 'USD', UK: 'GBP', EU: 'EUR', JP: 'JPY' });
  });

  it('reads posted invoices, credit memos and applied payments back to the minor unit', async () => {
    const { JP: jp, UK: uk } = system.subsidiaries!;
    const customer = async (company: string, displayName: string, currencyCode: string) =>
      String(
        (await bc('POST', `companies(${company})/customers`, { displayName, currencyCode })).id,
      );
    const posted = async (company: string, set: string, body: Json, post = true) => {
      const doc = await bc('POST', `companies(${company})/${set}`, body);
      if (post)
        await bc('POST', `companies(${company})/${set}(${String(doc.id)})/Microsoft.NAV.post`);
      return String(doc.id);
    };
    /** Journal lines in the seeded GENERAL batch, or in a batch of their own as revsync posts. */
    const pay = async (
      company: string,
      lines: Json[],
      options: { post?: boolean; batch?: { code: string; displayName: string } } = {},
    ) => {
      const journal = options.batch
        ? String(
            (await bc('POST', `companies(${company})/customerPaymentJournals`, options.batch)).id,
          )
        : (
            (await bc('GET', `companies(${company})/customerPaymentJournals`)) as {
              value: { id: string }[];
            }
          ).value[0]!.id;
      for (const line of lines)
        await bc(
          'POST',
          `companies(${company})/customerPaymentJournals(${journal})/customerPayments`,
          line,
        );
      if (options.post !== false)
        await bc(
          'POST',
          `companies(${company})/customerPaymentJournals(${journal})/Microsoft.NAV.post`,
        );
    };

    // Yen: 3 × ¥1,234 = ¥3,702, 10 % tax ¥370.2 → ¥370 (zero decimals), total ¥4,072.
    const tanaka = await customer(jp!, 'Tanaka KK [cus_jp_1]', 'JPY');
    const jpInvoice = await posted(jp!, 'salesInvoices', {
      customerId: tanaka,
      invoiceDate: today(),
      externalDocumentNumber: 'in_jpy_1',
      salesInvoiceLines: [
        {
          lineType: 'Account',
          lineObjectNumber: '40100',
          description: 'Seats',
          quantity: 3,
          unitPrice: 1234,
          taxPercent: 10,
        },
      ],
    });
    await pay(jp!, [
      {
        customerId: tanaka,
        amount: -4072,
        appliesToInvoiceId: jpInvoice,
        externalDocumentNumber: 'pi_jpy_1',
      },
    ]);

    // Pounds: 2 × £12.345 = £24.69, 20 % tax £4.938 → £4.94, total £29.63; a credit memo of
    // £5.01 + £1.00 tax applied to it; a part payment of £10.00 whose id is too long for
    // externalDocumentNumber (an RS- hash there), read from its journal batch's record.
    const smith = await customer(uk!, 'Smith Ltd', 'GBP'); // not revsync's: no tag
    const ukInvoice = await posted(uk!, 'salesInvoices', {
      customerId: smith,
      invoiceDate: today(),
      externalDocumentNumber: 'in_gbp_1',
      salesInvoiceLines: [
        {
          lineType: 'Account',
          lineObjectNumber: '40100',
          quantity: 2,
          unitPrice: 12.345,
          taxPercent: 20,
        },
      ],
    });
    await posted(uk!, 'salesCreditMemos', {
      customerId: smith,
      creditMemoDate: today(),
      externalDocumentNumber: 'cn_gbp_1',
      invoiceId: ukInvoice,
      salesCreditMemoLines: [
        {
          lineType: 'Account',
          lineObjectNumber: '40100',
          quantity: 1,
          unitPrice: 5.01,
          taxPercent: 20,
        },
      ],
    });
    const longId = 'py_a_payment_id_longer_than_thirty_five_characters';
    await pay(
      uk!,
      [
        {
          customerId: smith,
          amount: -10,
          appliesToInvoiceId: ukInvoice,
          externalDocumentNumber: 'RS-0123456789ABCDEFGHJKMNPQRSTVWX',
          description: `revsync ${longId}`,
        },
      ],
      { batch: { code: 'RS7K2M9Q4T', displayName: `rs:${longId}|${today()}|1000|1000|` } },
    );
    // Not a payment: £1.00 of the credit memo moved onto the invoice, as revsync applies a credit.
    await pay(
      uk!,
      [
        {
          customerId: smith,
          amount: -1,
          appliesToInvoiceId: ukInvoice,
          externalDocumentNumber: 'RS-CREDIT',
        },
        { customerId: smith, amount: 1, externalDocumentNumber: 'RS-CREDIT' },
      ],
      { batch: { code: 'RC4N8P2S6V', displayName: 'rc:0123456789ABCDEFGHJKMNPQ|100' } },
    );
    // Not in the books: a draft invoice and an unposted journal line.
    await posted(
      uk!,
      'salesInvoices',
      {
        customerId: smith,
        invoiceDate: today(),
        externalDocumentNumber: 'in_draft',
        salesInvoiceLines: [
          { lineType: 'Account', lineObjectNumber: '40100', quantity: 1, unitPrice: 1 },
        ],
      },
      false,
    );
    await pay(uk!, [{ customerId: smith, amount: -1, externalDocumentNumber: 'py_unposted' }], {
      post: false,
    });

    const documents = await system.actor.documents();
    const byExternal = Object.fromEntries(documents.map(({ id: _id, ...d }) => [d.externalId, d]));
    expect(documents).toHaveLength(5);
    expect(byExternal).toEqual({
      in_jpy_1: { kind: 'invoice', externalId: 'in_jpy_1', currency: 'JPY', total: 4072, tax: 370 },
      pi_jpy_1: {
        kind: 'payment',
        externalId: 'pi_jpy_1',
        currency: 'JPY',
        total: 4072,
        tax: 0,
        appliedTo: [jpInvoice],
      },
      in_gbp_1: { kind: 'invoice', externalId: 'in_gbp_1', currency: 'GBP', total: 2963, tax: 494 },
      cn_gbp_1: {
        kind: 'credit_memo',
        externalId: 'cn_gbp_1',
        currency: 'GBP',
        total: 601,
        tax: 100,
      },
      [longId]: {
        kind: 'payment',
        externalId: longId,
        currency: 'GBP',
        total: 1000,
        tax: 0,
        appliedTo: [ukInvoice],
      },
    });
    expect(documents.find((d) => d.externalId === 'in_jpy_1')!.id).toBe(jpInvoice);
    expect(documents.find((d) => d.externalId === 'in_gbp_1')!.id).toBe(ukInvoice);

    const customers = await system.actor.customers();
    expect(customers.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { id: smith, name: 'Smith Ltd' },
      { id: tanaka, externalId: 'cus_jp_1', name: 'Tanaka KK' },
    ]);

    // Faults on: the reads are retried and give the same books; clearFaults switches them off.
    await setEmulatorFaults(system.url, 'light');
    expect(await system.actor.documents()).toEqual(documents);
    await system.clearFaults();
    const faults = (await (await fetch(`${system.url}/_emulator/faults`)).json()) as Json;
    expect(faults.rules ?? []).toEqual([]);
  });
});

describe('attached to a running emulator', () => {
  it('adds the euro company an emulator started without one lacks, and maps every region', async () => {
    const running = await startBusinessCentralEmulator({ port: 0 });
    try {
      expect(running.companyIds).toHaveLength(3);
      const system = await driver.start({
        seed: 1,
        faults: 'none',
        url: running.url,
        webhookUrl: 'http://127.0.0.1:1/webhooks/business-central',
      });
      const [us, uk, jp] = running.companyIds;
      expect(system.subsidiaries).toMatchObject({ NA: us, UK: uk, JP: jp });
      expect(system.subsidiaries!.EU).toMatch(/^[0-9a-f-]{36}$/);
      expect(Object.keys(running.ledger.state.companies)).toContain(system.subsidiaries!.EU);
      expect(system.flushWebhooks).toBeUndefined();
      // A second attach finds the company instead of adding another.
      const again = await driver.start({
        seed: 1,
        faults: 'none',
        url: running.url,
        webhookUrl: 'http://127.0.0.1:1/x',
      });
      expect(again.subsidiaries).toEqual(system.subsidiaries);
      expect(Object.keys(running.ledger.state.companies)).toHaveLength(4);
      await system.close();
    } finally {
      await running.close();
    }
  });
});
