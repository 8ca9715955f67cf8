import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OAuthClient from 'intuit-oauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQuickbooksEmulator, type QuickbooksEmulator } from './index.ts';

// QuickBooks answers are deep JSON; the assertions below read them loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const US = '9341450000000001';
const UK = '9341450000000002';

let emu: QuickbooksEmulator;
let received: { body: string; signature: string | undefined }[] = [];
let hook: ReturnType<typeof createServer>;
const tokens = new Map<string, string>();

/** An `intuit-oauth` client pointed at the emulator's token endpoint. */
function oauthClient(): OAuthClient {
  const client = new OAuthClient({
    environment: 'sandbox',
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    redirectUri: 'http://127.0.0.1/callback',
  });
  client.setAuthorizeURLs({
    authorizeEndpoint: `${emu.url}/connect/oauth2`,
    tokenEndpoint: emu.tokenUrl,
    revokeEndpoint: `${emu.url}/oauth2/v1/tokens/revoke`,
    userInfoEndpoint: `${emu.url}/v1/openid_connect/userinfo`,
  });
  return client;
}

async function accessToken(realmId: string): Promise<string> {
  const cached = tokens.get(realmId);
  if (cached) return cached;
  const res = await oauthClient().refreshUsingToken(emu.refreshTokens[realmId]!);
  const token = (res.getJson() as { access_token: string }).access_token;
  tokens.set(realmId, token);
  return token;
}

