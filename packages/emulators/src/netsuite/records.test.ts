import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startNetsuiteEmulator, type NetsuiteEmulator } from './index.ts';
import { createNetsuiteTestClient, idFromLocation, type SuiteqlPage } from './test-client.ts';

let emu: NetsuiteEmulator;
let ns: ReturnType<typeof createNetsuiteTestClient>;
beforeAll(async () => {
  emu = await startNetsuiteEmulator({ port: 0 });
  ns = createNetsuiteTestClient(emu);
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const R = '/services/rest/record/v1';

function errorCode(body: unknown): string | undefined {
  return (body as { 'o:errorDetails'?: { 'o:errorCode': string }[] })['o:errorDetails']?.[0]?.[
    'o:errorCode'
  ];
}

describe('customers', () => {
  it('creates a customer: 204, Location, empty body; then reads it', async () => {
    const res = await ns.post(`${R}/customer`, {
      companyName: 'Acme Ltd',
      email: 'billing@acme.example',
      subsidiary: { id: '2' },
      externalId: 'acme-1',
      custentity_segment: 'mid-market',
    });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expect(res.headers.get('location')).toMatch(new RegExp(`^${emu.url}${R}/customer/\\d+$`));
    const got = await ns.get(`${R}/customer/${idFromLocation(res)}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      id: idFromLocation(res),
      companyName: 'Acme Ltd',
      isPerson: false,
      email: 'billing@acme.example',
      externalId: 'acme-1',
      subsidiary: { id: '2', refName: 'UK' },
      currency: { id: '2', refName: 'British pound' },
      custentity_segment: 'mid-market',
      links: [{ rel: 'self', href: `${emu.url}${R}/customer/${idFromLocation(res)}` }],
    });
    expect(got.body['lastModifiedDate']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it('upserts with PUT …/eid:VALUE: creates, then updates the same record; GET by eid', async () => {
    const first = await ns.put(`${R}/customer/eid:cus_ABC-1`, {
      companyName: 'Initech',
      subsidiary: { id: '1' },
    });
    expect(first.status).toBe(204);
    const id = idFromLocation(first);
    const second = await ns.put(`${R}/customer/eid:cus_ABC-1`, { companyName: 'Initech LLC' });
    expect(second.status).toBe(204);
    expect(idFromLocation(second)).toBe(id);
    const got = await ns.get(`${R}/customer/eid:cus_ABC-1`);
    expect(got.body).toMatchObject({ id, companyName: 'Initech LLC', externalId: 'cus_ABC-1' });
    const list = await ns.get<SuiteqlPage<{ id: string }>>(`${R}/customer`);
    expect(list.body.totalResults).toBe(1);
  });

  it('PATCH and DELETE work with eid: too', async () => {
    await ns.put(`${R}/customer/eid:x1`, { companyName: 'A', subsidiary: 1 });
    expect((await ns.patch(`${R}/customer/eid:x1`, { email: 'a@a.example' })).status).toBe(204);
    expect((await ns.get(`${R}/customer/eid:x1`)).body['email']).toBe('a@a.example');
    expect((await ns.delete(`${R}/customer/eid:x1`)).status).toBe(204);
    const gone = await ns.get(`${R}/customer/eid:x1`);
    expect(gone.status).toBe(404);
    expect(errorCode(gone.body)).toBe('NONEXISTENT_ID');
  });

  it('refuses a POST with an external id already in use', async () => {
    await ns.post(`${R}/customer`, { companyName: 'A', subsidiary: 1, externalId: 'dup' });
    const again = await ns.post(`${R}/customer`, {
      companyName: 'B',
      subsidiary: 1,
      externalId: 'dup',
    });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({
      status: 400,
      title: 'Bad Request',
      'o:errorDetails': [{ 'o:errorCode': 'USER_ERROR', 'o:errorPath': 'externalId' }],
    });
  });

  it('refuses external ids with characters other than letters, digits, _ and -', async () => {
    const inUrl = await ns.get(`${R}/customer/eid:bad.id`);
    expect(inUrl.status).toBe(400);
    expect(errorCode(inUrl.body)).toBe('INVALID_ID');
    const inBody = await ns.post(`${R}/customer`, {
      companyName: 'A',
      subsidiary: 1,
      externalId: 'a b',
    });
    expect(inBody.status).toBe(400);
    expect(errorCode(inBody.body)).toBe('INVALID_CONTENT');
  });

  it('only upserts through eid:', async () => {
    const res = await ns.put(`${R}/customer/101`, { companyName: 'A', subsidiary: 1 });
    expect(res.status).toBe(405);
  });

  it('validates required fields and references', async () => {
    const noName = await ns.post(`${R}/customer`, { subsidiary: { id: '1' } });
    expect(noName.status).toBe(400);
    expect(noName.body).toMatchObject({
      'o:errorDetails': [{ 'o:errorCode': 'USER_ERROR', 'o:errorPath': 'companyName' }],
    });
    const noSubsidiary = await ns.post(`${R}/customer`, { companyName: 'A' });
    expect(noSubsidiary.status).toBe(400);
    const person = await ns.post(`${R}/customer`, {
      isPerson: true,
      firstName: 'Ada',
      subsidiary: 1,
    });
    expect(person.body).toMatchObject({ 'o:errorDetails': [{ 'o:errorPath': 'lastName' }] });
    const badRef = await ns.post(`${R}/customer`, { companyName: 'A', subsidiary: { id: '99' } });
    expect(badRef.status).toBe(400);
    expect(badRef.body).toMatchObject({
      'o:errorDetails': [
        {
          'o:errorCode': 'INVALID_CONTENT',
          'o:errorPath': 'subsidiary',
          detail: expect.stringContaining('Invalid Field Value 99'),
        },
      ],
    });
  });

  it('ignores unknown fields unless X-NetSuite-PropertyNameValidation: Error', async () => {
    const lax = await ns.post(`${R}/customer`, { companyName: 'A', subsidiary: 1, colour: 'red' });
    expect(lax.status).toBe(204);
    const strict = await ns.post(
      `${R}/customer`,
      { companyName: 'B', subsidiary: 1, colour: 'red' },
      { headers: { 'X-NetSuite-PropertyNameValidation': 'Error' } },
    );
    expect(strict.status).toBe(400);
    expect(strict.body).toMatchObject({ 'o:errorDetails': [{ 'o:errorPath': 'colour' }] });
  });

  it('returns only the requested fields with ?fields=', async () => {
    const res = await ns.post(`${R}/customer`, {
      companyName: 'A',
      email: 'a@x.example',
      subsidiary: 1,
    });
    const got = await ns.get(`${R}/customer/${idFromLocation(res)}?fields=email,companyName`);
    expect(Object.keys(got.body).sort()).toEqual(['companyName', 'email', 'id', 'links']);
  });

  it('answers 404 for a missing record and an unknown record type', async () => {
    const missing = await ns.get(`${R}/customer/999999`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      title: 'Not Found',
      'o:errorDetails': [{ 'o:errorCode': 'NONEXISTENT_ID' }],
    });
    expect((await ns.get(`${R}/salesorderz`)).status).toBe(404);
  });

  it('refuses to delete a customer with transactions', async () => {
    const c = idFromLocation(await ns.post(`${R}/customer`, { companyName: 'A', subsidiary: 1 }));
    const item = idFromLocation(await ns.post(`${R}/serviceitem`, { itemId: 'Setup' }));
    await ns.post(`${R}/invoice`, {
      entity: { id: c },
      item: { items: [{ item: { id: item }, amount: 10 }] },
    });
    const res = await ns.delete(`${R}/customer/${c}`);
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe('USER_ERROR');
  });
});

describe('reference data', () => {
  it('serves seeded subsidiaries and currencies, read-only', async () => {
    const uk = await ns.get(`${R}/subsidiary/2`);
    expect(uk.body).toMatchObject({ name: 'UK', currency: { id: '2', refName: 'British pound' } });
    const jpy = await ns.get(`${R}/currency/5`);
    expect(jpy.body).toMatchObject({ symbol: 'JPY', currencyPrecision: 0 });
    const currencies = await ns.get<SuiteqlPage<{ id: string }>>(`${R}/currency`);
    expect(currencies.body.totalResults).toBe(6);
    const write = await ns.post(`${R}/subsidiary`, { name: 'New' });
    expect(write.status).toBe(405);
    expect((await ns.delete(`${R}/currency/1`)).status).toBe(405);
  });

  it('recreates the seed data on reset', async () => {
    await ns.post(`${R}/customer`, { companyName: 'A', subsidiary: 1 });
    const reset = await fetch(`${emu.url}/_emulator/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    expect((await ns.get<SuiteqlPage<unknown>>(`${R}/customer`)).body.totalResults).toBe(0);
    expect((await ns.get<SuiteqlPage<unknown>>(`${R}/subsidiary`)).body.totalResults).toBe(6);
    const state = (await (await fetch(`${emu.url}/_emulator/state`)).json()) as {
      state: { accountId: string; currency: unknown[] };
    };
    expect(state.state.accountId).toBe(emu.accountId);
    expect(state.state.currency).toHaveLength(6);
  });
});

describe('items', () => {
  it('creates a non-inventory sale item with a unique itemId', async () => {
    const res = await ns.post(`${R}/noninventorysaleitem`, {
      itemId: 'PRO-MONTHLY',
      displayName: 'Pro plan (monthly)',
      incomeAccount: { id: '6' },
    });
    expect(res.status).toBe(204);
    expect((await ns.get(`${R}/noninventorysaleitem/${idFromLocation(res)}`)).body).toMatchObject({
      itemId: 'PRO-MONTHLY',
      displayName: 'Pro plan (monthly)',
      incomeAccount: { id: '6', refName: '4000 Subscription Revenue' },
    });
    const dup = await ns.post(`${R}/serviceitem`, { itemId: 'PRO-MONTHLY' });
    expect(dup.status).toBe(400);
  });
});

describe('collections', () => {
  beforeEach(() => {
    for (let i = 1; i <= 5; i++) {
      emu.records.create('customer', {
        companyName: `Company ${i}`,
        email: i % 2 ? `billing${i}@odd.example` : `ap${i}@even.example`,
        subsidiary: { id: String(1 + (i % 2)) },
        externalId: `C-${i}`,
      });
    }
  });

  it('pages with limit/offset and links to follow', async () => {
    const first = await ns.get<SuiteqlPage<{ id: string }>>(`${R}/customer?limit=2`);
    expect(first.body).toMatchObject({ count: 2, hasMore: true, offset: 0, totalResults: 5 });
    const rels = first.body.links.map((l) => l.rel);
    expect(rels).toEqual(['next', 'last', 'self']);
    expect(first.body.items[0]).toMatchObject({
      id: '101',
      links: [{ rel: 'self', href: `${emu.url}${R}/customer/101` }],
    });
    const seen = first.body.items.map((i) => i.id);
    let next = first.body.links.find((l) => l.rel === 'next')?.href;
    while (next) {
      const page = await ns.get<SuiteqlPage<{ id: string }>>(next.slice(emu.url.length));
      seen.push(...page.body.items.map((i) => i.id));
      expect(page.body.links.map((l) => l.rel)).toContain('previous');
      expect(page.body.links.map((l) => l.rel)).toContain('first');
      next = page.body.links.find((l) => l.rel === 'next')?.href;
    }
    expect(seen).toEqual(['101', '102', '103', '104', '105']);
    const last = await ns.get<SuiteqlPage<unknown>>(`${R}/customer?limit=2&offset=4`);
    expect(last.body).toMatchObject({ count: 1, hasMore: false, offset: 4 });
  });

  it('refuses limit above 1000', async () => {
    const res = await ns.get(`${R}/customer?limit=1001`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      'o:errorDetails': [{ 'o:errorCode': 'INVALID_PARAMETER', 'o:errorQueryParam': 'limit' }],
    });
  });

  it('filters with q', async () => {
    const q = async (expr: string) =>
      (
        await ns.get<SuiteqlPage<{ id: string }>>(`${R}/customer?q=${encodeURIComponent(expr)}`)
      ).body.items.map((i) => i.id);
    expect(await q('externalId IS "C-3"')).toEqual(['103']);
    expect(await q('email START_WITH "ap"')).toEqual(['102', '104']);
    expect(await q('email CONTAIN "odd" AND subsidiary ANY_OF [2]')).toEqual(['101', '103', '105']);
    expect(await q('externalId IS "C-1" OR externalId IS "C-5"')).toEqual(['101', '105']);
    expect(await q('lastModifiedDate AFTER "2000-01-01"')).toHaveLength(5);
    expect(await q('lastModifiedDate BEFORE "2000-01-01"')).toEqual([]);
    const bad = await ns.get(`${R}/customer?q=${encodeURIComponent('email LOOKS_LIKE "x"')}`);
    expect(bad.status).toBe(400);
    expect(errorCode(bad.body)).toBe('INVALID_PARAMETER');
  });
});

describe('admin and protocol edges', () => {
  it('seeds records through POST /_emulator/records/{type} without signing', async () => {
    const res = await fetch(`${emu.url}/_emulator/records/customer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { companyName: 'Seed 1', subsidiary: 1 },
        { companyName: 'Seed 2', subsidiary: 3, externalId: 'seed-2' },
      ]),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ type: 'customer', ids: ['101', '102'] });
    expect((await ns.get(`${R}/customer/eid:seed-2`)).body).toMatchObject({
      currency: { refName: 'Euro' },
    });
  });

  it('lists receipts by type: first wall-clock arrival and the write count per record', async () => {
    const before = Date.now();
    expect(
      (await ns.put(`${R}/customer/eid:rcpt-1`, { companyName: 'R', subsidiary: 1 })).status,
    ).toBe(204);
    expect(
      (await ns.put(`${R}/customer/eid:rcpt-1`, { companyName: 'R2', subsidiary: 1 })).status,
    ).toBe(204);
    const res = await fetch(`${emu.url}/_emulator/receipts/customer?since=${before}`);
    const body = (await res.json()) as {
      count: number;
      items: { externalId?: string; receivedAtMs: number; writes: number }[];
    };
    expect(body.count).toBe(1);
    expect(body.items[0]).toMatchObject({ externalId: 'rcpt-1', writes: 2 });
    expect(body.items[0]!.receivedAtMs).toBeGreaterThanOrEqual(before);
    expect(body.items[0]!.receivedAtMs).toBeLessThanOrEqual(Date.now());
    const later = await fetch(
      `${emu.url}/_emulator/receipts/customer?since=${Date.now() + 60_000}`,
    );
    expect(((await later.json()) as { count: number }).count).toBe(0);
    expect((await fetch(`${emu.url}/_emulator/receipts/nothing`)).status).toBe(400);
  });

  it("answers unknown paths and wrong methods in NetSuite's error shape", async () => {
    const unknown = await ns.get('/services/rest/nothing/here');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('type=error');
    expect(unknown.body).toMatchObject({
      status: 404,
      'o:errorDetails': [{ 'o:errorCode': 'INVALID_URL' }],
    });
    const wrongMethod = await ns.post(`${R}/customer/101`, {});
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toContain('PATCH');
    const badJson = await ns.request('POST', `${R}/customer`, {
      headers: { 'content-type': 'application/json' },
    });
    expect(badJson.status).toBe(400);
  });
});
