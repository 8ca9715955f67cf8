import Stripe from 'stripe';
import type {
  BillingCreditNote,
  BillingCustomerInput,
  BillingInvoice,
  BillingPayment,
  BillingPayout,
  BillingPriceInput,
  BillingRefund,
  BillingSubscription,
  BillingSystem,
  DocumentWindow,
  ReadOptions,
  WriteOptions,
} from '../ports.ts';
import {
  ConflictError,
  NotFoundError,
  RevsyncError,
  ValidationError,
} from '../../model/revsync-error.ts';
import type { StripeClient } from './client.ts';
import {
  customerSearchQuery,
  idOf,
  lineRefs,
  productCodeFromId,
  productCodeOf,
  productIdFor,
  priceLookupKey,
  REVSYNC_PRODUCT_KEY,
  toBillingCreditNote,
  toBillingInvoice,
  toBillingPayment,
  toBillingPayout,
  toBillingRefund,
  toBillingSubscription,
  toStripeCustomerCreate,
  toStripeCustomerUpdate,
  toStripePriceCreate,
  unixSeconds,
  type InvoiceRefs,
} from './mapper.ts';

/** Options of {@link StripeBilling}. */
export interface StripeBillingOptions {
  /** Payment method attached to new customers as their default (e.g. `pm_card_visa`). */
  defaultPaymentMethod?: string;
  /** Test mode only: new customers are created on this test clock (`clock_…`). */
  testClock?: string;
}

/** Subscriptions are read with prices and products, for product codes from product metadata. */
const SUBSCRIPTION_EXPAND = ['items.data.price.product'];
/** Invoices are read with their payments (not included by default) and their customer. */
const INVOICE_EXPAND = ['payments', 'customer'];
/**
 * A new subscription is answered with its first invoice, expanded as invoices are read (two
 * levels; Stripe allows four).
 */
const CREATE_SUBSCRIPTION_EXPAND = [
  ...SUBSCRIPTION_EXPAND,
  ...INVOICE_EXPAND.map((path) => `latest_invoice.${path}`),
];
/** Prices never change their amount, so their unit amounts can be kept; bounded anyway. */
const CACHE_LIMIT = 2_000;

/**
 * The billing port on Stripe Billing. Every write carries the step's idempotency key as
 * Stripe's `Idempotency-Key` (suffixed per request when one method writes more than once), so
 * a step retried after a crash replays Stripe's saved answer instead of writing twice.
 */
export class StripeBilling implements BillingSystem {
  readonly system = 'stripe' as const;
  readonly #client: StripeClient;
  readonly #sdk: Stripe;
  readonly #options: StripeBillingOptions;
  readonly #unitAmounts = new Map<string, number | null>();
  readonly #productCodes = new Map<string, string>();
  /** Prices found or created by lookup key, for {@link PRICE_CACHE_MS} (reference data). */
  readonly #prices = new Map<string, { priceId: string; productId: string; at: number }>();
  /** Products found or created (`prod_revsync_<code>`), with when, for {@link PRICE_CACHE_MS}. */
  readonly #products = new Map<string, number>();
  /** Price and product look-ups under way, by lookup key and product id. */
  readonly #pendingPrices = new Map<string, Promise<{ priceId: string; productId: string }>>();
  readonly #pendingProducts = new Map<string, Promise<string>>();

  constructor(client: StripeClient, options: StripeBillingOptions = {}) {
    this.#client = client;
    this.#sdk = client.sdk;
    this.#options = options;
  }