async function qbo(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  realmId = US,
): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(`${emu.url}/v3/company/${realmId}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await accessToken(realmId)}`,
      accept: 'application/json',
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as Json,
  };
}
const query = (q: string, realmId = US) =>
  qbo('GET', `/query?query=${encodeURIComponent(q)}&minorversion=75`, undefined, realmId);

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const sig = req.headers['intuit-signature'];
      received.push({ body, signature: typeof sig === 'string' ? sig : undefined });
      res.end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  emu = await startQuickbooksEmulator({
    port: 0,
    realms: [
      { realmId: US, homeCurrency: 'USD' },
      { realmId: UK, homeCurrency: 'GBP' },
    ],
    cdcMaxResults: 3,
    webhookUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/intuit`,
  });
});
afterAll(async () => {
  await emu.close();
  await new Promise((r) => hook.close(r));
});

let customerId = '';
const customer = (name: string, currency = 'USD') => ({
  DisplayName: name,
  CompanyName: name,
  CurrencyRef: { value: currency },
  PrimaryEmailAddr: { Address: 'ap@example.com' },
});

describe('Intuit OAuth 2.0 through intuit-oauth', () => {
  it('refreshes a token, and the access token opens only its own company', async () => {
    const token = await accessToken(US);
    expect(token).toMatch(/^eyJ/);
    const ok = await qbo('GET', `/companyinfo/${US}`);
    expect(ok.status).toBe(200);
    expect(ok.body.CompanyInfo.CompanyName).toContain('Sandbox Company');
    const other = await fetch(`${emu.url}/v3/company/${UK}/companyinfo/${UK}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    });
    expect(other.status).toBe(403);
  });

  it('exchanges an authorization code (createToken) and refuses a bad refresh token', async () => {
    const client = oauthClient();
    const code = emu.oauth.issueCode(US, 'http://127.0.0.1/callback');
    const res = await client.createToken(
      `http://127.0.0.1/callback?code=${code}&state=s&realmId=${US}`,
    );
    expect(res.getJson()).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
    expect(client.getToken().realmId).toBe(US);
    await expect(oauthClient().refreshUsingToken('RT1-nope')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('answers 401 with an AUTHENTICATION fault once the access token expired', async () => {
    await qbo('GET', `/companyinfo/${US}`);
    emu.oauth.expireAccessTokens();
    const res = await qbo('GET', `/companyinfo/${US}`);
    expect(res.status).toBe(401);
    expect(res.body.Fault).toMatchObject({ type: 'AUTHENTICATION', Error: [{ code: '3200' }] });
    tokens.clear();
    expect((await qbo('GET', `/companyinfo/${US}`)).status).toBe(200);
  });
});

describe('entities', () => {
  it('creates a customer with its currency, and reads it back', async () => {
    const res = await qbo('POST', '/customer?minorversion=75', customer('Acme Corp'));
    expect(res.status).toBe(200);
    expect(res.body.Customer).toMatchObject({
      DisplayName: 'Acme Corp',
      SyncToken: '0',
      CurrencyRef: { value: 'USD' },
      Balance: 0,
    });
    customerId = res.body.Customer.Id;
    const read = await qbo('GET', `/customer/${customerId}`);
    expect(read.body.Customer.Id).toBe(customerId);
  });

  it('answers a duplicate customer name with HTTP 200 and a Fault body (6240)', async () => {
    const res = await qbo('POST', '/customer', customer('acme corp'));
    expect(res.status).toBe(200);
    expect(res.body.Customer).toBeUndefined();
    expect(res.body.Fault).toMatchObject({ type: 'ValidationFault', Error: [{ code: '6240' }] });
  });

  it('sparse-updates with the SyncToken and refuses a stale one (5010)', async () => {
    const up = await qbo('POST', '/customer', {
      Id: customerId,
      SyncToken: '0',
      sparse: true,
      Notes: 'first',
    });
    expect(up.body.Customer).toMatchObject({
      SyncToken: '1',
      Notes: 'first',
      DisplayName: 'Acme Corp',
    });
    const stale = await qbo('POST', '/customer', {
      Id: customerId,
      SyncToken: '0',
      sparse: true,
      Notes: 'second',
    });
    expect(stale.status).toBe(400);
    expect(stale.body.Fault).toMatchObject({
      type: 'ValidationFault',
      Error: [{ code: '5010', Message: 'Stale Object Error', element: 'SyncToken' }],
    });
  });

  it('computes an invoice: lines, subtotal, tax, total, balance; refuses a duplicate DocNumber (6140 in a 200)', async () => {
    const invoice = {
      CustomerRef: { value: customerId },
      DocNumber: 'RS-0001',
      TxnDate: '2026-12-01',
      PrivateNote: 'revsync:in_123',
      Line: [
        {
          DetailType: 'SalesItemLineDetail',
          Amount: 98,
          SalesItemLineDetail: { Qty: 2, UnitPrice: 49 },
        },
        { DetailType: 'SalesItemLineDetail', Amount: -18, Description: 'Proration credit' },
      ],
      TxnTaxDetail: { TotalTax: 6.4 },
    };
    const res = await qbo('POST', '/invoice', invoice);
    expect(res.status).toBe(200);
    expect(res.body.Invoice).toMatchObject({
      TotalAmt: 86.4,
      Balance: 86.4,
      TxnTaxDetail: { TotalTax: 6.4 },
      CurrencyRef: { value: 'USD' },
      ExchangeRate: 1,
    });
    expect(res.body.Invoice.Line.at(-1)).toMatchObject({
      DetailType: 'SubTotalLineDetail',
      Amount: 80,
    });
    const dup = await qbo('POST', '/invoice', invoice);
    expect(dup.status).toBe(200);
    expect(dup.body.Fault).toMatchObject({ Error: [{ code: '6140', element: 'DocNumber' }] });
    const long = await qbo('POST', '/invoice', { ...invoice, DocNumber: 'X'.repeat(22) });
    expect(long.status).toBe(400);
    expect(long.body.Fault.Error[0].code).toBe('2050');
  });

  it('applies a payment to the invoice through LinkedTxn and lowers its balance', async () => {
    const inv = (await query("select * from Invoice where DocNumber = 'RS-0001'")).body
      .QueryResponse.Invoice[0];
    const pay = await qbo('POST', '/payment', {
      CustomerRef: { value: customerId },
      TotalAmt: 50,
      Line: [{ Amount: 50, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }],
    });
    expect(pay.body.Payment).toMatchObject({ TotalAmt: 50, UnappliedAmt: 0 });
    const after = await qbo('GET', `/invoice/${inv.Id}`);
    expect(after.body.Invoice).toMatchObject({
      Balance: 36.4,
      SyncToken: '1',
      LinkedTxn: [{ TxnId: pay.body.Payment.Id, TxnType: 'Payment' }],
    });
    const over = await qbo('POST', '/payment', {
      CustomerRef: { value: customerId },
      TotalAmt: 40,
      Line: [{ Amount: 40, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }],
    });
    expect(over.status).toBe(400);
    expect(over.body.Fault.Error[0].code).toBe('6000');
  });

  it('books credit memos and refund receipts', async () => {
    const cm = await qbo('POST', '/creditmemo', {
      CustomerRef: { value: customerId },
      Line: [{ DetailType: 'SalesItemLineDetail', Amount: 10 }],
    });
    expect(cm.body.CreditMemo).toMatchObject({ TotalAmt: 10, RemainingCredit: 10 });
    // A zero-amount payment applies the credit memo to the invoice (QuickBooks' way).
    const inv = (await query("select * from Invoice where DocNumber = 'RS-0001'")).body
      .QueryResponse.Invoice[0];
    const apply = await qbo('POST', '/payment', {
      CustomerRef: { value: customerId },
      TotalAmt: 0,
      Line: [
        { Amount: 10, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] },
        { Amount: 10, LinkedTxn: [{ TxnId: cm.body.CreditMemo.Id, TxnType: 'CreditMemo' }] },
      ],
    });
    expect(apply.body.Payment).toMatchObject({ TotalAmt: 0, UnappliedAmt: 0 });
    expect((await qbo('GET', `/invoice/${inv.Id}`)).body.Invoice.Balance).toBe(26.4);
    expect(
      (await qbo('GET', `/creditmemo/${cm.body.CreditMemo.Id}`)).body.CreditMemo,
    ).toMatchObject({
      RemainingCredit: 0,
      LinkedTxn: [{ TxnId: apply.body.Payment.Id, TxnType: 'Payment' }],
    });
    const again = await qbo('POST', '/payment', {
      CustomerRef: { value: customerId },
      TotalAmt: 0,
      Line: [
        { Amount: 1, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] },
        { Amount: 1, LinkedTxn: [{ TxnId: cm.body.CreditMemo.Id, TxnType: 'CreditMemo' }] },
      ],
    });
    expect(again.body.Fault.Error[0].code).toBe('6000');
    const noAccount = await qbo('POST', '/refundreceipt', {
      CustomerRef: { value: customerId },
      Line: [{ DetailType: 'SalesItemLineDetail', Amount: 5 }],
    });
    expect(noAccount.body.Fault.Error[0]).toMatchObject({
      code: '2020',
      element: 'DepositToAccountRef',
    });
    const rr = await qbo('POST', '/refundreceipt', {
      CustomerRef: { value: customerId },
      DepositToAccountRef: { value: '4' },
      Line: [{ DetailType: 'SalesItemLineDetail', Amount: 5 }],
    });
    expect(rr.body.RefundReceipt).toMatchObject({
      TotalAmt: 5,
      DepositToAccountRef: { name: 'Checking' },
    });
  });

  it('keeps foreign-currency documents in their currency with the home amount beside (JPY: no decimals)', async () => {
    const jp = (await qbo('POST', '/customer', customer('Tanaka KK', 'JPY'))).body.Customer;
    const bad = await qbo('POST', '/invoice', {
      CustomerRef: { value: jp.Id },
      Line: [{ DetailType: 'SalesItemLineDetail', Amount: 1000.5 }],
    });
    expect(bad.status).toBe(400);
    const wrongCurrency = await qbo('POST', '/invoice', {
      CustomerRef: { value: jp.Id },
      CurrencyRef: { value: 'USD' },
      Line: [{ DetailType: 'SalesItemLineDetail', Amount: 10 }],
    });
    expect(wrongCurrency.body.Fault.Error[0].code).toBe('6000');
    const inv = await qbo('POST', '/invoice', {
      CustomerRef: { value: jp.Id },
      ExchangeRate: 0.0067,
      Line: [{ DetailType: 'SalesItemLineDetail', Amount: 120000 }],
      TxnTaxDetail: { TotalTax: 12000 },
    });
    expect(inv.body.Invoice).toMatchObject({
      TotalAmt: 132000,
      CurrencyRef: { value: 'JPY' },
      ExchangeRate: 0.0067,
      HomeTotalAmt: 884.4,
    });
  });
});

