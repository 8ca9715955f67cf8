import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BillingInvoice, BillingSystem, ErpInvoiceInput } from '../connectors/ports.ts';
import { startStripeFixture, type StripeFixture } from '../connectors/stripe/emulator-fixture.ts';
import type { FlowContext, StepContext } from '../engine/flow.ts';
import { money } from '../model/money.ts';
import type { FlowDeps, XrefLink } from './deps.ts';
import { postInvoiceToErp } from './invoice-posting.ts';

/**
 * `postInvoiceToErp` given the invoice a run already has (read-your-write): posted as given when
 * it is complete, read (and waited for) as usual when it is a draft or another invoice. Billing
 * is the Stripe connector on the emulator; the run and revsync's records are in memory here, and
 * the ERP records what it is asked to post.
 */
let fx: StripeFixture;
let billing: BillingSystem;
let customerId: string;
let priceId: string;

beforeAll(async () => {
  fx = await startStripeFixture({ seed: 3 });
  billing = fx.connector({ defaultPaymentMethod: 'pm_card_visa' }).port;
  customerId = (
    await billing.upsertCustomer(
      { revsyncId: 'cus_rs_posting', name: 'Posting Ltd', currency: 'USD' },
      { idempotencyKey: fx.key() },
    )
  ).id;
  priceId = (
    await billing.ensurePrice(
      {
        productCode: 'SEATS',
        productName: 'Seats',
        unitAmount: money(2_500, 'USD'),
        interval: 'month',
      },
      { idempotencyKey: fx.key() },
    )
  ).priceId;
});
afterAll(() => fx.close());

const log = pino({ level: 'silent' });

/** A run that executes each step once and records its name; signals arrive through `onWait`. */
function memoryRun(onWait: (key: string) => Promise<void> = async () => {}) {
  const steps: string[] = [];
  const ctx: FlowContext = {
    runId: 'run_posting',
    flow: 'test',
    entityKey: 'cus_rs_posting',
    correlationId: 'corr_posting',
    log,
    async step(name, fn) {
      steps.push(name);
      const step: StepContext = {
        idempotencyKey: `run_posting:${name}`,
        attempt: 1,
        runId: 'run_posting',
        stepName: name,
        entityKey: 'cus_rs_posting',
        correlationId: 'corr_posting',
        causationId: 'run_posting',
        traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01',
        log,
        signal: new AbortController().signal,
      };
      return fn(step);
    },
    async waitForSignal(key, options) {
      steps.push(options.name ?? key);
      await onWait(key);
      return undefined as never;
    },
    async sleep() {},
  };
  return { ctx, steps };
}

/** revsync's records in memory, a known canonical customer, and an ERP that records postings. */
function memoryDeps() {
  const posted: ErpInvoiceInput[] = [];
  const links = new Map<string, string>();
  const key = (canonicalId: string, system: string, objectType: string) =>
    `${canonicalId}|${system}|${objectType}`;
  const deps = {
    billing,
    erp: {
      system: 'netsuite',
      async upsertCustomer() {
        return { id: 'erp_customer_1', created: true };
      },
      async upsertInvoice(input: ErpInvoiceInput) {
        posted.push(input);
        return { id: `erp_${input.externalId}` };
      },
    },
    xrefs: {
      async find() {
        return undefined;
      },
      async findExternal(canonicalId: string, system: string, objectType: string) {
        return links.get(key(canonicalId, system, objectType));
      },
      async link(link: XrefLink) {
        links.set(key(link.canonicalId, link.system, link.objectType), link.externalId);
      },
      async relink() {},
    },
    entities: {
      async get() {
        return {
          version: 1,
          data: { fields: { name: 'Posting Ltd', subsidiary: '1', currency: 'USD' } },
        };
      },
    },
  } as unknown as FlowDeps;
  return { deps, posted };
}

/** Stripe requests made while `fn` runs, as `METHOD path`. */
async function requestsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  fx.emu.app.requests.clear();
  await fn();
  return fx.emu.app.requests.list().map((r) => `${r.method} ${r.path}`);
}

describe('postInvoiceToErp with the invoice the run already has', () => {
  it('posts a new subscription’s first invoice as the create answered it, without reading it again', async () => {
    const sub = await billing.createSubscription(
      { customerId, items: [{ priceId, quantity: 3 }], metadata: {} },
      { idempotencyKey: fx.key() },
    );
    const first = sub.latestInvoice!;
    expect(first.status).toBe('paid');
    const { ctx, steps } = memoryRun();
    const { deps, posted } = memoryDeps();
    const requests = await requestsDuring(() =>
      postInvoiceToErp(ctx, deps, first.id, 'first-invoice', { invoice: first }),
    );
    expect(requests).toEqual([]);
    expect(steps).not.toContain('first-invoice:read');
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({ externalId: first.id, total: money(7_500, 'USD') });
  });

  it('reads and waits for a draft instead of posting it', async () => {
    await fx.sdk.invoiceItems.create({
      customer: customerId,
      amount: 1_200,
      currency: 'usd',
      description: 'Setup',
    });
    const draft = await fx.sdk.invoices.create({
      customer: customerId,
      auto_advance: false,
      pending_invoice_items_behavior: 'include',
    });
    const known = await billing.getInvoice(draft.id!);
    expect(known.status).toBe('draft');
    // The finalized signal: Stripe finalizes the invoice while the run waits.
    const { ctx, steps } = memoryRun(async () => {
      await fx.sdk.invoices.finalizeInvoice(draft.id!);
    });
    const { deps, posted } = memoryDeps();
    const result = await postInvoiceToErp(ctx, deps, draft.id!, 'invoice', { invoice: known });
    expect(steps.slice(0, 3)).toEqual([
      'invoice:read',
      'invoice:wait-finalized',
      'invoice:read-finalized',
    ]);
    expect(result.invoice.status).not.toBe('draft');
    expect(result.invoice.finalizedAt).toBeDefined();
    expect(posted.map((p) => p.externalId)).toEqual([draft.id]);
  });

  it('reads the invoice when the one given is another', async () => {
    const sub = await billing.createSubscription(
      { customerId, items: [{ priceId, quantity: 1 }], metadata: {} },
      { idempotencyKey: fx.key() },
    );
    const other: BillingInvoice = { ...sub.latestInvoice!, id: 'in_other' };
    const { ctx, steps } = memoryRun();
    const { deps, posted } = memoryDeps();
    const requests = await requestsDuring(() =>
      postInvoiceToErp(ctx, deps, sub.latestInvoiceId!, 'first-invoice', { invoice: other }),
    );
    expect(steps).toContain('first-invoice:read');
    expect(requests).toContain(`GET /v1/invoices/${sub.latestInvoiceId}`);
    expect(posted.map((p) => p.externalId)).toEqual([sub.latestInvoiceId]);
  });
});
