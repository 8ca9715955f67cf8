import {
  startBusinessCentralEmulator,
  type BusinessCentralEmulator,
} from '@revsync/emulators/business-central';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import type { VendorEvent } from '../ports.ts';
import { BusinessCentralErp } from './business-central-erp.ts';
import { BusinessCentralClient } from './client.ts';
import { businessCentralEntityKey, toCanonicalEvents } from './events.ts';
import { BusinessCentralPoller } from './poller.ts';

let emu: BusinessCentralEmulator;
let client: BusinessCentralClient;
let erp: BusinessCentralErp;
let US = '';

beforeAll(async () => {
  emu = await startBusinessCentralEmulator({ port: 0 });
  US = emu.companyIds[0]!;
  client = new BusinessCentralClient({
    tenantId: emu.tenantId,
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    baseUrl: emu.url,
    loginUrl: emu.url,
    connection: new OutboundConnection('business-central', { system: 'business-central' }),
  });
  erp = new BusinessCentralErp(client);
});
afterAll(() => emu.close());

const usd = (amount: number) => ({ amount, currency: 'USD' as const });
const today = new Date().toISOString().slice(0, 10);

async function drain(poller: BusinessCentralPoller, cursor?: string, limit = 2) {
  const events: VendorEvent[] = [];
  let pages = 0;
  for (;;) {
    const page = await poller.poll(cursor, { limit });
    pages += 1;
    expect(page.events.length).toBeLessThanOrEqual(limit);
    events.push(...page.events);
    cursor = page.cursor;
    if (!page.hasMore) return { events, cursor, pages };
  }
}

describe('the delta poller', () => {
  it('pages customers, posted documents and payments by lastModifiedDateTime, each once', async () => {
    const poller = new BusinessCentralPoller(client, { companyIds: async () => [US] });
    const customers = ['cus_01JBCPOLL0000000000000000A', 'cus_01JBCPOLL0000000000000000B'];
    const ids: string[] = [];
    for (const externalId of customers) {
      ids.push(
        (
          await erp.upsertCustomer(
            { externalId, name: `Poll ${externalId.slice(-1)}`, subsidiary: US, currency: 'USD' },
            { idempotencyKey: `poll-${externalId}` },
          )
        ).id,
      );
    }
    const invoice = await erp.upsertInvoice(
      {
        externalId: 'in_bc_poll_1',
        customerExternalId: customers[0]!,
        subsidiary: US,
        currency: 'USD',
        tranDate: today,
        lines: [{ description: 'Plan', quantity: 1, amount: usd(5_000) }],
        tax: usd(0),
        total: usd(5_000),
      },
      { idempotencyKey: 'poll-invoice' },
    );
    const payment = await erp.upsertPayment(
      {
        externalId: 'py_bc_poll_1',
        customerExternalId: customers[0]!,
        invoiceExternalId: 'in_bc_poll_1',
        amount: usd(5_000),
        date: today,
      },
      { idempotencyKey: 'poll-payment' },
    );
    const first = await drain(poller);
    expect(first.pages).toBeGreaterThan(1);
    const ids2 = first.events.map((e) => e.id);
    expect(new Set(ids2).size).toBe(ids2.length);
    const bySubject = (s: string) => first.events.filter((e) => e.subject === s);
    expect(bySubject(ids[0]!).length).toBeGreaterThan(0);
    expect(businessCentralEntityKey(bySubject(ids[0]!)[0]!)).toEqual({ canonicalId: customers[0] });
    const inv = bySubject(invoice.id).at(-1)!;
    expect(inv.type).toBe('business-central.salesinvoice.updated');
    expect(businessCentralEntityKey(inv)).toEqual({ canonicalId: customers[0] });
    expect(toCanonicalEvents(inv)).toEqual([
      {
        type: 'erp.invoice.changed',
        subject: invoice.id,
        data: { invoiceId: invoice.id, externalId: 'in_bc_poll_1' },
      },
    ]);
    const pay = bySubject(payment.id).at(-1)!;
    expect(toCanonicalEvents(pay)[0]).toMatchObject({
      type: 'erp.payment.changed',
      data: { paymentId: payment.id, externalId: 'py_bc_poll_1' },
    });
    // Nothing new: nothing read again.
    const idle = await drain(poller, first.cursor);
    expect(idle.events).toEqual([]);
    // A change after the cursor is read, once.
    await erp.upsertCustomer(
      { externalId: customers[1]!, name: 'Poll B renamed', subsidiary: US, currency: 'USD' },
      { idempotencyKey: 'poll-rename' },
    );
    const after = await drain(poller, idle.cursor);
    expect(after.events.map((e) => e.subject)).toEqual([ids[1]]);
  });

  it('refuses a cursor that is not its own', async () => {
    const poller = new BusinessCentralPoller(client, { companyIds: async () => [US] });
    await expect(poller.poll('{"since":1}')).rejects.toThrow(/not a Business Central poll cursor/);
  });
});