describe('requestid idempotency', () => {
  it('answers a replayed requestid with the first answer and writes once', async () => {
    const body = customer('Replay Ltd');
    const first = await qbo('POST', '/customer?requestid=req-0001', body);
    const again = await qbo('POST', '/customer?requestid=req-0001', body);
    expect(again.body).toEqual(first.body);
    const count = await query("select count(*) from Customer where DisplayName = 'Replay Ltd'");
    expect(count.body.QueryResponse.totalCount).toBe(1);
    // A new request id is a new request: the duplicate name fault, in a 200.
    const fresh = await qbo('POST', '/customer?requestid=req-0002', body);
    expect(fresh.body.Fault.Error[0].code).toBe('6240');
  });
});

describe('query', () => {
  it('filters with =, LIKE and IN, pages with STARTPOSITION/MAXRESULTS, counts', async () => {
    for (const n of [1, 2, 3, 4, 5])
      await qbo('POST', '/customer', customer(`Page Co ${n} [rs:abc${n}]`));
    const like = await query("select * from Customer where DisplayName like '%[rs:abc3]'");
    expect(
      like.body.QueryResponse.Customer.map((c: { DisplayName: string }) => c.DisplayName),
    ).toEqual(['Page Co 3 [rs:abc3]']);
    const page2 = await query(
      "select * from Customer where DisplayName like 'Page Co%' STARTPOSITION 3 MAXRESULTS 2",
    );
    expect(page2.body.QueryResponse).toMatchObject({ startPosition: 3, maxResults: 2 });
    expect(
      page2.body.QueryResponse.Customer.map((c: { DisplayName: string }) => c.DisplayName[8]),
    ).toEqual(['3', '4']);
    const none = await query("select * from Customer where DisplayName = 'Nobody'");
    expect(none.body.QueryResponse).toEqual({});
    const inList = await query(
      "select Id, DisplayName from Customer where CurrencyRef in ('JPY', 'EUR')",
    );
    expect(inList.body.QueryResponse.Customer).toHaveLength(1);
    await qbo('POST', '/customer', customer("O'Brien \\ Sons"));
    const quoted = await query("select * from Customer where CompanyName = 'O\\'Brien \\\\ Sons'");
    expect(quoted.body.QueryResponse.Customer[0].CompanyName).toBe("O'Brien \\ Sons");
    const bad = await query('select * from Nothing');
    expect(bad.status).toBe(400);
    expect(bad.body.Fault).toMatchObject({ type: 'QueryParserError', Error: [{ code: '4000' }] });
  });
});

