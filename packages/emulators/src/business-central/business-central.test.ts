import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConfidentialClientApplication,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBusinessCentralEmulator, type BusinessCentralEmulator } from './index.ts';

// BC answers are OData JSON; the assertions below read them loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** msal's network client, with `https://login.microsoftonline.com` mapped to the emulator. */
function emulatorNetwork(emu: BusinessCentralEmulator, calls: string[]): INetworkModule {
  const map = (url: string) => {
    calls.push(url);
    // Every https authority (login.microsoftonline.com for instance discovery too) is the emulator.
    return url.replace(/^https:\/\/[^/]+/, emu.url);
  };
  const send = async <T>(
    method: string,
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> => {
    const res = await fetch(map(url), {
      method,
      ...(options?.headers && { headers: options.headers }),
      ...(options?.body !== undefined && { body: options.body }),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    return { status: res.status, headers, body: (await res.json()) as T };
  };
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

function msalApp(emu: BusinessCentralEmulator, secret = emu.clientSecret, calls: string[] = []) {
  return new ConfidentialClientApplication({
    auth: {
      clientId: emu.clientId,
      clientSecret: secret,
      authority: `https://${emu.authorityHost}/${emu.tenantId}`,
    },
    system: { networkClient: emulatorNetwork(emu, calls) },
  });
}

async function tokenFor(emu: BusinessCentralEmulator): Promise<string> {
  const result = await msalApp(emu).acquireTokenByClientCredential({ scopes: [emu.scope] });
  if (!result?.accessToken) throw new Error('no token');
  return result.accessToken;
}

function client(emu: BusinessCentralEmulator, token: () => string) {
  return async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Json; headers: Headers }> => {
    const url = path.startsWith('http') ? path : `${emu.apiBase()}/${path}`;
    const res = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${token()}`,
        accept: 'application/json',
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: text ? (JSON.parse(text) as Json) : {},
    };
  };
}

const admin = async (
  emu: BusinessCentralEmulator,
  method: string,
  path: string,
  body?: unknown,
) => {
  const res = await fetch(`${emu.url}/_emulator${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
};

const today = () => new Date().toISOString().slice(0, 10);

let emu: BusinessCentralEmulator;
let token = '';
let bc: ReturnType<typeof client>;
let us: string;
let jp: string;

beforeAll(async () => {
  emu = await startBusinessCentralEmulator({ port: 0, notificationRetryMs: 20 });
  token = await tokenFor(emu);
  bc = client(emu, () => token);
  const companies = await bc('GET', 'companies');
  us = companies.body.value.find((c: Json) => c.name === 'Revsync Sim Inc.').id;
  jp = companies.body.value.find((c: Json) => c.name === 'Revsync Sim KK').id;
});
afterAll(() => emu.close());

async function customer(company: string, body: Json = {}): Promise<Json> {
  const res = await bc('POST', `companies(${company})/customers`, { displayName: 'Acme', ...body });
  expect(res.status).toBe(201);
  return res.body;
}

async function postedInvoice(
  company: string,
  customerId: string,
  lines: Json[],
  extra: Json = {},
): Promise<Json> {
  const created = await bc('POST', `companies(${company})/salesInvoices`, {
    customerId,
    invoiceDate: today(),
    salesInvoiceLines: lines,
    ...extra,
  });
  expect(created.status).toBe(201);
  const posted = await bc(
    'POST',
    `companies(${company})/salesInvoices(${created.body.id})/Microsoft.NAV.post`,
  );
  expect(posted.status).toBe(204);
  return (await bc('GET', `companies(${company})/salesInvoices(${created.body.id})`)).body;
}

describe('Entra ID token', () => {
  it('msal-node gets a token through discovery and the token endpoint', async () => {
    const calls: string[] = [];
    const result = await msalApp(emu, emu.clientSecret, calls).acquireTokenByClientCredential({
      scopes: [emu.scope],
    });
    expect(result?.tokenType).toBe('Bearer');
    expect(result?.accessToken.split('.')).toHaveLength(3);
    expect(calls.some((u) => u.includes(`/${emu.tenantId}/oauth2/v2.0/token`))).toBe(true);
  });

  it('serves instance discovery and the OpenID configuration to msal for another authority host', async () => {
    const other = await startBusinessCentralEmulator({
      port: 0,
      authorityHost: 'login.bc-emulator.test',
    });
    try {
      const calls: string[] = [];
      const result = await msalApp(other, other.clientSecret, calls).acquireTokenByClientCredential(
        {
          scopes: [other.scope],
        },
      );
      expect(result?.accessToken).toBeTruthy();
      const paths = calls.map((u) => new URL(u).pathname);
      expect(paths).toContain('/common/discovery/instance');
      expect(paths).toContain(`/${other.tenantId}/v2.0/.well-known/openid-configuration`);
      expect(paths).toContain(`/${other.tenantId}/oauth2/v2.0/token`);
    } finally {
      await other.close();
    }
  });

  it('refuses a wrong secret with invalid_client, raw and through msal', async () => {
    const raw = await fetch(emu.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: emu.clientId,
        client_secret: 'wrong',
        scope: emu.scope,
      }),
    });
    expect(raw.status).toBe(401);
    const body = (await raw.json()) as Json;
    expect(body.error).toBe('invalid_client');
    expect(body.error_description).toMatch(/^AADSTS7000215/);
    await expect(
      msalApp(emu, 'wrong').acquireTokenByClientCredential({ scopes: [emu.scope] }),
    ).rejects.toMatchObject({ errorCode: 'invalid_client' });
  });

  it('answers 401 on the API without a valid bearer token', async () => {
    const res = await fetch(`${emu.apiBase()}/companies`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as Json).error.code).toBe('Authentication_InvalidCredentials');
  });
});

describe('companies, customers, documents', () => {
  it('lists one company per region with GUID ids', async () => {
    const res = await bc('GET', 'companies');
    expect(res.body.value.map((c: Json) => c.name)).toEqual([
      'Revsync Sim Inc.',
      'Revsync Sim Ltd',
      'Revsync Sim KK',
    ]);
    for (const c of res.body.value) expect(c.id).toMatch(/^[0-9a-f-]{36}$/);
    const lcy = await Promise.all(
      res.body.value.map(
        async (c: Json) =>
          (await bc('GET', `companies(${c.id})/companyInformation`)).body.value[0].currencyCode,
      ),
    );
    expect(lcy).toEqual(['USD', 'GBP', 'JPY']);
    const currencies = await bc('GET', `companies(${jp})/currencies?$filter=code eq 'USD'`);
    expect(currencies.body.value[0]).toMatchObject({ code: 'USD', amountDecimalPlaces: '2:2' });
  });

  it("answers unknown ids and paths in BC's error shape", async () => {
    const missing = await bc(
      'GET',
      `companies(${us})/customers(00000000-0000-0000-0000-00000000dead)`,
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('BadRequest_NotFound');
    const segment = await bc('GET', `companies(${us})/noSuchThings`);
    expect(segment.status).toBe(404);
    expect(segment.body.error.code).toBe('BadRequest_ResourceNotFound');
  });

  it('keeps JPY amounts in whole yen, posts, and applies a payment until Paid', async () => {
    const cust = await customer(jp, { displayName: 'Tokyo Trading' });
    expect(cust.currencyCode).toBe('JPY');
    const inv = await postedInvoice(jp, cust.id, [
      { lineType: 'Item', description: 'Seats', quantity: 3, unitPrice: 333.4 },
    ]);
    // 3 × 333.4 = 1000.2 → ¥1,000; 10 % tax → ¥100.
    expect(inv).toMatchObject({
      currencyCode: 'JPY',
      status: 'Open',
      totalAmountExcludingTax: 1000,
      totalTaxAmount: 100,
      totalAmountIncludingTax: 1100,
      remainingAmount: 1100,
    });
    expect(inv.number).toMatch(/^PS-INV/);
    const lines = await bc('GET', `companies(${jp})/salesInvoices(${inv.id})/salesInvoiceLines`);
    expect(lines.body.value[0]).toMatchObject({
      amountExcludingTax: 1000,
      totalTaxAmount: 100,
      amountIncludingTax: 1100,
    });

    const journal = (await bc('GET', `companies(${jp})/customerPaymentJournals`)).body.value[0];
    const pay = (amount: number) =>
      bc('POST', `companies(${jp})/customerPaymentJournals(${journal.id})/customerPayments`, {
        customerId: cust.id,
        amount,
        appliesToInvoiceId: inv.id,
        externalDocumentNumber: `PAY-${amount}`,
      });
    expect((await pay(-600)).status).toBe(201);
    expect(
      (
        await bc(
          'POST',
          `companies(${jp})/customerPaymentJournals(${journal.id})/Microsoft.NAV.post`,
        )
      ).status,
    ).toBe(204);
    let now = (await bc('GET', `companies(${jp})/salesInvoices(${inv.id})`)).body;
    expect(now).toMatchObject({ status: 'Open', remainingAmount: 500 });
    expect((await pay(-500)).body.appliesToInvoiceNumber).toBe(inv.number);
    await bc('POST', `companies(${jp})/customerPaymentJournals(${journal.id})/Microsoft.NAV.post`);
    now = (await bc('GET', `companies(${jp})/salesInvoices(${inv.id})`)).body;
    expect(now).toMatchObject({ status: 'Paid', remainingAmount: 0 });
    const left = await bc(
      'GET',
      `companies(${jp})/customerPaymentJournals(${journal.id})/customerPayments`,
    );
    expect(left.body.value).toEqual([]);
  });

  it('applies a posted credit memo to its invoice', async () => {
    const cust = await customer(us);
    const inv = await postedInvoice(us, cust.id, [
      { lineType: 'Item', quantity: 2, unitPrice: 50.125 },
    ]);
    expect(inv.totalAmountIncludingTax).toBe(100.25);
    const cm = await bc('POST', `companies(${us})/salesCreditMemos`, {
      customerId: cust.id,
      invoiceId: inv.id,
      salesCreditMemoLines: [{ lineType: 'Item', quantity: 1, unitPrice: 40 }],
    });
    expect(cm.status).toBe(201);
    expect(cm.body.invoiceNumber).toBe(inv.number);
    expect(
      (await bc('POST', `companies(${us})/salesCreditMemos(${cm.body.id})/Microsoft.NAV.post`))
        .status,
    ).toBe(204);
    const after = (await bc('GET', `companies(${us})/salesInvoices(${inv.id})`)).body;
    expect(after.remainingAmount).toBe(60.25);
    const memo = (await bc('GET', `companies(${us})/salesCreditMemos(${cm.body.id})`)).body;
    expect(memo.status).toBe('Paid');
  });

  it('filters, orders, expands and pages', async () => {
    const cust = await customer(us, { displayName: 'Filter Co' });
    const before = new Date(Date.now() - 1000).toISOString();
    for (const n of [1, 2, 3]) {
      await bc('POST', `companies(${us})/salesInvoices`, {
        customerNumber: cust.number,
        externalDocumentNumber: `RS-F-${n}`,
        salesInvoiceLines: [{ lineType: 'Item', quantity: n, unitPrice: 10 }],
      });
    }
    const one = await bc(
      'GET',
      `companies(${us})/salesInvoices?$filter=externalDocumentNumber eq 'RS-F-2'&$expand=salesInvoiceLines`,
    );
    expect(one.body.value).toHaveLength(1);
    expect(one.body.value[0].salesInvoiceLines[0].quantity).toBe(2);
    const recent = await bc(
      'GET',
      `companies(${us})/salesInvoices?$filter=${encodeURIComponent(`lastModifiedDateTime gt ${before} and customerId eq ${cust.id}`)}&$orderby=externalDocumentNumber desc`,
    );
    expect(recent.body.value.map((i: Json) => i.externalDocumentNumber)).toEqual([
      'RS-F-3',
      'RS-F-2',
      'RS-F-1',
    ]);
    const page1 = await bc(
      'GET',
      `companies(${us})/salesInvoices?$filter=customerId eq ${cust.id}`,
      undefined,
      {
        prefer: 'odata.maxpagesize=2',
      },
    );
    expect(page1.body.value).toHaveLength(2);
    const page2 = await bc('GET', page1.body['@odata.nextLink'], undefined, {
      prefer: 'odata.maxpagesize=2',
    });
    expect(page2.body.value).toHaveLength(1);
    expect(page2.body['@odata.nextLink']).toBeUndefined();
    const top = await bc(
      'GET',
      `companies(${us})/salesInvoices?$filter=customerId eq ${cust.id}&$top=1&$skip=1&$orderby=externalDocumentNumber`,
    );
    expect(top.body.value.map((i: Json) => i.externalDocumentNumber)).toEqual(['RS-F-2']);
  });

  it("serves dimensions and the documents' dimension set lines", async () => {
    const dims = await bc('GET', `companies(${us})/dimensions?$expand=dimensionValues`);
    const region = dims.body.value.find((d: Json) => d.code === 'REGION');
    expect(region.dimensionValues.map((v: Json) => v.code)).toContain('EMEA');
    const cust = await customer(us);
    const inv = await bc('POST', `companies(${us})/salesInvoices`, { customerId: cust.id });
    const set = await bc('GET', `companies(${us})/salesInvoices(${inv.body.id})/dimensionSetLines`);
    expect(set.body.value[0]).toMatchObject({ code: 'REGION', valueCode: 'NA' });
    const changed = await bc(
      'PATCH',
      `companies(${us})/salesInvoices(${inv.body.id})/dimensionSetLines(${region.id})`,
      { valueCode: 'LATAM' },
      { 'if-match': '*' },
    );
    expect(changed.body.valueCode).toBe('LATAM');
  });
});

describe('etags', () => {
  it('changes on every write; a stale If-Match is 412 Request_EntityChanged; none is 400 BadRequest_InvalidToken; * passes', async () => {
    const c = await customer(us, { displayName: 'Etag Co' });
    const first = c['@odata.etag'] as string;
    expect(first).toMatch(/^W\/"JzQ0O/);
    const ok = await bc(
      'PATCH',
      `companies(${us})/customers(${c.id})`,
      { email: 'a@etag.test' },
      { 'if-match': first },
    );
    expect(ok.status).toBe(200);
    expect(ok.body['@odata.etag']).not.toBe(first);
    const stale = await bc(
      'PATCH',
      `companies(${us})/customers(${c.id})`,
      { email: 'b@etag.test' },
      { 'if-match': first },
    );
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('Request_EntityChanged');
    const none = await bc('PATCH', `companies(${us})/customers(${c.id})`, { email: 'c@etag.test' });
    expect(none.status).toBe(400);
    expect(none.body.error).toMatchObject({ code: 'BadRequest_InvalidToken' });
    expect(none.body.error.message).toMatch(/client concurrency token/);
    const star = await bc(
      'PATCH',
      `companies(${us})/customers(${c.id})`,
      { email: 'd@etag.test' },
      { 'if-match': '*' },
    );
    expect(star.body.email).toBe('d@etag.test');
    const del = await bc('DELETE', `companies(${us})/customers(${c.id})`, undefined, {
      'if-match': first,
    });
    expect(del.status).toBe(412);
  });

  it('a direct admin edit (as a user in BC would) changes the etag and lastModifiedDateTime', async () => {
    const cust = await customer(us);
    const inv = await postedInvoice(us, cust.id, [
      { lineType: 'Item', quantity: 1, unitPrice: 10 },
    ]);
    await new Promise((r) => setTimeout(r, 5));
    const edited = await admin(emu, 'PATCH', `/companies/${us}/salesInvoices/${inv.id}`, {
      externalDocumentNumber: 'EDITED',
    });
    expect(edited.status).toBe(200);
    const now = (await bc('GET', `companies(${us})/salesInvoices(${inv.id})`)).body;
    expect(now.externalDocumentNumber).toBe('EDITED');
    expect(now['@odata.etag']).not.toBe(inv['@odata.etag']);
    expect(now.lastModifiedDateTime > inv.lastModifiedDateTime).toBe(true);
  });
});

describe('$batch', () => {
  it('runs requests with dependsOn, and rolls back an atomicity group that fails', async () => {
    const ok = await bc('POST', '$batch', {
      requests: [
        {
          id: '1',
          method: 'POST',
          url: `companies(${us})/customers`,
          headers: { 'content-type': 'application/json' },
          body: { displayName: 'Batch One', number: 'B-1' },
        },
        {
          id: '2',
          method: 'GET',
          url: `companies(${us})/customers?$filter=number eq 'B-1'`,
          dependsOn: ['1'],
        },
      ],
    });
    expect(ok.status).toBe(200);
    expect(ok.body.responses.map((r: Json) => r.status)).toEqual([201, 200]);
    expect(ok.body.responses[1].body.value[0].displayName).toBe('Batch One');

    const failed = await bc('POST', '$batch', {
      requests: [
        {
          id: 'a',
          atomicityGroup: 'g1',
          method: 'POST',
          url: `companies(${us})/customers`,
          body: { displayName: 'Rolled Back', number: 'B-2' },
        },
        {
          id: 'b',
          atomicityGroup: 'g1',
          method: 'POST',
          url: `companies(${us})/salesInvoices`,
          body: { customerNumber: 'NO-SUCH' },
        },
        { id: 'c', method: 'GET', url: `companies(${us})/customers?$filter=number eq 'B-2'` },
      ],
    });
    const byId = Object.fromEntries(failed.body.responses.map((r: Json) => [r.id, r]));
    expect(byId.b.status).toBe(400);
    expect(byId.a.status).toBe(424);
    expect(byId.c.status).toBe(200);
    expect(byId.c.body.value).toEqual([]);
    const gone = await bc('GET', `companies(${us})/customers?$filter=number eq 'B-2'`);
    expect(gone.body.value).toEqual([]);
  });

  it('undoes an update inside a failed group, and a failed request leaves nothing behind', async () => {
    const c = await customer(us, { displayName: 'Before' });
    const res = await bc('POST', '$batch', {
      requests: [
        {
          id: 'u',
          atomicityGroup: 'g',
          method: 'PATCH',
          url: `companies(${us})/customers(${c.id})`,
          headers: { 'if-match': c['@odata.etag'] },
          body: { displayName: 'After' },
        },
        {
          id: 'x',
          atomicityGroup: 'g',
          method: 'PATCH',
          url: `companies(${us})/customers(${c.id})`,
          headers: { 'if-match': c['@odata.etag'] },
          body: { displayName: 'Stale' },
        },
      ],
    });
    expect(res.body.responses.map((r: Json) => r.status)).toEqual([424, 412]);
    const now = (await bc('GET', `companies(${us})/customers(${c.id})`)).body;
    expect(now.displayName).toBe('Before');
    expect(now['@odata.etag']).toBe(c['@odata.etag']);

    const count = async () =>
      (await bc('GET', `companies(${us})/salesInvoices?$filter=customerId eq ${c.id}`)).body.value
        .length;
    const bad = await bc('POST', `companies(${us})/salesInvoices`, {
      customerId: c.id,
      salesInvoiceLines: [{ quantity: 1, unitPrice: 1 }, { lineType: 'Nonsense' }],
    });
    expect(bad.status).toBe(400);
    expect(await count()).toBe(0);
  });
});

describe('locked accounting periods', () => {
  it('refuses posting into a locked period and allows it again once unlocked', async () => {
    const cust = await customer(us);
    const year = new Date().getUTCFullYear() - 1;
    const inv = await bc('POST', `companies(${us})/salesInvoices`, {
      customerId: cust.id,
      invoiceDate: `${year}-03-15`,
      postingDate: `${year}-03-15`,
      salesInvoiceLines: [{ lineType: 'Item', quantity: 1, unitPrice: 99 }],
    });
    const locked = await admin(emu, 'PUT', `/companies/${us}/accounting-periods/lock`, {
      date: `${year}-03-01`,
    });
    expect(locked.body).toMatchObject({ startingDate: `${year}-03-01`, closed: true });
    const periods = await bc(
      'GET',
      `companies(${us})/accountingPeriods?$filter=startingDate eq ${year}-03-01`,
    );
    expect(periods.body.value[0].closed).toBe(true);
    const refused = await bc(
      'POST',
      `companies(${us})/salesInvoices(${inv.body.id})/Microsoft.NAV.post`,
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('Application_DialogException');
    expect(refused.body.error.message).toMatch(/not within your range of allowed posting dates/);
    expect((await bc('GET', `companies(${us})/salesInvoices(${inv.body.id})`)).body.status).toBe(
      'Draft',
    );
    await admin(emu, 'PUT', `/companies/${us}/accounting-periods/lock`, {
      date: `${year}-03-01`,
      locked: false,
    });
    expect(
      (await bc('POST', `companies(${us})/salesInvoices(${inv.body.id})/Microsoft.NAV.post`))
        .status,
    ).toBe(204);
  });
});

describe('webhooks', () => {
  let hook: Server;
  let hookUrl = '';
  let echo = true;
  const received: Json[] = [];
  const body = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let s = '';
      req.on('data', (c: Buffer) => (s += c.toString()));
      req.on('end', () => resolve(s));
    });

  beforeAll(async () => {
    hook = createServer((req, res) => {
      void body(req).then((text) => {
        const token = new URL(req.url ?? '/', 'http://x').searchParams.get('validationToken');
        if (token !== null) {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(echo ? token : 'nope');
          return;
        }
        received.push(JSON.parse(text) as Json);
        res.writeHead(202);
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/bc`;
  });
  afterAll(() => new Promise<void>((r) => hook.close(() => r())));

  it('validates the endpoint, notifies changes, renews, and stops after expiry', async () => {
    echo = false;
    const refused = await bc('POST', 'subscriptions', {
      notificationUrl: hookUrl,
      resource: `/api/v2.0/companies(${us})/customers`,
      clientState: 'secret-state',
    });
    expect(refused.status).toBe(400);
    echo = true;
    const sub = await bc('POST', 'subscriptions', {
      notificationUrl: hookUrl,
      resource: `/api/v2.0/companies(${us})/customers`,
      clientState: 'secret-state',
    });
    expect(sub.status).toBe(201);
    const expires = Date.parse(sub.body.expirationDateTime);
    expect(expires - Date.now()).toBeGreaterThan(3 * 86_400_000 - 60_000);

    const c = await customer(us, { displayName: 'Hooked' });
    await emu.notificationsIdle();
    const note = received
      .flatMap((r) => r.value)
      .find((v: Json) => v.resource.endsWith(`customers(${c.id})`));
    expect(note).toMatchObject({
      subscriptionId: sub.body.subscriptionId,
      clientState: 'secret-state',
      changeType: 'created',
    });

    // Two days on, renew (PATCH with If-Match): three days from the new now.
    await admin(emu, 'POST', '/clock/advance', { ms: 2 * 86_400_000 });
    const stale = await bc(
      'PATCH',
      `subscriptions('${sub.body.subscriptionId}')`,
      {},
      { 'if-match': 'W/"bad"' },
    );
    expect(stale.status).toBe(412);
    const renewed = await bc(
      'PATCH',
      `subscriptions('${sub.body.subscriptionId}')`,
      {},
      { 'if-match': sub.body['@odata.etag'] },
    );
    expect(renewed.status).toBe(200);
    expect(Date.parse(renewed.body.expirationDateTime)).toBeGreaterThan(expires);

    // Past the renewed expiry: no more notifications.
    await admin(emu, 'POST', '/clock/advance', { ms: 4 * 86_400_000 });
    received.length = 0;
    await customer(us, { displayName: 'Unheard' });
    await emu.notificationsIdle();
    expect(received).toEqual([]);
    const del = await bc('DELETE', `subscriptions('${sub.body.subscriptionId}')`, undefined, {
      'if-match': '*',
    });
    expect(del.status).toBe(204);
  });

  it('retries a notification only on 408, 429 and 5xx', async () => {
    const answers: number[] = [];
    let script: number[] = [];
    const flaky = createServer((req, res) => {
      void body(req).then(() => {
        const token = new URL(req.url ?? '/', 'http://x').searchParams.get('validationToken');
        if (token !== null) {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(token);
          return;
        }
        const status = script.shift() ?? 200;
        answers.push(status);
        res.writeHead(status);
        res.end();
      });
    });
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/n`;
      const sub = await bc('POST', 'subscriptions', {
        notificationUrl: url,
        resource: `/api/v2.0/companies(${jp})/salesInvoices`,
        clientState: 'x',
      });
      expect(sub.status).toBe(201);
      const cust = await customer(jp);
      script = [503, 429, 408];
      await bc('POST', `companies(${jp})/salesInvoices`, { customerId: cust.id });
      await emu.notificationsIdle();
      expect(answers).toEqual([503, 429, 408, 200]);
      answers.length = 0;
      script = [400];
      await bc('POST', `companies(${jp})/salesInvoices`, { customerId: cust.id });
      await emu.notificationsIdle();
      expect(answers).toEqual([400]);
      await bc('DELETE', `subscriptions('${sub.body.subscriptionId}')`, undefined, {
        'if-match': '*',
      });
    } finally {
      await new Promise<void>((r) => flaky.close(() => r()));
    }
  });
});

describe('faults', () => {
  it("injects 5xx in BC's error shape through the kit", async () => {
    const set = await admin(emu, 'PUT', '/faults', {
      rules: [{ match: 'GET /v2.0/*', error: { p: 1, statuses: [503] } }],
    });
    expect(set.status).toBe(200);
    try {
      const res = await bc('GET', 'companies');
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('InternalServerError');
    } finally {
      await admin(emu, 'PUT', '/faults', { rules: [] });
    }
  });
});

describe('throttling', () => {
  it('answers 429 with Retry-After past the per-client limit', async () => {
    const small = await startBusinessCentralEmulator({
      port: 0,
      rateLimit: 5,
      rateWindowMs: 60_000,
    });
    try {
      const t = await tokenFor(small);
      const call = client(small, () => t);
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof call>> | undefined;
      for (let i = 0; i < 7; i++) {
        last = await call('GET', 'companies');
        statuses.push(last.status);
      }
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses[6]).toBe(429);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(last!.body.error.code).toBe('Application_TooManyRequests');
    } finally {
      await small.close();
    }
  });
});
