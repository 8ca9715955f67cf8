/**
 * The ERP contract: what flows and reconciliation rely on from any `ErpSystem`. Documents are
 * posted through the port; the simulator driver's actor reads the books back, as the invariant
 * checks do, to count what exists.
 */
import { expect } from 'vitest';
import type {
  ErpCreditMemoInput,
  ErpCustomerInput,
  ErpInvoiceInput,
  ErpPaymentInput,
  ErpSystem,
} from '../../src/connectors/ports.ts';
import { stableId } from '../../src/model/ids.ts';
import { ValidationError } from '../../src/model/revsync-error.ts';
import { commonChecks, pollAll, rejection, type PortRead } from './common.ts';
import { unique, type ContractSubject } from './harness.ts';

/** A customer with an invoice, its payment and a credit memo, posted through the port. */
export interface ErpWorld {
  subject: ContractSubject<'erp'>;
  customer: ErpCustomerInput;
  invoice: ErpInvoiceInput;
  payment: ErpPaymentInput;
  creditMemo: ErpCreditMemoInput;
  ids: { customer: string; invoice: string; payment: string; creditMemo: string };
}

const usd = (amount: number) => ({ amount, currency: 'USD' as const });

/** What the world posts, for a subsidiary (the driver's North American one). */
export function erpDocuments(subsidiary: string): Omit<ErpWorld, 'subject' | 'ids'> {
  const customer: ErpCustomerInput = {
    externalId: stableId('cus', unique('contract-erp')),
    name: unique('Contract Customer'),
    email: 'ap@contract.example',
    subsidiary,
    currency: 'USD',
    address: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
  };
  const invoice: ErpInvoiceInput = {
    externalId: unique('in_contract'),
    customerExternalId: customer.externalId,
    subsidiary,
    currency: 'USD',
    tranDate: '2026-12-01',
    memo: 'INV-CONTRACT-1',
    lines: [
      {
        description: 'Platform seat × 2',
        item: 'PLAT',
        quantity: 2,
        amount: usd(9_800),
        revRecStart: '2026-12-01',
        revRecEnd: '2026-12-31',
      },
      { description: 'Proration credit', quantity: 1, amount: usd(-1_800) },
    ],
    tax: usd(640),
    total: usd(8_640),
  };
  return {
    customer,
    invoice,
    payment: {
      externalId: unique('py_contract'),
      customerExternalId: customer.externalId,
      invoiceExternalId: invoice.externalId,
      amount: usd(8_640),
      date: '2026-12-02',
    },
    creditMemo: {
      externalId: unique('cn_contract'),
      customerExternalId: customer.externalId,
      invoiceExternalId: invoice.externalId,
      currency: 'USD',
      tranDate: '2026-12-03',
      memo: 'CN-CONTRACT-1',
      lines: [{ description: 'Service credit', quantity: 1, amount: usd(1_000) }],
      total: usd(1_000),
    },
  };
}

/** Posts the world's documents in the order revsync's flows do, each under its own key. */
export async function postErpWorld(
  erp: ErpSystem,
  docs: Omit<ErpWorld, 'subject' | 'ids'>,
): Promise<ErpWorld['ids']> {
  return {
    customer: (await erp.upsertCustomer(docs.customer, { idempotencyKey: 'world-customer' })).id,
    invoice: (await erp.upsertInvoice(docs.invoice, { idempotencyKey: 'world-invoice' })).id,
    payment: (await erp.upsertPayment(docs.payment, { idempotencyKey: 'world-payment' })).id,
    creditMemo: (await erp.upsertCreditMemo(docs.creditMemo, { idempotencyKey: 'world-credit' }))
      .id,
  };
}

export async function setUpErpWorld(subject: ContractSubject<'erp'>): Promise<ErpWorld> {
  const { port } = await subject.connect();
  const docs = erpDocuments(subject.started.subsidiaries?.NA ?? '1');
  return { subject, ...docs, ids: await postErpWorld(port, docs) };
}

/**
 * Upserts converge: the same documents posted again (a retry with the same keys, then a replay
 * under new keys) leave one of each, with the ids of the first post. Exported for the suite's
 * own test, which shows it fails for an ERP that double-creates.
 */
export async function checkErpUpsertsConverge(
  erp: ErpSystem,
  docs: Omit<ErpWorld, 'subject' | 'ids'>,
  ids: ErpWorld['ids'],
): Promise<void> {
  expect(await postErpWorld(erp, docs), 'a retry with the same keys').toEqual(ids);
  const replay = {
    customer: (await erp.upsertCustomer(docs.customer, { idempotencyKey: unique('replay') })).id,
    invoice: (await erp.upsertInvoice(docs.invoice, { idempotencyKey: unique('replay') })).id,
    payment: (await erp.upsertPayment(docs.payment, { idempotencyKey: unique('replay') })).id,
    creditMemo: (await erp.upsertCreditMemo(docs.creditMemo, { idempotencyKey: unique('replay') }))
      .id,
  };
  expect(replay, 'a replay under new keys').toEqual(ids);
  const found = await erp.findCustomers({ externalId: docs.customer.externalId });
  expect(
    found.map((c) => c.id),
    'one customer per external id',
  ).toEqual([ids.customer]);
}