describe('change data capture', () => {
  it('answers changes since a time, at most cdcMaxResults, oldest first; the next page starts at the last time', async () => {
    const since = new Date(emu.clock.now() - 60_000).toISOString();
    const cdc = (changedSince: string) =>
      qbo('GET', `/cdc?entities=Customer,Invoice&changedSince=${encodeURIComponent(changedSince)}`);
    const first = await cdc(since);
    const [customers, invoices] = first.body.CDCResponse[0].QueryResponse;
    const got = [...(customers.Customer ?? []), ...(invoices.Invoice ?? [])];
    expect(got).toHaveLength(3); // capped
    const seen = new Set(got.map((r: { Id: string }) => r.Id));
    // The oldest three: the first customers this file created.
    expect((customers.Customer ?? []).map((c: { DisplayName: string }) => c.DisplayName)).toEqual(
      ['Acme Corp', 'Tanaka KK', 'Replay Ltd'].slice(0, (customers.Customer ?? []).length),
    );
    // Push the clock past every earlier change: a cursor at the new second sees only what follows.
    emu.clock.advance(2_000);
    const cursor = new Date(emu.clock.now()).toISOString();
    await qbo('POST', '/customer', customer('Later Inc'));
    const next = await cdc(cursor);
    const later = next.body.CDCResponse[0].QueryResponse[0].Customer;
    expect(later.map((c: { DisplayName: string }) => c.DisplayName)).toEqual(['Later Inc']);
    expect(seen.has(later[0].Id)).toBe(false);
    const old = await cdc(new Date(emu.clock.now() - 31 * 86_400_000).toISOString());
    expect(old.status).toBe(400);
  });
});