  /**
   * Finds the customer by `metadata['revsync_customer_id']` (customer search) and brings name,
   * email, address and metadata up to date; else creates it. Search may lag behind writes in
   * real Stripe: the create carries the idempotency key, so a retried step cannot create twice.
   *
   * @throws ConflictError when several customers carry the same canonical id.
   */
  async upsertCustomer(
    input: BillingCustomerInput,
    options: WriteOptions,
  ): Promise<{ id: string; created: boolean }> {
    const found = await this.#client.read('customers.search', options, (request) =>
      this.#sdk.customers.search(
        { query: customerSearchQuery(input.revsyncId), limit: 10 },
        request,
      ),
    );
    if (found.data.length > 1) {
      throw new ConflictError(
        `stripe has ${found.data.length} customers for revsync customer ${input.revsyncId}: ${found.data
          .map((c) => c.id)
          .join(', ')}; merge them in Stripe, then retry`,
        { system: 'stripe' },
      );
    }
    const existing = found.data[0];
    if (existing) {
      const update = toStripeCustomerUpdate(existing, input);
      if (update) {
        await this.#client.write(
          'customers.update',
          options,
          (request) => this.#sdk.customers.update(existing.id, update, request),
          'update',
        );
      }
      return { id: existing.id, created: false };
    }
    const created = await this.#client.write('customers.create', options, (request) =>
      this.#sdk.customers.create(
        toStripeCustomerCreate(input, {
          ...(this.#options.defaultPaymentMethod !== undefined && {
            paymentMethod: this.#options.defaultPaymentMethod,
          }),
          ...(this.#options.testClock !== undefined && { testClock: this.#options.testClock }),
        }),
        request,
      ),
    );
    return { id: created.id, created: true };
  }

  /**
   * Finds the active recurring price by its lookup key (`revsync:<code>:<currency>:<amount>:
   * <interval>`) or creates it, on the product `prod_revsync_<code>` (created when missing).
   * A price's amount and interval never change in Stripe (they are in its key), so what was
   * found is reused for {@link PRICE_CACHE_MS} without asking again; only an archived price
   * could go stale in that time, and subscriptions on it are then refused with an error that
   * names it. Concurrent calls for one key share one look-up (and at most one create), and the
   * price's unit amount is kept for the invoices that will name it.
   */
  async ensurePrice(
    input: BillingPriceInput,
    options: WriteOptions,
  ): Promise<{ priceId: string; productId: string }> {
    const lookupKey = priceLookupKey(input);
    const cached = this.#prices.get(lookupKey);
    if (cached && Date.now() - cached.at < PRICE_CACHE_MS)
      return { priceId: cached.priceId, productId: cached.productId };
    return sharedAttempt(this.#pendingPrices, lookupKey, () =>
      this.#findOrCreatePrice(input, lookupKey, options),
    );
  }

  async #findOrCreatePrice(
    input: BillingPriceInput,
    lookupKey: string,
    options: WriteOptions,
  ): Promise<{ priceId: string; productId: string }> {
    const found = await this.#client.read('prices.list', options, (request) =>
      this.#sdk.prices.list({ lookup_keys: [lookupKey], active: true, limit: 1 }, request),
    );
    const price = found.data[0];
    if (price) {
      const productId = idOf(price.product);
      remember(this.#prices, lookupKey, { priceId: price.id, productId, at: Date.now() });
      remember(this.#unitAmounts, price.id, price.unit_amount);
      return { priceId: price.id, productId };
    }

    const productId = await this.#ensureProduct(input, options);
    let created: Stripe.Price;
    try {
      created = await this.#client.write(
        'prices.create',
        options,
        (request) =>
          this.#sdk.prices.create(
            // An archived price may still hold the key; the new one takes it over.
            { ...toStripePriceCreate(input, productId), transfer_lookup_key: true },
            request,
          ),
        'price',
      );
    } catch (caught) {
      // The product may have gone since it was cached (deleted in Stripe): read it next time.
      this.#products.delete(productId);
      throw caught;
    }
    remember(this.#prices, lookupKey, { priceId: created.id, productId, at: Date.now() });
    remember(this.#unitAmounts, created.id, created.unit_amount);
    return { priceId: created.id, productId };
  }

  /**
   * Makes sure `prod_revsync_<code>` exists and is active. Products found or created are kept
   * for {@link PRICE_CACHE_MS}, so a product's second price (another currency, amount or
   * interval) needs no product call; concurrent calls for one product share one.
   */
  async #ensureProduct(input: BillingPriceInput, options: WriteOptions): Promise<string> {
    const id = productIdFor(input.productCode);
    const at = this.#products.get(id);
    if (at !== undefined && Date.now() - at < PRICE_CACHE_MS) return id;
    const ensured = await sharedAttempt(this.#pendingProducts, id, () =>
      this.#findOrCreateProduct(id, input, options),
    );
    remember(this.#products, id, Date.now());
    return ensured;
  }

  async #findOrCreateProduct(
    id: string,
    input: BillingPriceInput,
    options: WriteOptions,
  ): Promise<string> {
    try {
      const product = await this.#client.read('products.retrieve', options, (request) =>
        this.#sdk.products.retrieve(id, {}, request),
      );
      if (!product.active) {
        await this.#client.write(
          'products.update',
          options,
          (request) => this.#sdk.products.update(id, { active: true }, request),
          'product-activate',
        );
      }
      return id;
    } catch (caught) {
      if (!(caught instanceof NotFoundError)) throw caught;
    }
    try {
      await this.#client.write(
        'products.create',
        options,
        (request) =>
          this.#sdk.products.create(
            {
              id,
              name: input.productName,
              metadata: { [REVSYNC_PRODUCT_KEY]: input.productCode },
            },
            request,
          ),
        'product',
      );
    } catch (caught) {
      // Another step created it between our read and our write: it is there, which is all we need.
      if (stripeCodeOf(caught) !== 'resource_already_exists') throw caught;
    }
    return id;
  }

  /**
   * Creates the subscription with `payment_behavior: 'allow_incomplete'`: Stripe creates,
   * finalizes and charges the first invoice at once; a declined card leaves the subscription
   * `incomplete` (an outcome, not an error). `latestInvoiceId` is that first invoice, and
   * `latestInvoice` the invoice itself as Stripe answered the create (expanded the way
   * {@link getInvoice} reads it), so the caller need not read it again. An idempotent replay
   * returns Stripe's saved answer: the invoice as it was at creation.
   */
  async createSubscription(
    input: {
      customerId: string;
      items: { priceId: string; quantity: number }[];
      metadata: Record<string, string>;
    },
    options: WriteOptions,
  ): Promise<BillingSubscription> {
    const sub = await this.#client.write('subscriptions.create', options, (request) =>
      this.#sdk.subscriptions.create(
        {
          customer: input.customerId,
          items: input.items.map((item) => ({ price: item.priceId, quantity: item.quantity })),
          metadata: input.metadata,
          payment_behavior: 'allow_incomplete',
          expand: CREATE_SUBSCRIPTION_EXPAND,
        },
        request,
      ),
    );
    const invoice = sub.latest_invoice;
    const subscription = await this.#toSubscription(sub, options);
    if (invoice === null || typeof invoice === 'string') return subscription;
    return { ...subscription, latestInvoice: await this.#toInvoice(invoice, options) };
  }

  /**
   * Updates the named items (by id; items without one are added) with
   * `proration_behavior: 'always_invoice'`: Stripe bills the proration at once in a
   * `subscription_update` invoice, which becomes `latestInvoiceId`. A declined charge leaves that
   * invoice open and the subscription `past_due`.
   */
  async amendSubscription(
    subscriptionId: string,
    change: {
      items: { itemId?: string; priceId: string; quantity: number }[];
      metadata?: Record<string, string>;
    },
    options: WriteOptions,
  ): Promise<BillingSubscription> {
    const sub = await this.#client.write('subscriptions.update', options, (request) =>
      this.#sdk.subscriptions.update(
        subscriptionId,
        {
          ...(change.metadata !== undefined && { metadata: change.metadata }),
          items: change.items.map((item) => ({
            ...(item.itemId !== undefined && { id: item.itemId }),
            price: item.priceId,
            quantity: item.quantity,
          })),
          proration_behavior: 'always_invoice',
          payment_behavior: 'allow_incomplete',
          expand: SUBSCRIPTION_EXPAND,
        },
        request,
      ),
    );
    return this.#toSubscription(sub, options);
  }

  /** `atPeriodEnd`: `cancel_at_period_end: true`; otherwise cancels now (no proration credit). */
  async cancelSubscription(
    subscriptionId: string,
    mode: { atPeriodEnd: boolean },
    options: WriteOptions,
  ): Promise<BillingSubscription> {
    const sub = mode.atPeriodEnd
      ? await this.#client.write('subscriptions.update', options, (request) =>
          this.#sdk.subscriptions.update(
            subscriptionId,
            { cancel_at_period_end: true, expand: SUBSCRIPTION_EXPAND },
            request,
          ),
        )
      : await this.#client.write('subscriptions.cancel', options, (request) =>
          this.#sdk.subscriptions.cancel(subscriptionId, { expand: SUBSCRIPTION_EXPAND }, request),
        );
    return this.#toSubscription(sub, options);
  }

  async getSubscription(id: string, options?: ReadOptions): Promise<BillingSubscription> {
    const sub = await this.#client.read('subscriptions.retrieve', options, (request) =>
      this.#sdk.subscriptions.retrieve(id, { expand: SUBSCRIPTION_EXPAND }, request),
    );
    return this.#toSubscription(sub, options);
  }

  async #toSubscription(
    sub: Stripe.Subscription,
    options: ReadOptions | undefined,
  ): Promise<BillingSubscription> {
    if (!sub.items.has_more) return toBillingSubscription(sub);
    const items = await this.#client.listAll('subscriptionItems.list', options, (page, request) =>
      this.#sdk.subscriptionItems.list(
        { subscription: sub.id, ...page, expand: ['data.price.product'] },
        request,
      ),
    );
    return toBillingSubscription({ ...sub, items: { ...sub.items, data: items, has_more: false } });
  }

  async getInvoice(id: string, options?: ReadOptions): Promise<BillingInvoice> {
    const invoice = await this.#client.read('invoices.retrieve', options, (request) =>
      this.#sdk.invoices.retrieve(id, { expand: INVOICE_EXPAND }, request),
    );
    return this.#toInvoice(invoice, options);
  }

  /** Every invoice matching the filter, newest first (all pages). */
  async listInvoices(
    filter: { customerId?: string; subscriptionId?: string; createdAfter?: string },
    options?: ReadOptions,
  ): Promise<BillingInvoice[]> {
    const params: Stripe.InvoiceListParams = {
      ...(filter.customerId !== undefined && { customer: filter.customerId }),
      ...(filter.subscriptionId !== undefined && { subscription: filter.subscriptionId }),
      ...(filter.createdAfter !== undefined && {
        created: { gt: unixSeconds(filter.createdAfter) },
      }),
      expand: INVOICE_EXPAND.map((path) => `data.${path}`),
    };
    const invoices = await this.#client.listAll('invoices.list', options, (page, request) =>
      this.#sdk.invoices.list({ ...params, ...page }, request),
    );
    const out: BillingInvoice[] = [];
    for (const invoice of invoices) out.push(await this.#toInvoice(invoice, options));
    return out;
  }

  async *pageInvoices(window: DocumentWindow, options?: ReadOptions) {
    const params: Stripe.InvoiceListParams = {
      created: createdIn(window),
      expand: INVOICE_EXPAND.map((path) => `data.${path}`),
    };
    for await (const page of this.#client.pages('invoices.list', options, (p, request) =>
      this.#sdk.invoices.list({ ...params, ...p }, request),
    )) {
      const out: BillingInvoice[] = [];
      for (const invoice of page) out.push(await this.#toInvoice(invoice, options));
      yield out;
    }
  }

  /**
   * Every subscription. Prices are expanded but not their products (a fifth level Stripe
   * refuses): product codes come from revsync's deterministic product ids.
   */
  async *pageSubscriptions(options?: ReadOptions) {
    for await (const page of this.#client.pages('subscriptions.list', options, (p, request) =>
      this.#sdk.subscriptions.list(
        { status: 'all', expand: ['data.items.data.price'], ...p },
        request,
      ),
    )) {
      const out: BillingSubscription[] = [];
      for (const sub of page) out.push(await this.#toSubscription(sub, options));
      yield out;
    }
  }

  async *pagePayments(window: DocumentWindow, options?: ReadOptions) {
    for await (const page of this.#client.pages('paymentIntents.list', options, (p, request) =>
      this.#sdk.paymentIntents.list(
        { created: createdIn(window), expand: ['data.latest_charge'], ...p },
        request,
      ),
    )) {
      const out: BillingPayment[] = [];
      for (const pi of page) {
        const charge = pi.latest_charge;
        const amountRefunded =
          charge !== null && typeof charge !== 'string' ? charge.amount_refunded : 0;
        const invoiceId = await this.#invoiceOfPaymentIntent(pi.id, options);
        out.push(
          toBillingPayment(pi, { amountRefunded, ...(invoiceId !== undefined && { invoiceId }) }),
        );
      }
      yield out;
    }
  }

  async *pageRefunds(window: DocumentWindow, options?: ReadOptions) {
    for await (const page of this.#client.pages('refunds.list', options, (p, request) =>
      this.#sdk.refunds.list(
        { created: createdIn(window), expand: ['data.payment_intent'], ...p },
        request,
      ),
    )) {
      const out: BillingRefund[] = [];
      for (const refund of page) {
        const pi = refund.payment_intent;
        const invoiceId =
          pi !== null ? await this.#invoiceOfPaymentIntent(idOf(pi), options) : undefined;
        const customer = pi !== null && typeof pi !== 'string' ? pi.customer : null;
        out.push({
          ...toBillingRefund(refund, invoiceId),
          ...(customer !== null && { customerId: idOf(customer) }),
        });
      }
      yield out;
    }
  }

  async *pageCreditNotes(window: DocumentWindow, options?: ReadOptions) {
    for await (const page of this.#client.pages('creditNotes.list', options, (p, request) =>
      this.#sdk.creditNotes.list({ created: createdIn(window), ...p }, request),
    )) {
      const out: BillingCreditNote[] = [];
      for (const note of page) {
        const lines = note.lines.has_more
          ? await this.#client.listAll('creditNotes.listLineItems', options, (q, request) =>
              this.#sdk.creditNotes.listLineItems(note.id, q, request),
            )
          : note.lines.data;
        out.push(toBillingCreditNote(note, lines));
      }
      yield out;
    }
  }

  /** A payout with every balance transaction it settles (sources expanded to their payment). */
  async getPayout(id: string, options?: ReadOptions): Promise<BillingPayout> {
    const payout = await this.#client.read('payouts.retrieve', options, (request) =>
      this.#sdk.payouts.retrieve(id, {}, request),
    );
    return this.#withTransactions(payout, options);
  }

  /** Payouts arriving in the window (`arrival_date`), each with its balance transactions. */
  async *pagePayouts(window: DocumentWindow, options?: ReadOptions) {
    for await (const page of this.#client.pages('payouts.list', options, (p, request) =>
      this.#sdk.payouts.list({ arrival_date: createdIn(window), ...p }, request),
    )) {
      const out: BillingPayout[] = [];
      for (const payout of page) out.push(await this.#withTransactions(payout, options));
      yield out;
    }
  }

  async #withTransactions(payout: Stripe.Payout, options: ReadOptions | undefined) {
    const transactions = await this.#client.listAll(
      'balanceTransactions.list',
      options,
      (page, request) =>
        this.#sdk.balanceTransactions.list(
          { payout: payout.id, expand: ['data.source'], ...page },
          request,
        ),
    );
    return toBillingPayout(payout, transactions);
  }

  async #toInvoice(invoice: Stripe.Invoice, options: ReadOptions | undefined) {
    const lines = invoice.lines.has_more
      ? await this.#client.listAll('invoices.listLineItems', options, (page, request) =>
          this.#sdk.invoices.listLineItems(invoice.id, page, request),
        )
      : invoice.lines.data;
    return toBillingInvoice(invoice, lines, await this.#refsOf(lines, options));
  }

  /** Unit amounts of the lines' prices and codes of products whose id does not encode one. */
  async #refsOf(
    lines: readonly Stripe.InvoiceLineItem[],
    options: ReadOptions | undefined,
  ): Promise<InvoiceRefs> {
    const priceIds = new Set<string>();
    const productIds = new Set<string>();
    for (const line of lines) {
      const { priceId, productId } = lineRefs(line);
      if (priceId !== undefined) priceIds.add(priceId);
      if (productId !== undefined && productCodeFromId(productId) === undefined) {
        productIds.add(productId);
      }
    }
    for (const id of priceIds) {
      if (this.#unitAmounts.has(id)) continue;
      const price = await this.#client.read('prices.retrieve', options, (request) =>
        this.#sdk.prices.retrieve(id, {}, request),
      );
      remember(this.#unitAmounts, id, price.unit_amount);
    }
    for (const id of productIds) {
      if (this.#productCodes.has(id)) continue;
      const product = await this.#client.read('products.retrieve', options, (request) =>
        this.#sdk.products.retrieve(id, {}, request),
      );
      remember(this.#productCodes, id, productCodeOf(product));
    }
    return { priceUnitAmounts: this.#unitAmounts, productCodes: this.#productCodes };
  }

  /**
   * A payment intent (or a charge's payment intent) → {@link BillingPayment}, with the refunded
   * amount of its latest charge and the invoice it paid: `options.invoiceId` when the caller
   * knows it (read from that invoice's payments), else found through Stripe's invoice payments
   * (one call more).
   */
  async getPayment(
    id: string,
    options?: ReadOptions & { invoiceId?: string },
  ): Promise<BillingPayment> {
    const piId = id.startsWith('ch_') ? await this.#paymentIntentOfCharge(id, options) : id;
    const pi = await this.#client.read('paymentIntents.retrieve', options, (request) =>
      this.#sdk.paymentIntents.retrieve(piId, { expand: ['latest_charge'] }, request),
    );
    const charge = pi.latest_charge;
    const amountRefunded =
      charge !== null && typeof charge !== 'string' ? charge.amount_refunded : 0;
    const invoiceId = options?.invoiceId ?? (await this.#invoiceOfPaymentIntent(pi.id, options));
    return toBillingPayment(pi, {
      amountRefunded,
      ...(invoiceId !== undefined && { invoiceId }),
    });
  }

  async #paymentIntentOfCharge(chargeId: string, options: ReadOptions | undefined) {
    const charge = await this.#client.read('charges.retrieve', options, (request) =>
      this.#sdk.charges.retrieve(chargeId, {}, request),
    );
    if (charge.payment_intent === null) {
      throw new ValidationError(`stripe charge ${chargeId} has no payment intent`, {
        system: 'stripe',
      });
    }
    return idOf(charge.payment_intent);
  }

  async #invoiceOfPaymentIntent(
    paymentIntentId: string,
    options: ReadOptions | undefined,
  ): Promise<string | undefined> {
    const payments = await this.#client.read('invoicePayments.list', options, (request) =>
      this.#sdk.invoicePayments.list(
        { payment: { type: 'payment_intent', payment_intent: paymentIntentId }, limit: 1 },
        request,
      ),
    );
    const invoice = payments.data[0]?.invoice;
    return invoice === undefined ? undefined : idOf(invoice);
  }

  /** A refund; `paymentId` is its payment intent, `invoiceId` the invoice that payment paid. */
  async getRefund(id: string, options?: ReadOptions): Promise<BillingRefund> {
    const refund = await this.#client.read('refunds.retrieve', options, (request) =>
      this.#sdk.refunds.retrieve(id, {}, request),
    );
    const invoiceId =
      refund.payment_intent !== null
        ? await this.#invoiceOfPaymentIntent(idOf(refund.payment_intent), options)
        : undefined;
    return toBillingRefund(refund, invoiceId);
  }

  async getCreditNote(id: string, options?: ReadOptions): Promise<BillingCreditNote> {
    const note = await this.#client.read('creditNotes.retrieve', options, (request) =>
      this.#sdk.creditNotes.retrieve(id, {}, request),
    );
    const lines = note.lines.has_more
      ? await this.#client.listAll('creditNotes.listLineItems', options, (page, request) =>
          this.#sdk.creditNotes.listLineItems(note.id, page, request),
        )
      : note.lines.data;
    return toBillingCreditNote(note, lines);
  }

  /**
   * Bills usage as a pending invoice item on the item's subscription and customer: `quantity`
   * × the item's price unit amount (as `price_data` on the price's product), the usage
   * `period`, the description. The next invoice of the subscription picks it up. Idempotent by
   * the step's key.
   */
  async reportUsage(
    input: {
      subscriptionItemId: string;
      quantity: number;
      periodStart: string;
      periodEnd: string;
      description: string;
    },
    options: WriteOptions,
  ): Promise<{ id: string }> {
    if (!Number.isSafeInteger(input.quantity) || input.quantity < 0) {
      throw new ValidationError(
        `usage quantity must be a whole number ≥ 0, got ${input.quantity}`,
        { system: 'stripe' },
      );
    }
    const item = await this.#client.read('subscriptionItems.retrieve', options, (request) =>
      this.#sdk.subscriptionItems.retrieve(input.subscriptionItemId, {}, request),
    );
    const sub = await this.#client.read('subscriptions.retrieve', options, (request) =>
      this.#sdk.subscriptions.retrieve(item.subscription, {}, request),
    );
    const price = item.price;
    const unitAmount = price.unit_amount;
    if (unitAmount === null) {
      throw new ValidationError(
        `stripe price ${price.id} of item ${item.id} has no integer unit amount to bill usage at`,
        { system: 'stripe' },
      );
    }
    const invoiceItem = await this.#client.write('invoiceItems.create', options, (request) =>
      this.#sdk.invoiceItems.create(
        {
          customer: idOf(sub.customer),
          subscription: sub.id,
          price_data: {
            currency: price.currency,
            product: idOf(price.product),
            unit_amount: unitAmount,
          },
          quantity: input.quantity,
          period: { start: unixSeconds(input.periodStart), end: unixSeconds(input.periodEnd) },
          description: input.description,
          metadata: {
            revsync_subscription_item_id: item.id,
            revsync_usage_period_start: input.periodStart,
            revsync_usage_period_end: input.periodEnd,
          },
        },
        request,
      ),
    );
    return { id: invoiceItem.id };
  }
}