const readCustomer =
  (world: ErpWorld): PortRead<'erp'> =>
  (erp) =>
    erp.getCustomer(world.customer.externalId);

/** The checks, by name; each gets the world {@link setUpErpWorld} made. */
export const erpChecks: Record<string, (world: ErpWorld) => Promise<void>> = {
  async 'upserts by external id: a retried and a replayed post converge'(world) {
    const { port } = await world.subject.connect();
    await checkErpUpsertsConverge(port, world, world.ids);
    const books = await world.subject.started.actor.documents();
    for (const externalId of [world.invoice, world.payment, world.creditMemo].map(
      (d) => d.externalId,
    )) {
      expect(
        books.filter((d) => d.externalId === externalId),
        externalId,
      ).toHaveLength(1);
    }
    const customers = await world.subject.started.actor.customers();
    expect(customers.filter((c) => c.externalId === world.customer.externalId)).toHaveLength(1);
  },

  async 'reads documents back by external id'(world) {
    const { port } = await world.subject.connect();
    const { customer, invoice, payment, creditMemo, ids } = world;
    expect(await port.getCustomer(customer.externalId)).toMatchObject({
      id: ids.customer,
      externalId: customer.externalId,
      name: customer.name,
      currency: 'USD',
      subsidiary: customer.subsidiary,
    });
    expect(await port.getInvoice(invoice.externalId)).toMatchObject({
      id: ids.invoice,
      externalId: invoice.externalId,
      customerExternalId: customer.externalId,
      currency: 'USD',
      subtotal: usd(8_000),
      tax: usd(640),
      total: usd(8_640),
      lineCount: 2,
    });
    expect(await port.getPayment(payment.externalId)).toMatchObject({
      id: ids.payment,
      externalId: payment.externalId,
      amount: usd(8_640),
      appliedTo: [{ invoiceExternalId: invoice.externalId, amount: usd(8_640) }],
    });
    expect(await port.getCreditMemo(creditMemo.externalId)).toMatchObject({
      id: ids.creditMemo,
      externalId: creditMemo.externalId,
      total: usd(1_000),
    });
  },

  async 'updates a customer in place when revsync posts it again changed'(world) {
    const { port } = await world.subject.connect();
    const renamed = { ...world.customer, name: `${world.customer.name} Ltd` };
    const { id } = await port.upsertCustomer(renamed, { idempotencyKey: unique('rename') });
    expect(id).toBe(world.ids.customer);
    expect((await port.getCustomer(renamed.externalId))?.name).toBe(renamed.name);
    await port.upsertCustomer(world.customer, { idempotencyKey: unique('rename-back') });
  },

  async 'answers undefined (not an error) for external ids that name nothing'({ subject }) {
    const { port } = await subject.connect();
    const nobody = stableId('cus', unique('nobody'));
    expect(await port.getCustomer(nobody)).toBeUndefined();
    expect(await port.getInvoice(unique('in_missing'))).toBeUndefined();
    expect(await port.getPayment(unique('py_missing'))).toBeUndefined();
    expect(await port.getCreditMemo(unique('cn_missing'))).toBeUndefined();
    expect(await port.findCustomers({ externalId: nobody })).toEqual([]);
  },

  async 'refuses an invalid write as ValidationError'({ subject }) {
    const { port } = await subject.connect();
    const docs = erpDocuments(subject.started.subsidiaries?.NA ?? '1');
    await rejection(
      () => port.upsertInvoice(docs.invoice, { idempotencyKey: unique('orphan') }),
      ValidationError,
      'an invoice for a customer the ERP does not have',
    );
    expect(
      await port.getInvoice(docs.invoice.externalId),
      'and nothing was half-written',
    ).toBeUndefined();
  },

  async 'pages its change feed and keys events by canonical customer'(world) {
    const { subject, customer, invoice, ids } = world;
    const connector = await subject.connect();
    const events = await pollAll(connector, [ids.customer, ids.invoice]);
    const ours = events.filter((e) => e.subject === ids.customer || e.subject === ids.invoice);
    for (const event of ours) {
      expect([
        { canonicalId: customer.externalId },
        { objectType: 'customer', id: ids.customer },
      ]).toContainEqual(subject.definition.entityKey(event));
    }
    const canonical = ours.flatMap((e) => subject.definition.normalise(e));
    expect(canonical).toContainEqual(
      expect.objectContaining({
        type: 'erp.customer.changed',
        data: expect.objectContaining({
          customerId: ids.customer,
          externalId: customer.externalId,
        }),
      }),
    );
    expect(canonical).toContainEqual(
      expect.objectContaining({
        type: 'erp.invoice.changed',
        data: { invoiceId: ids.invoice, externalId: invoice.externalId },
      }),
    );
  },

  ...commonChecks(readCustomer),
};