describe('closing date', () => {
  it('refuses postings dated in a password-closed period (6210) and lists the periods', async () => {
    await fetch(`${emu.url}/_emulator/realms/${US}/book-close`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ date: '2026-11-30', password: 'close' }),
    });
    const late = await qbo('POST', '/invoice', {
      CustomerRef: { value: customerId },
      TxnDate: '2026-11-15',
      Line: [{ DetailType: 'SalesItemLineDetail', Amount: 1 }],
    });
    expect(late.status).toBe(400);
    expect(late.body.Fault.Error[0]).toMatchObject({ code: '6210', element: 'TxnDate' });
    const prefs = await qbo('GET', '/preferences');
    expect(prefs.body.Preferences.AccountingInfoPrefs.BookCloseDate).toBe('2026-11-30');
    const periods = (await (
      await fetch(`${emu.url}/_emulator/realms/${US}/periods?year=2026`)
    ).json()) as {
      periods: { period: string; status: string }[];
    };
    expect(periods.periods.find((p) => p.period === '2026-11')?.status).toBe('closed');
    expect(periods.periods.find((p) => p.period === '2026-12')?.status).toBe('open');
    await fetch(`${emu.url}/_emulator/realms/${US}/book-close`, { method: 'DELETE' });
  });
});

describe('limits and webhooks', () => {
  it('throttles a realm at its per-minute limit with a ThrottleExceeded fault (429)', async () => {
    const small = await startQuickbooksEmulator({ port: 0, ratePerMinute: 3 });
    try {
      const token = (
        await fetch(small.tokenUrl, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${small.clientId}:${small.clientSecret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: `grant_type=refresh_token&refresh_token=${small.refreshTokens[small.realmIds[0]!]}`,
        }).then((r) => r.json() as Promise<{ access_token: string }>)
      ).access_token;
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 4; i += 1) {
        last = await fetch(`${small.url}/v3/company/${small.realmIds[0]}/preferences`, {
          headers: { authorization: `Bearer ${token}` },
        });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(await last!.json()).toMatchObject({
        Fault: { type: 'ThrottleExceeded', Error: [{ code: '3001' }] },
      });
    } finally {
      await small.close();
    }
  });

  it('signs data-change webhooks with intuit-signature (HMAC-SHA256 of the body, base64)', async () => {
    await emu.webhooksIdle();
    expect(received.length).toBeGreaterThan(0);
    for (const r of received) {
      const expected = createHmac('sha256', emu.verifierToken).update(r.body).digest('base64');
      expect(r.signature).toBe(expected);
    }
    const body = JSON.parse(received[0]!.body) as {
      eventNotifications: { realmId: string; dataChangeEvent: { entities: unknown[] } }[];
    };
    expect(body.eventNotifications[0]).toMatchObject({
      realmId: US,
      dataChangeEvent: { entities: [{ name: 'Customer', operation: 'Create' }] },
    });
    received = [];
  });
});
