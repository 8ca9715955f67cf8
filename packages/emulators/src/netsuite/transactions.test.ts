import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startNetsuiteEmulator, type NetsuiteEmulator } from './index.ts';
import { createNetsuiteTestClient, idFromLocation } from './test-client.ts';

let emu: NetsuiteEmulator;
let ns: ReturnType<typeof createNetsuiteTestClient>;
let ukCustomer: string;
let usCustomer: string;
let plan: string;
let setup: string;

beforeAll(async () => {
  emu = await startNetsuiteEmulator({ port: 0 });
  ns = createNetsuiteTestClient(emu);
});
afterAll(() => emu.close());
beforeEach(async () => {
  emu.reset();
  ukCustomer = idFromLocation(
    await ns.post(`${R}/customer`, { companyName: 'Globex UK', subsidiary: { id: '2' } }),
  );
  usCustomer = idFromLocation(
    await ns.post(`${R}/customer`, { companyName: 'Globex US', subsidiary: { id: '1' } }),
  );
  plan = idFromLocation(await ns.post(`${R}/noninventorysaleitem`, { itemId: 'PLAN-PRO' }));
  setup = idFromLocation(await ns.post(`${R}/serviceitem`, { itemId: 'ONBOARDING' }));
});

const R = '/services/rest/record/v1';

function detail(body: unknown): { detail: string; 'o:errorCode': string; 'o:errorPath'?: string } {
  return (body as { 'o:errorDetails': { detail: string; 'o:errorCode': string }[] })[
    'o:errorDetails'
  ][0] as { detail: string; 'o:errorCode': string };
}