/** The Stripe error code behind a classified error, if any. */
function stripeCodeOf(error: unknown): string | undefined {
  const cause = error instanceof RevsyncError ? error.cause : error;
  return cause instanceof Stripe.errors.StripeError ? cause.code : undefined;
}

/** How long a price found by its lookup key is reused without asking Stripe again. */
const PRICE_CACHE_MS = 10 * 60_000;

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(key, value);
}

/** Stripe's `created` range filter for a window (Unix seconds, `[from, to)`). */
function createdIn(window: DocumentWindow): Stripe.RangeQueryParam {
  return { gte: unixSeconds(window.from), lt: unixSeconds(window.to) };
}

/**
 * `attempt()` once per key at a time: concurrent callers share the one in flight, so a burst of
 * postings for one price or product makes one look-up and at most one create. A caller whose
 * shared attempt failed (another caller's signal or attempt) then tries once on its own.
 */
async function sharedAttempt<T>(
  inFlight: Map<string, Promise<T>>,
  key: string,
  attempt: () => Promise<T>,
): Promise<T> {
  const pending = inFlight.get(key);
  if (pending) {
    try {
      return await pending;
    } catch {
      // That caller's failure: this call tries on its own options below.
    }
  }
  const run = attempt();
  inFlight.set(key, run);
  try {
    return await run;
  } finally {
    if (inFlight.get(key) === run) inFlight.delete(key);
  }
}
