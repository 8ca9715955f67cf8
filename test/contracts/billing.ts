/**
 * The billing contract: what flows rely on from any `BillingSystem`. Everything is done through
 * the port; the simulator driver's actor only reads the platform back, as a person looking at
 * its dashboard would, to count what exists.
 */
import { expect } from 'vitest';
import type {
  BillingCustomerInput,
  BillingPriceInput,
  BillingSubscription,
} from '../../src/connectors/ports.ts';
import { stableId } from '../../src/model/ids.ts';
import { NotFoundError, ValidationError } from '../../src/model/revsync-error.ts';
import { commonChecks, pollAll, rejection, type PortRead } from './common.ts';
import { missingId } from './fixtures/index.ts';
import { unique, type ContractSubject } from './harness.ts';

/** A customer on a subscription of two seats, made through the port, and how it was made. */
export interface BillingWorld {
  subject: ContractSubject<'billing'>;
  customer: BillingCustomerInput;
  customerId: string;
  price: BillingPriceInput;
  priceId: string;
  subscription: BillingSubscription;
}

const SEAT: BillingPriceInput = {
  productCode: 'PLAT',
  productName: 'Platform seat',
  unitAmount: { amount: 4_900, currency: 'USD' },
  interval: 'month',
};

/** Creates a customer, a price and a subscription of two seats through the port. */
export async function setUpBillingWorld(
  subject: ContractSubject<'billing'>,
): Promise<BillingWorld> {
  const { port } = await subject.connect();
  const customer: BillingCustomerInput = {
    revsyncId: stableId('cus', unique('contract-billing')),
    name: unique('Contract Customer'),
    email: 'billing@contract.example',
    address: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
    currency: 'USD',
  };
  const { id: customerId } = await port.upsertCustomer(customer, {
    idempotencyKey: 'world-customer',
  });
  const { priceId } = await port.ensurePrice(SEAT, { idempotencyKey: 'world-price' });
  const subscription = await port.createSubscription(
    { customerId, items: [{ priceId, quantity: 2 }], metadata: { revsync_contract: 'world' } },
    { idempotencyKey: 'world-subscription' },
  );
  return { subject, customer, customerId, price: SEAT, priceId, subscription };
}

const readSubscription =
  (world: BillingWorld): PortRead<'billing'> =>
  (billing) =>
    billing.getSubscription(world.subscription.id);