async function createInvoice(body: Record<string, unknown>): Promise<string> {
  const res = await ns.post(`${R}/invoice`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(204);
  return idFromLocation(res);
}

describe('invoices', () => {
  it('creates an invoice with item lines, tax and currency in a subsidiary', async () => {
    const id = await createInvoice({
      entity: { id: ukCustomer },
      subsidiary: { id: '2' },
      currency: { id: '2' },
      tranDate: '2026-01-15',
      externalId: 'in_1ABC',
      memo: 'January subscription',
      custbody_source: 'stripe',
      taxTotal: 24.0,
      item: {
        items: [
          {
            item: { id: plan },
            quantity: 1,
            rate: 100,
            description: 'Pro plan, Jan 2026',
            revRecStartDate: '2026-01-01',
            revRecEndDate: '2026-01-31',
            custcol_stripe_line: 'il_1',
          },
          { item: { id: setup }, quantity: 2, rate: 10.005 },
        ],
      },
    });
    const inv = await ns.get(`${R}/invoice/${id}?expandSubResources=true`);
    expect(inv.body).toMatchObject({
      tranId: 'INV0001',
      tranDate: '2026-01-15',
      entity: { id: ukCustomer },
      subsidiary: { id: '2' },
      currency: { id: '2', refName: 'British pound' },
      externalId: 'in_1ABC',
      memo: 'January subscription',
      custbody_source: 'stripe',
      subtotal: 120.01,
      taxTotal: 24,
      total: 144.01,
      amountRemaining: 144.01,
      status: { id: 'A', refName: 'Open' },
      item: {
        count: 2,
        items: [
          {
            line: 1,
            item: { id: plan, refName: 'PLAN-PRO' },
            quantity: 1,
            rate: 100,
            amount: 100,
            description: 'Pro plan, Jan 2026',
            revRecStartDate: '2026-01-01',
            revRecEndDate: '2026-01-31',
            custcol_stripe_line: 'il_1',
          },
          { line: 2, item: { id: setup }, quantity: 2, amount: 20.01 },
        ],
      },
    });
    const plain = await ns.get(`${R}/invoice/${id}`);
    expect(plain.body['item']).toEqual({
      links: [{ rel: 'self', href: `${emu.url}${R}/invoice/${id}/item` }],
    });
    const lines = await ns.get(`${R}/invoice/${id}/item`);
    expect(lines.body).toMatchObject({ count: 2, totalResults: 2 });
    const line = await ns.get(`${R}/invoice/${id}/item/2`);
    expect(line.body).toMatchObject({ line: 2, amount: 20.01 });
  });

  it('defaults subsidiary and currency from the customer and numbers tranIds per type', async () => {
    const a = await createInvoice({
      entity: { id: usCustomer },
      item: { items: [{ item: { id: plan }, amount: 5 }] },
    });
    const b = await createInvoice({
      entity: { id: usCustomer },
      item: { items: [{ item: { id: plan }, amount: 6 }] },
    });
    expect((await ns.get(`${R}/invoice/${a}`)).body).toMatchObject({
      tranId: 'INV0001',
      subsidiary: { id: '1' },
      currency: { id: '1' },
    });
    expect((await ns.get(`${R}/invoice/${b}`)).body['tranId']).toBe('INV0002');
  });

  it('refuses a currency not allowed for the customer, and another subsidiary', async () => {
    const eur = await ns.post(`${R}/invoice`, {
      entity: { id: ukCustomer },
      currency: { id: '4' },
      item: { items: [{ item: { id: plan }, amount: 5 }] },
    });
    expect(eur.status).toBe(400);
    expect(detail(eur.body)).toMatchObject({
      'o:errorCode': 'USER_ERROR',
      'o:errorPath': 'currency',
    });
    const usd = await ns.post(`${R}/invoice`, {
      entity: { id: ukCustomer },
      subsidiary: { id: '1' },
      item: { items: [{ item: { id: plan }, amount: 5 }] },
    });
    expect(usd.status).toBe(400);
    expect(detail(usd.body)['o:errorPath']).toBe('subsidiary');
  });

  it('allows the subsidiary base currency besides the customer currency', async () => {
    const c = idFromLocation(
      await ns.post(`${R}/customer`, {
        companyName: 'Euro buyer',
        subsidiary: 2,
        currency: { id: '4' },
      }),
    );
    await createInvoice({
      entity: { id: c },
      item: { items: [{ item: { id: plan }, amount: 5 }] },
    });
    await createInvoice({
      entity: { id: c },
      currency: 2,
      item: { items: [{ item: { id: plan }, amount: 5 }] },
    });
  });

  it('rewrites a posted invoice currency by hand through the admin route (same decimals only)', async () => {
    const id = await createInvoice({
      entity: { id: ukCustomer },
      externalId: 'in_CUR',
      item: { items: [{ item: { id: plan }, quantity: 1, rate: 100 }] },
    });
    const rewrite = (key: string, body: unknown, type = 'invoice') =>
      fetch(`${emu.url}/_emulator/transactions/${type}/${key}/currency`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    // The record routes refuse EUR for a GBP customer in the UK subsidiary; a hand edit does not ask.
    const res = await rewrite('eid:in_CUR', { currency: 'EUR' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ type: 'invoice', id, currency: 'EUR' });
    const got = await ns.get<{ currency: { id: string }; total: number }>(`${R}/invoice/${id}`);
    expect(got.body.currency.id).toBe('4');
    expect(got.body.total).toBe(100);
    const rows = await ns.suiteql<{ currency: string }>(
      `SELECT currency FROM transaction WHERE id = ${id}`,
    );
    expect(rows.body.items.map((r) => String(r.currency))).toEqual(['4']);
    // By internal id and currency id too; JPY (no decimals) would change what 100.00 means.
    expect((await rewrite(id, { currency: '2' })).status).toBe(200);
    expect((await rewrite(id, { currency: 'JPY' })).status).toBe(400);
    expect((await rewrite(id, { currency: 'XXX' })).status).toBe(400);
    expect((await rewrite('eid:nothing', { currency: 'EUR' })).status).toBe(404);
    expect((await rewrite(ukCustomer, { currency: 'EUR' }, 'customer')).status).toBe(400);
    expect(
      (await ns.get<{ currency: { id: string } }>(`${R}/invoice/${id}`)).body.currency.id,
    ).toBe('2');
  });

  it('refuses more decimals than the currency has', async () => {
    const jp = idFromLocation(await ns.post(`${R}/customer`, { companyName: 'KK', subsidiary: 4 }));
    const bad = await ns.post(`${R}/invoice`, {
      entity: { id: jp },
      item: { items: [{ item: { id: plan }, amount: 1000.5 }] },
    });
    expect(bad.status).toBe(400);
    expect(detail(bad.body)).toMatchObject({
      'o:errorCode': 'INVALID_CONTENT',
      'o:errorPath': 'item.items[0].amount',
    });
    const cents = await ns.post(`${R}/invoice`, {
      entity: { id: usCustomer },
      item: { items: [{ item: { id: plan }, amount: 1.005 }] },
    });
    expect(cents.status).toBe(400);
    const ok = await createInvoice({
      entity: { id: jp },
      item: { items: [{ item: { id: plan }, amount: 12000 }] },
    });
    expect((await ns.get(`${R}/invoice/${ok}`)).body['total']).toBe(12000);
  });

  it('keeps money exact (no float drift over many lines)', async () => {
    const items = Array.from({ length: 10 }, () => ({ item: { id: plan }, amount: 0.1 }));
    const id = await createInvoice({ entity: { id: usCustomer }, item: { items }, taxTotal: 0.2 });
    expect((await ns.get(`${R}/invoice/${id}`)).body).toMatchObject({ subtotal: 1, total: 1.2 });
  });

  it('validates lines and references', async () => {
    const noLines = await ns.post(`${R}/invoice`, { entity: { id: usCustomer } });
    expect(noLines.status).toBe(400);
    const noEntity = await ns.post(`${R}/invoice`, {
      item: { items: [{ item: { id: plan }, amount: 1 }] },
    });
    expect(detail(noEntity.body)['o:errorPath']).toBe('entity');
    const unknownCustomer = await ns.post(`${R}/invoice`, {
      entity: { id: '99999' },
      item: { items: [{ item: { id: plan }, amount: 1 }] },
    });
    expect(detail(unknownCustomer.body)).toMatchObject({
      'o:errorCode': 'INVALID_CONTENT',
      'o:errorPath': 'entity',
    });
    const unknownItem = await ns.post(`${R}/invoice`, {
      entity: { id: usCustomer },
      item: { items: [{ item: { id: '9999' }, amount: 1 }] },
    });
    expect(detail(unknownItem.body)['o:errorPath']).toBe('item.items[0].item');
    const backwards = await ns.post(`${R}/invoice`, {
      entity: { id: usCustomer },
      item: {
        items: [
          {
            item: { id: plan },
            amount: 1,
            revRecStartDate: '2026-02-01',
            revRecEndDate: '2026-01-01',
          },
        ],
      },
    });
    expect(backwards.status).toBe(400);
  });

  it('references a customer by externalId', async () => {
    await ns.patch(`${R}/customer/${usCustomer}`, { externalId: 'cus_US' });
    const id = await createInvoice({
      entity: { externalId: 'cus_US' },
      item: { items: [{ item: { id: plan }, amount: 1 }] },
    });
    expect((await ns.get(`${R}/invoice/${id}`)).body['entity']).toMatchObject({ id: usCustomer });
  });
});

describe('customer payments', () => {
  it('applies a payment to an invoice and turns it Paid In Full', async () => {
    const inv = await createInvoice({
      entity: { id: ukCustomer },
      taxTotal: 20,
      item: { items: [{ item: { id: plan }, quantity: 1, rate: 100 }] },
    });
    const partial = await ns.post(`${R}/customerpayment`, {
      customer: { id: ukCustomer },
      payment: 50,
      apply: { items: [{ doc: { id: inv }, apply: true, amount: 50 }] },
    });
    expect(partial.status).toBe(204);
    expect((await ns.get(`${R}/invoice/${inv}`)).body).toMatchObject({
      amountPaid: 50,
      amountRemaining: 70,
      status: { refName: 'Open' },
    });
    const rest = await ns.post(`${R}/customerpayment`, {
      customer: { id: ukCustomer },
      currency: { id: '2' },
      payment: 70,
      externalId: 'pi_123',
      apply: { items: [{ doc: { id: inv }, apply: true, amount: 70 }] },
    });
    expect(rest.status).toBe(204);
    expect((await ns.get(`${R}/invoice/${inv}`)).body).toMatchObject({
      amountRemaining: 0,
      status: { id: 'B', refName: 'Paid In Full' },
    });
    const payment = await ns.get(`${R}/customerpayment/eid:pi_123?expandSubResources=true`);
    expect(payment.body).toMatchObject({
      tranId: 'PYMT0002',
      customer: { id: ukCustomer },
      payment: 70,
      applied: 70,
      unapplied: 0,
      apply: { items: [{ doc: { id: inv }, apply: true, amount: 70, refNum: 'INV0001' }] },
    });
  });

  it('defaults the applied amount to what is due', async () => {
    const inv = await createInvoice({
      entity: { id: usCustomer },
      item: { items: [{ item: { id: plan }, amount: 30 }] },
    });
    await ns.post(`${R}/customerpayment`, {
      customer: { id: usCustomer },
      payment: 100,
      apply: { items: [{ doc: { id: inv }, apply: true }] },
    });
    expect((await ns.get(`${R}/invoice/${inv}`)).body).toMatchObject({
      status: { refName: 'Paid In Full' },
    });
  });

  it('refuses over-application, other customers and missing fields', async () => {
    const inv = await createInvoice({
      entity: { id: usCustomer },
      item: { items: [{ item: { id: plan }, amount: 30 }] },
    });
    const tooMuch = await ns.post(`${R}/customerpayment`, {
      customer: { id: usCustomer },
      payment: 100,
      apply: { items: [{ doc: { id: inv }, apply: true, amount: 40 }] },
    });
    expect(tooMuch.status).toBe(400);
    expect(detail(tooMuch.body)['o:errorPath']).toBe('apply.items[0].amount');
    const moreThanPaid = await ns.post(`${R}/customerpayment`, {
      customer: { id: usCustomer },
      payment: 10,
      apply: { items: [{ doc: { id: inv }, apply: true, amount: 20 }] },
    });
    expect(moreThanPaid.status).toBe(400);
    const otherCustomer = await ns.post(`${R}/customerpayment`, {
      customer: { id: ukCustomer },
      payment: 10,
      apply: { items: [{ doc: { id: inv }, apply: true }] },
    });
    expect(otherCustomer.status).toBe(400);
    expect((await ns.post(`${R}/customerpayment`, { customer: { id: usCustomer } })).status).toBe(
      400,
    );
    expect((await ns.post(`${R}/customerpayment`, { payment: 5 })).status).toBe(400);
  });

  it('deleting a payment reopens the invoice; a paid invoice cannot be deleted', async () => {
    const inv = await createInvoice({
      entity: { id: usCustomer },
      item: { items: [{ item: { id: plan }, amount: 30 }] },
    });
    const pay = idFromLocation(
      await ns.post(`${R}/customerpayment`, {
        customer: { id: usCustomer },
        payment: 30,
        apply: { items: [{ doc: { id: inv }, apply: true }] },
      }),
    );
    expect((await ns.delete(`${R}/invoice/${inv}`)).status).toBe(400);
    expect((await ns.delete(`${R}/customerpayment/${pay}`)).status).toBe(204);
    expect((await ns.get(`${R}/invoice/${inv}`)).body).toMatchObject({
      amountRemaining: 30,
      status: { refName: 'Open' },
    });
  });
});

describe('credit memos', () => {
  it('credits an invoice it was created from', async () => {
    const inv = await createInvoice({
      entity: { id: ukCustomer },
      item: { items: [{ item: { id: plan }, amount: 100 }] },
    });
    const res = await ns.post(`${R}/creditmemo`, {
      entity: { id: ukCustomer },
      createdFrom: { id: inv },
      externalId: 'cn_1',
      item: { items: [{ item: { id: plan }, amount: 40, description: 'Downgrade proration' }] },
    });
    expect(res.status).toBe(204);
    const cm = await ns.get(`${R}/creditmemo/eid:cn_1?expandSubResources=true`);
    expect(cm.body).toMatchObject({
      tranId: 'CM0001',
      createdFrom: { id: inv },
      total: 40,
      applied: 40,
      unapplied: 0,
      status: { refName: 'Fully Applied' },
      apply: { items: [{ doc: { id: inv }, amount: 40 }] },
    });
    expect((await ns.get(`${R}/invoice/${inv}`)).body).toMatchObject({ amountRemaining: 60 });
  });

  it('applies a credit through its apply sublist, or leaves it open', async () => {
    const inv = await createInvoice({
      entity: { id: usCustomer },
      item: { items: [{ item: { id: plan }, amount: 25 }] },
    });
    const open = idFromLocation(
      await ns.post(`${R}/creditmemo`, {
        entity: { id: usCustomer },
        item: { items: [{ item: { id: plan }, amount: 25 }] },
      }),
    );
    expect((await ns.get(`${R}/creditmemo/${open}`)).body).toMatchObject({
      unapplied: 25,
      status: { refName: 'Open' },
    });
    expect(
      (
        await ns.patch(`${R}/creditmemo/${open}`, {
          apply: { items: [{ doc: { id: inv }, apply: true }] },
        })
      ).status,
    ).toBe(204);
    expect((await ns.get(`${R}/invoice/${inv}`)).body).toMatchObject({
      status: { refName: 'Paid In Full' },
    });
  });
});

describe('journal entries', () => {
  it('accepts balanced lines', async () => {
    const res = await ns.post(`${R}/journalentry`, {
      subsidiary: { id: '1' },
      memo: 'Recognise January revenue',
      line: {
        items: [
          { account: { id: '5' }, debit: 100.25, memo: 'Deferred revenue' },
          { account: { id: '6' }, credit: 100.25, entity: { id: usCustomer } },
        ],
      },
    });
    expect(res.status).toBe(204);
    const je = await ns.get(`${R}/journalentry/${idFromLocation(res)}?expandSubResources=true`);
    expect(je.body).toMatchObject({
      tranId: 'JE0001',
      currency: { id: '1' },
      line: {
        items: [
          { account: { id: '5', refName: '2400 Deferred Revenue' }, debit: 100.25 },
          { account: { id: '6' }, credit: 100.25, entity: { id: usCustomer } },
        ],
      },
    });
  });

  it('refuses lines that do not balance', async () => {
    const res = await ns.post(`${R}/journalentry`, {
      subsidiary: { id: '1' },
      line: {
        items: [
          { account: { id: '5' }, debit: 100 },
          { account: { id: '6' }, credit: 99.99 },
        ],
      },
    });
    expect(res.status).toBe(400);
    expect(detail(res.body)).toMatchObject({
      'o:errorCode': 'USER_ERROR',
      'o:errorPath': 'line',
      detail: expect.stringContaining('must equal'),
    });
    expect((await ns.get<{ totalResults: number }>(`${R}/journalentry`)).body.totalResults).toBe(0);
  });

  it('refuses a line with both debit and credit', async () => {
    const res = await ns.post(`${R}/journalentry`, {
      subsidiary: { id: '1' },
      line: {
        items: [
          { account: { id: '5' }, debit: 1, credit: 1 },
          { account: { id: '6' }, credit: 0 },
        ],
      },
    });
    expect(res.status).toBe(400);
  });
});
