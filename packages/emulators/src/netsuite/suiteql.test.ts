import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startNetsuiteEmulator, type NetsuiteEmulator } from './index.ts';
import { createNetsuiteTestClient, type SuiteqlPage } from './test-client.ts';

let emu: NetsuiteEmulator;
let ns: ReturnType<typeof createNetsuiteTestClient>;
beforeAll(async () => {
  emu = await startNetsuiteEmulator({ port: 0 });
  // Sign with the emulator clock: some tests move it forward.
  ns = createNetsuiteTestClient({ ...emu, now: () => emu.clock.now() });
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

type Item = Record<string, string>;
const query = (q: string, page?: { limit?: number; offset?: number }) => ns.suiteql<Item>(q, page);

function seedCustomers(n: number): void {
  for (let i = 1; i <= n; i++) {
    emu.records.create('customer', {
      companyName: `Customer ${i}`,
      subsidiary: { id: i % 3 === 0 ? '2' : '1' },
      externalId: `C${i}`,
      ...(i % 2 === 0 && { email: `c${i}@example.com` }),
    });
  }
}

function seedInvoices(): { plan: string; customers: string[] } {
  const plan = emu.records.create('noninventorysaleitem', { itemId: 'PLAN' }).id;
  const customers = [1, 2, 3].map(
    (i) => emu.records.create('customer', { companyName: `Buyer ${i}`, subsidiary: 1 }).id,
  );
  const invoice = (customer: string, amounts: number[], tranDate: string) =>
    emu.records.create('invoice', {
      entity: { id: customer },
      tranDate,
      item: { items: amounts.map((amount) => ({ item: { id: plan }, amount })) },
    });
  invoice(customers[0] as string, [10.1, 20.2], '2026-01-15');
  const paid = invoice(customers[0] as string, [5], '2026-02-01');
  invoice(customers[1] as string, [99.99], '2026-03-01');
  emu.records.create('customerpayment', {
    customer: { id: customers[0] },
    payment: 5,
    apply: { items: [{ doc: { id: paid.id }, apply: true }] },
  });
  return { plan, customers };
}

describe('SuiteQL endpoint', () => {
  it('needs Prefer: transient', async () => {
    const res = await ns.request('POST', '/services/rest/query/v1/suiteql', {
      body: { q: 'SELECT id FROM customer' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      'o:errorDetails': [{ 'o:errorCode': 'INVALID_HEADER', 'o:errorHeader': 'Prefer' }],
    });
  });

  it('pages through more than 1,000 rows with hasMore, offset and totalResults', async () => {
    seedCustomers(1205);
    const first = await query('SELECT id, entityid FROM customer ORDER BY id');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ count: 1000, hasMore: true, offset: 0, totalResults: 1205 });
    expect(first.body.items[0]).toEqual({ links: [], id: '101', entityid: 'CUS101' });
    const next = first.body.links.find((l) => l.rel === 'next')?.href ?? '';
    expect(next).toMatch(/\/services\/rest\/query\/v1\/suiteql\?limit=1000&offset=1000$/);
    const second = await ns.request<SuiteqlPage<Item>>('POST', next.slice(emu.url.length), {
      body: { q: 'SELECT id, entityid FROM customer ORDER BY id' },
      headers: { prefer: 'transient' },
    });
    expect(second.body).toMatchObject({
      count: 205,
      hasMore: false,
      offset: 1000,
      totalResults: 1205,
    });
    expect(second.body.items.at(-1)?.id).toBe('1305');
    const small = await query('SELECT id FROM customer ORDER BY id DESC', {
      limit: 10,
      offset: 20,
    });
    expect(small.body).toMatchObject({ count: 10, hasMore: true, offset: 20 });
    expect(small.body.items[0]?.id).toBe(String(1305 - 20));
    expect(small.body.links.map((l) => l.rel)).toEqual([
      'first',
      'previous',
      'next',
      'last',
      'self',
    ]);
  });

  it('refuses limit above 1000', async () => {
    const res = await query('SELECT id FROM customer', { limit: 1001 });
    expect(res.status).toBe(400);
  });

  it('polls by lastmodifieddate with a cursor, ordered by it', async () => {
    seedCustomers(3);
    const cursor = new Date(emu.clock.now()).toISOString().slice(0, 19).replace('T', ' ');
    emu.clock.advance(60_000);
    seedCustomers(0);
    emu.records.create('customer', { companyName: 'Late 1', subsidiary: 1 });
    emu.records.create('customer', { companyName: 'Late 2', subsidiary: 1 });
    emu.clock.advance(60_000);
    const first = emu.records.find('customer', '101');
    emu.records.update(first!, { email: 'changed@example.com' });

    const poll = await query(
      `SELECT id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS lmd, lastmodifieddate
         FROM customer
        WHERE lastmodifieddate > TO_TIMESTAMP('${cursor}', 'YYYY-MM-DD HH24:MI:SS')
        ORDER BY lastmodifieddate, id`,
    );
    expect(poll.status).toBe(200);
    expect(poll.body.items.map((i) => i.id)).toEqual(['104', '105', '101']);
    const lmds = poll.body.items.map((i) => i.lmd as string);
    expect([...lmds].sort()).toEqual(lmds);
    expect(lmds[0]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    // Untouched by TO_CHAR, a date-time comes back as the date only (NetSuite's default format).
    expect(poll.body.items[0]?.lastmodifieddate).toMatch(/^\d{1,2}\/\d{1,2}\/\d{4}$/);

    const asString = await query(
      `SELECT id FROM customer WHERE lastmodifieddate > '${cursor}' ORDER BY lastmodifieddate DESC, id`,
    );
    expect(asString.body.items.map((i) => i.id)).toEqual(['101', '104', '105']);
  });

  it('sees an invoice change when a payment is applied to it', async () => {
    const { customers } = seedInvoices();
    const cursor = new Date(emu.clock.now()).toISOString().slice(0, 19).replace('T', ' ');
    emu.clock.advance(5_000);
    const open = emu.state.list('invoice').find((i) => i.entity === customers[1]);
    emu.records.create('customerpayment', {
      customer: { id: customers[1] },
      payment: 99.99,
      apply: { items: [{ doc: { id: open!.id }, apply: true }] },
    });
    const res = await query(
      `SELECT id, type, status FROM transaction WHERE lastmodifieddate > TO_TIMESTAMP('${cursor}', 'YYYY-MM-DD HH24:MI:SS') ORDER BY id`,
    );
    expect(res.body.items).toEqual([
      { links: [], id: open!.id, type: 'CustInvc', status: 'B' },
      expect.objectContaining({ type: 'CustPymt' }),
    ]);
  });
});

describe('SuiteQL language', () => {
  it('selects with aliases, *, and leaves NULL columns out', async () => {
    seedCustomers(2);
    const res = await query(
      'SELECT c.id AS customer_id, c.email, c.externalid FROM customer c ORDER BY c.id',
    );
    expect(res.body.items).toEqual([
      { links: [], customer_id: '101', externalid: 'C1' },
      { links: [], customer_id: '102', email: 'c2@example.com', externalid: 'C2' },
    ]);
    const star = await query("SELECT * FROM currency WHERE symbol = 'JPY'");
    expect(star.body.items[0]).toMatchObject({
      id: '5',
      name: 'Japanese Yen',
      symbol: 'JPY',
      currencyprecision: '0',
      isbasecurrency: 'F',
    });
  });

  it('reads transactions with type, dates, totals and BUILTIN.DF', async () => {
    seedInvoices();
    const res = await query(
      `SELECT id, tranid, type, trandate, foreigntotal, foreignamountremaining, status,
              BUILTIN.DF(status) AS statusname, BUILTIN.DF(entity) AS customer
         FROM transaction WHERE type = 'CustInvc' ORDER BY trandate`,
    );
    expect(res.body.items).toEqual([
      expect.objectContaining({
        tranid: 'INV0001',
        type: 'CustInvc',
        trandate: '1/15/2026',
        foreigntotal: '30.3',
        foreignamountremaining: '30.3',
        status: 'A',
        statusname: 'Invoice : Open',
        customer: 'CUS101 Buyer 1',
      }),
      expect.objectContaining({
        tranid: 'INV0002',
        status: 'B',
        statusname: 'Invoice : Paid In Full',
        foreignamountremaining: '0',
      }),
      expect.objectContaining({ tranid: 'INV0003', trandate: '3/1/2026', foreigntotal: '99.99' }),
    ]);
  });

  it('filters with = != < > IN LIKE IS NULL NOT BETWEEN and parentheses, and TO_DATE', async () => {
    seedInvoices();
    const ids = async (where: string) =>
      (await query(`SELECT tranid FROM transaction WHERE ${where} ORDER BY id`)).body.items.map(
        (i) => i.tranid,
      );
    expect(
      await ids("type IN ('CustInvc') AND trandate >= TO_DATE('2026-02-01', 'YYYY-MM-DD')"),
    ).toEqual(['INV0002', 'INV0003']);
    expect(await ids("tranid LIKE 'INV%' AND NOT (status = 'B' OR foreigntotal > 50)")).toEqual([
      'INV0001',
    ]);
    expect(await ids("type <> 'CustInvc'")).toEqual(['PYMT0001']);
    expect(await ids('foreigntotal BETWEEN 5 AND 31')).toEqual(['INV0001', 'INV0002', 'PYMT0001']);
    expect(await ids("memo IS NULL AND type != 'CustPymt' AND trandate < '2026-02-01'")).toEqual([
      'INV0001',
    ]);
    expect(await ids('createdfrom IS NOT NULL')).toEqual([]);
  });

  it('aggregates with COUNT(*) and SUM(…) GROUP BY', async () => {
    const { customers } = seedInvoices();
    const res = await query(
      `SELECT entity, COUNT(*) AS invoices, SUM(foreigntotal) AS billed
         FROM transaction WHERE type = 'CustInvc' GROUP BY entity ORDER BY billed DESC`,
    );
    expect(res.body.items).toEqual([
      { links: [], entity: customers[1], invoices: '1', billed: '99.99' },
      { links: [], entity: customers[0], invoices: '2', billed: '35.3' },
    ]);
    const total = await query(
      "SELECT COUNT(*), SUM(foreigntotal) FROM transaction WHERE type = 'CustInvc'",
    );
    expect(total.body.items).toEqual([{ links: [], expr1: '3', expr2: '135.29' }]);
  });

  it('joins transaction lines to transactions and items (INNER and LEFT)', async () => {
    const { customers } = seedInvoices();
    const lines = await query(
      `SELECT t.tranid, tl.linesequencenumber AS line, i.itemid, tl.foreignamount
         FROM transactionline tl
         INNER JOIN transaction t ON t.id = tl.transaction
         INNER JOIN item i ON i.id = tl.item
        WHERE tl.mainline = 'F' AND t.type = 'CustInvc'
        ORDER BY t.tranid, tl.linesequencenumber`,
    );
    expect(lines.body.items.map((i) => [i.tranid, i.line, i.itemid, i.foreignamount])).toEqual([
      ['INV0001', '1', 'PLAN', '10.1'],
      ['INV0001', '2', 'PLAN', '20.2'],
      ['INV0002', '1', 'PLAN', '5'],
      ['INV0003', '1', 'PLAN', '99.99'],
    ]);
    const withoutInvoices = await query(
      `SELECT c.id FROM customer c LEFT JOIN transaction t ON t.entity = c.id WHERE t.id IS NULL`,
    );
    expect(withoutInvoices.body.items.map((i) => i.id)).toEqual([customers[2]]);
  });

  it('answers unsupported or wrong syntax with 400 and a clear o:errorDetails message', async () => {
    const cases: [string, RegExp][] = [
      ['SELECT id FROM salesorderz', /Record 'salesorderz' was not found/],
      [
        'SELECT nosuchcolumn FROM customer',
        /Field 'nosuchcolumn' for record 'customer' was not found/,
      ],
      ['SELECT id FROM customer UNION SELECT id FROM item', /UNION is not supported/],
      [
        'SELECT id FROM customer WHERE id IN (SELECT entity FROM transaction)',
        /Subqueries are not supported/,
      ],
      ['SELECT id FROM customer WHERE', /Unexpected the end of the query|Expected/],
      [
        'SELECT c.id FROM customer c JOIN transaction t ON t.entity = c.id WHERE id = 1',
        /ambiguous/,
      ],
      ['SELECT id FROM customer WHERE ROWNUM <= 10', /ROWNUM is not supported/],
      ['DELETE FROM customer', /Expected SELECT/],
      [
        'SELECT entity, tranid, COUNT(*) FROM transaction GROUP BY entity',
        /not a GROUP BY expression/,
      ],
    ];
    for (const [q, message] of cases) {
      const res = await query(q);
      expect(res.status, q).toBe(400);
      const detail = (
        res.body as unknown as { 'o:errorDetails': { detail: string; 'o:errorCode': string }[] }
      )['o:errorDetails'][0];
      expect(detail?.['o:errorCode'], q).toBe('INVALID_PARAMETER');
      expect(detail?.detail, q).toMatch(/^Invalid search query\./);
      expect(detail?.detail, q).toMatch(message);
    }
  });
});

describe('SuiteQL result cap', () => {
  it('refuses pages beyond the cap (100,000 by default; lowered here)', async () => {
    const small = await startNetsuiteEmulator({ port: 0, suiteqlMaxResults: 50 });
    try {
      for (let i = 0; i < 60; i++)
        small.records.create('customer', { companyName: `X${i}`, subsidiary: 1 });
      const client = createNetsuiteTestClient(small);
      const ok = await client.suiteql('SELECT id FROM customer', { limit: 50 });
      expect(ok.body).toMatchObject({ count: 50, totalResults: 60, hasMore: true });
      const beyond = await client.suiteql('SELECT id FROM customer', { limit: 50, offset: 50 });
      expect(beyond.status).toBe(400);
      expect(JSON.stringify(beyond.body)).toContain('at most 50 results');
    } finally {
      await small.close();
    }
  });
});