/** The checks, by name; each gets the world {@link setUpBillingWorld} made. */
export const billingChecks: Record<string, (world: BillingWorld) => Promise<void>> = {
  async 'finds the customer by revsyncId: a retried and a replayed upsert converge'(world) {
    const { port } = await world.subject.connect();
    const retried = await port.upsertCustomer(world.customer, { idempotencyKey: 'world-customer' });
    const replayed = await port.upsertCustomer(world.customer, {
      idempotencyKey: unique('replay'),
    });
    expect(retried.id).toBe(world.customerId);
    expect(replayed).toEqual({ id: world.customerId, created: false });
    const customers = await world.subject.started.actor.customers();
    expect(customers.filter((c) => c.revsyncId === world.customer.revsyncId)).toEqual([
      { id: world.customerId, revsyncId: world.customer.revsyncId },
    ]);
  },

  async 'ensures one price per product, amount, currency and interval'(world) {
    const { port } = await world.subject.connect();
    const again = await port.ensurePrice(world.price, { idempotencyKey: unique('price') });
    expect(again.priceId).toBe(world.priceId);
    const dearer = await port.ensurePrice(
      { ...world.price, unitAmount: { amount: 5_900, currency: 'USD' } },
      { idempotencyKey: unique('price') },
    );
    expect(dearer.priceId).not.toBe(world.priceId);
  },

  async 'creates a subscription once per idempotency key and reads it back'(world) {
    const { port } = await world.subject.connect();
    const { subscription, customerId, priceId } = world;
    const retried = await port.createSubscription(
      { customerId, items: [{ priceId, quantity: 2 }], metadata: { revsync_contract: 'world' } },
      { idempotencyKey: 'world-subscription' },
    );
    expect(retried.id).toBe(subscription.id);
    const subs = await world.subject.started.actor.subscriptions();
    expect(subs.filter((s) => s.customerId === customerId).map((s) => s.id)).toEqual([
      subscription.id,
    ]);

    const read = await port.getSubscription(subscription.id);
    expect(read).toMatchObject({
      id: subscription.id,
      customerId,
      currency: 'USD',
      cancelAtPeriodEnd: false,
    });
    expect(read.metadata).toMatchObject({ revsync_contract: 'world' });
    expect(read.items).toEqual([
      expect.objectContaining({
        priceId,
        quantity: 2,
        unitAmount: { amount: 4_900, currency: 'USD' },
        interval: 'month',
      }),
    ]);
    expect(Date.parse(read.currentPeriodEnd)).toBeGreaterThan(Date.parse(read.currentPeriodStart));
  },

  async 'reads the first invoice by id and in the customer list'(world) {
    const { port } = await world.subject.connect();
    const invoiceId = (await port.getSubscription(world.subscription.id)).latestInvoiceId;
    expect(invoiceId, 'a new subscription bills its first period').toBeDefined();
    const invoice = await port.getInvoice(invoiceId!);
    expect(invoice).toMatchObject({
      id: invoiceId,
      customerId: world.customerId,
      subscriptionId: world.subscription.id,
      currency: 'USD',
      subtotal: { amount: 9_800, currency: 'USD' },
      billingReason: 'subscription_create',
    });
    expect(invoice.total.amount).toBe(invoice.subtotal.amount + invoice.tax.amount);
    expect(invoice.lines.reduce((sum, line) => sum + line.amount.amount, 0)).toBe(9_800);
    const listed = await port.listInvoices({ customerId: world.customerId });
    expect(listed.map((i) => i.id)).toContain(invoiceId);
    expect(listed.every((i) => i.customerId === world.customerId)).toBe(true);
  },

  async 'a new subscription’s first invoice, when the create answers with it, is the one getInvoice reads'(
    world,
  ) {
    const { port } = await world.subject.connect();
    const created = await port.createSubscription(
      {
        customerId: world.customerId,
        items: [{ priceId: world.priceId, quantity: 1 }],
        metadata: { revsync_contract: 'first-invoice' },
      },
      { idempotencyKey: unique('first-invoice') },
    );
    // Optional: a platform that does not answer with it leaves the caller to read it.
    if (created.latestInvoice === undefined) return;
    expect(created.latestInvoice.id).toBe(created.latestInvoiceId);
    expect(created.latestInvoice).toEqual(await port.getInvoice(created.latestInvoiceId!));
  },

  async 'reads a payment the same with or without the invoice the caller knows it paid'(world) {
    const { port } = await world.subject.connect();
    const invoiceId = (await port.getSubscription(world.subscription.id)).latestInvoiceId;
    const invoice = await port.getInvoice(invoiceId!);
    expect(invoice.paymentId, 'the first invoice was charged').toBeDefined();
    const looked = await port.getPayment(invoice.paymentId!);
    const known = await port.getPayment(invoice.paymentId!, { invoiceId: invoice.id });
    expect(known).toEqual(looked);
  },

  async 'answers NotFoundError for ids that name nothing'({ subject }) {
    const { port } = await subject.connect();
    await rejection(
      () => port.getInvoice(missingId(subject.fixture, 'invoice')),
      NotFoundError,
      'getInvoice',
    );
    await rejection(
      () => port.getSubscription(missingId(subject.fixture, 'subscription')),
      NotFoundError,
      'getSubscription',
    );
  },

  async 'refuses an invalid write as ValidationError'({ subject }) {
    const { port } = await subject.connect();
    await rejection(
      () =>
        port.ensurePrice(
          { ...SEAT, productCode: 'NEG', unitAmount: { amount: -100, currency: 'USD' } },
          { idempotencyKey: unique('negative-price') },
        ),
      ValidationError,
      'a negative price',
    );
  },

  async 'pages its event feed and keys events by canonical customer'(world) {
    const { subject, customerId, customer, subscription } = world;
    const connector = await subject.connect();
    const events = await pollAll(connector, [customerId, subscription.id]);
    const ours = events.filter((e) => e.subject === customerId || e.subject === subscription.id);
    for (const event of ours) {
      expect([
        { canonicalId: customer.revsyncId },
        { objectType: 'customer', id: customerId },
      ]).toContainEqual(subject.definition.entityKey(event));
    }
    const canonical = ours.flatMap((e) => subject.definition.normalise(e));
    expect(canonical).toContainEqual(
      expect.objectContaining({
        type: 'billing.customer.changed',
        data: { customerId, change: 'created' },
      }),
    );
    expect(canonical).toContainEqual(
      expect.objectContaining({
        type: 'billing.subscription.created',
        data: { subscriptionId: subscription.id },
      }),
    );
  },

  ...commonChecks(readSubscription),
};
