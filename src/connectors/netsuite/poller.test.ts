import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NetsuiteEmulator } from '@revsync/emulators/netsuite';
import { parseEnvelope } from '../../model/event-envelope.ts';
import type { ErpSystem, PollSource, VendorEvent } from '../ports.ts';
import { connect, startFixture, write } from './test-setup.ts';

let emu: NetsuiteEmulator;
let close: () => Promise<void>;
let erp: ErpSystem;
let customers: PollSource;
let transactions: PollSource;
/** A whole second, ahead of real time (well inside the OAuth timestamp tolerance). */
let second: number;

beforeAll(async () => {
  ({ emu, close } = await startFixture());
});
afterAll(() => close());
beforeEach(() => {
  emu.reset();
  const f = connect(emu, { connector: { pollPageSize: 2 } });
  erp = f.erp;
  [customers, transactions] = f.connector.pollers as [PollSource, PollSource];
  second = Math.floor(Date.now() / 1000) * 1000 + 5_000;
  emu.clock.set(second);
});

/** Moves the emulator clock to the start of the next second (records are stamped with it). */
function nextSecond(): void {
  second += 1000;
  emu.clock.set(second);
}

/** Polls until nothing more is waiting, as the poll runner does. */
async function drain(source: PollSource, cursor: string | undefined, limit?: number) {
  const events: VendorEvent[] = [];
  let pages = 0;
  let more = true;
  while (more) {
    const result = await source.poll(cursor, limit === undefined ? {} : { limit });
    events.push(...result.events);
    cursor = result.cursor;
    more = result.hasMore;
    pages += 1;
  }
  return { events, cursor, pages };
}

const customer = (externalId: string, name = `Customer ${externalId}`) =>
  erp.upsertCustomer({ externalId, name, subsidiary: '1', currency: 'USD' }, write());

describe('customer poller', () => {
  it('reads every change once, in pages, with no gaps across seconds and pages', async () => {
    // Five customers in one second (more than a page), two in the next.
    for (const id of ['cus_a', 'cus_b', 'cus_c', 'cus_d', 'cus_e']) {
      emu.clock.set(second);
      await customer(id);
    }
    nextSecond();
    await customer('cus_f');
    await customer('cus_g');
    nextSecond();

    const first = await drain(customers, undefined);
    expect(first.pages).toBeGreaterThan(2); // page size 2: `hasMore` carried it on
    expect(first.events.map((e) => e.data?.['externalId'])).toEqual([
      'cus_a',
      'cus_b',
      'cus_c',
      'cus_d',
      'cus_e',
      'cus_f',
      'cus_g',
    ]);
    expect(new Set(first.events.map((e) => e.id)).size).toBe(7);
    expect(first.events.every((e) => e.type === 'netsuite.customer.created')).toBe(true);

    // Nothing new: nothing read, cursor unchanged.
    const idle = await customers.poll(first.cursor);
    expect(idle).toEqual({ events: [], cursor: first.cursor, hasMore: false });

    // A change to an early customer (lower id than the cursor's) is read, and only it.
    await customer('cus_b', 'Renamed B');
    nextSecond();
    const later = await drain(customers, first.cursor);
    expect(later.events).toHaveLength(1);
    expect(later.events[0]).toMatchObject({
      type: 'netsuite.customer.updated',
      data: { externalId: 'cus_b', name: 'Renamed B' },
    });
  });

  it('leaves the current second for the next poll, so a second change in it is not lost', async () => {
    const { id } = await customer('cus_a');
    expect(await customers.poll(undefined)).toMatchObject({ events: [], hasMore: false });
    await customer('cus_a', 'Changed in the same second');
    nextSecond();
    const { events } = await drain(customers, undefined);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      subject: id,
      data: { name: 'Changed in the same second' },
    });
  });

  it('builds valid envelopes: stable ids, subject, time, and the record as data', async () => {
    const { id } = await customer('cus_env', 'Envelope Ltd');
    const stamp = new Date(second).toISOString().replace('.000Z', 'Z');
    nextSecond();
    const [event] = (await drain(customers, undefined)).events;
    expect(() => parseEnvelope(event)).not.toThrow();
    expect(event).toMatchObject({
      specversion: '1.0',
      source: 'netsuite',
      id: `customer:${id}:${stamp}`,
      type: 'netsuite.customer.created',
      subject: id,
      time: stamp,
      data: {
        id,
        externalId: 'cus_env',
        name: 'Envelope Ltd',
        companyName: 'Envelope Ltd',
        isPerson: false,
        subsidiary: { id: '1' },
        currency: { id: '1', symbol: 'USD' },
        isInactive: false,
        dateCreated: stamp,
        lastModifiedDate: stamp,
      },
    });
    expect(customers.cursorName).toBe('netsuite:customers');
  });

  it('refuses a cursor it did not write', async () => {
    await expect(customers.poll('{"nope":1}')).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(customers.poll('garbage')).rejects.toMatchObject({ name: 'ValidationError' });
  });
});

describe('transaction poller', () => {
  it('reads invoices, payments and credit memos with the customer external id', async () => {
    await customer('cus_t');
    const usd = (amount: number) => ({ amount, currency: 'USD' as const });
    const { id: invoiceId } = await erp.upsertInvoice(
      {
        externalId: 'in_t',
        customerExternalId: 'cus_t',
        subsidiary: '1',
        currency: 'USD',
        tranDate: '2026-02-01',
        lines: [{ description: 'Plan', quantity: 1, amount: usd(1_000) }],
        tax: usd(0),
        total: usd(1_000),
      },
      write(),
    );
    nextSecond();
    const first = await drain(transactions, undefined);
    expect(first.events).toHaveLength(1);
    expect(first.events[0]).toMatchObject({
      type: 'netsuite.invoice.created',
      subject: invoiceId,
      id: expect.stringMatching(new RegExp(`^invoice:${invoiceId}:`)),
      data: {
        recordType: 'invoice',
        externalId: 'in_t',
        entity: { externalId: 'cus_t' },
        currency: { symbol: 'USD' },
        total: '10',
        amountRemaining: '10',
        status: 'Invoice : Open',
        tranDate: '2026-02-01',
      },
    });

    await erp.upsertPayment(
      {
        externalId: 'pi_t',
        customerExternalId: 'cus_t',
        invoiceExternalId: 'in_t',
        amount: usd(1_000),
        date: '2026-02-02',
      },
      write(),
    );
    nextSecond();
    const afterPayment = await drain(transactions, first.cursor);
    expect(afterPayment.events.map((e) => e.type).sort()).toEqual([
      'netsuite.customerpayment.created',
      'netsuite.invoice.updated',
    ]);
    expect(
      afterPayment.events.find((e) => e.type === 'netsuite.invoice.updated')?.data,
    ).toMatchObject({
      status: 'Invoice : Paid In Full',
      amountRemaining: '0',
    });
    expect(transactions.cursorName).toBe('netsuite:transactions');
  });
});
