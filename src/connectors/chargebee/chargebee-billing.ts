import type { Customer, Invoice, ItemPrice, Subscription } from 'chargebee';
import type {
  BillingCreditNote,
  BillingCustomerInput,
  BillingInvoice,
  BillingPayment,
  BillingPriceInput,
  BillingRefund,
  BillingSubscription,
  BillingSystem,
  DocumentWindow,
  ReadOptions,
  WriteOptions,
} from '../ports.ts';
import { ConflictError, NotFoundError } from '../../model/revsync-error.ts';
import type { ChargebeeClient } from './client.ts';
import { chargebeeCodeOf } from './errors.ts';
import {
  addressChanged,
  customerIdFor,
  itemIdFor,
  itemPriceIdFor,
  parseSubscriptionItemId,
  productCodeOf,
  REVSYNC_CUSTOMER_KEY,
  REVSYNC_PRODUCT_KEY,
  stringMap,
  toBillingCreditNote,
  toBillingInvoice,
  toBillingPayment,
  toBillingRefund,
  toBillingSubscription,
  toChargebeeAddress,
  toChargebeeCustomerCreate,
  toChargebeeCustomerUpdate,
  unixSeconds,
} from './mapper.ts';

/** Options of {@link ChargebeeBilling}. */
export interface ChargebeeBillingOptions {
  /** The item family revsync's items live in (default `revsync`). */
  itemFamilyId?: string;
  /** Test sites only: card token attached to new customers. */
  paymentToken?: string;
}

/** Item prices never change their product: their codes can be kept (bounded anyway). */
const CACHE_LIMIT = 2_000;

/**
 * The billing port on Chargebee (product catalog 2.0) through the `chargebee` SDK. Customers
 * get the canonical id as their Chargebee id; items and item prices get ids derived from the
 * product, amount, currency and interval, so every "find or create" is a retrieve by id. Every
 * write carries the step's idempotency key as `chargebee-idempotency-key` (suffixed when one
 * method writes more than once). Proration is Chargebee's: revsync books the lines Chargebee
 * computed, never its own.
 */
export class ChargebeeBilling implements BillingSystem {
  readonly system = 'chargebee' as const;
  readonly #client: ChargebeeClient;
  readonly #options: ChargebeeBillingOptions;
  readonly #productCodes = new Map<string, string | undefined>();
  readonly #revsyncIds = new Map<string, string | undefined>();

  constructor(client: ChargebeeClient, options: ChargebeeBillingOptions = {}) {
    this.#client = client;
    this.#options = options;
  }

  get #sdk() {
    return this.#client.sdk;
  }

  /**
   * Retrieves the customer whose id is the canonical id and brings name, email, metadata and
   * billing address up to date; else creates it with that id. A concurrent create loses with
   * `duplicate_entry` and then finds the customer.
   */
  async upsertCustomer(
    input: BillingCustomerInput,
    options: WriteOptions,
  ): Promise<{ id: string; created: boolean }> {
    const id = customerIdFor(input.revsyncId);
    const existing = await this.#findCustomer(id, options);
    if (existing) {
      await this.#updateCustomer(existing, input, options);
      return { id, created: false };
    }
    try {
      await this.#client.write('customers.create', options, (headers) =>
        this.#sdk.customer.create(
          toChargebeeCustomerCreate(input, this.#options.paymentToken),
          headers,
        ),
      );
      return { id, created: true };
    } catch (caught) {
      if (chargebeeCodeOf(caught) !== 'duplicate_entry') throw caught;
      const found = await this.#findCustomer(id, options);
      if (!found) throw caught;
      await this.#updateCustomer(found, input, options);
      return { id, created: false };
    }
  }

  async #findCustomer(id: string, options: ReadOptions): Promise<Customer | undefined> {
    try {
      return (
        await this.#client.read('customers.retrieve', options, (h) =>
          this.#sdk.customer.retrieve(id, h),
        )
      ).customer;
    } catch (caught) {
      if (caught instanceof NotFoundError) return undefined;
      throw caught;
    }
  }

  async #updateCustomer(
    existing: Customer,
    input: BillingCustomerInput,
    options: WriteOptions,
  ): Promise<void> {
    const update = toChargebeeCustomerUpdate(existing, input);
    if (update) {
      await this.#client.write(
        'customers.update',
        options,
        (h) => this.#sdk.customer.update(existing.id, update, h),
        'update',
      );
    }
    if (input.address && addressChanged(existing, input)) {
      const address = toChargebeeAddress(input.address, input.name);
      await this.#client.write(
        'customers.updateBillingInfo',
        options,
        (h) => this.#sdk.customer.updateBillingInfo(existing.id, { billing_address: address }, h),
        'billing-info',
      );
    }
  }

  /**
   * The item price `revsync-<code>-<CUR>-<amount>-<interval>` (retrieved, else created on the
   * item `revsync-<code>` in the item family, both created when missing).
   */
  async ensurePrice(
    input: BillingPriceInput,
    options: WriteOptions,
  ): Promise<{ priceId: string; productId: string }> {
    const priceId = itemPriceIdFor(input);
    const itemId = itemIdFor(input.productCode);
    try {
      await this.#client.read('itemPrices.retrieve', options, (h) =>
        this.#sdk.itemPrice.retrieve(priceId, h),
      );
      return { priceId, productId: itemId };
    } catch (caught) {
      if (!(caught instanceof NotFoundError)) throw caught;
    }
    await this.#ensureItem(input, itemId, options);
    await this.#createOnce('itemPrices.create', options, 'item-price', (h) =>
      this.#sdk.itemPrice.create(
        {
          id: priceId,
          item_id: itemId,
          name: `${input.productName} ${input.unitAmount.currency} ${input.interval}ly ${input.unitAmount.amount}`,
          external_name: input.productName,
          pricing_model: 'per_unit',
          price: input.unitAmount.amount,
          currency_code: input.unitAmount.currency,
          period: 1,
          period_unit: input.interval,
          metadata: { [REVSYNC_PRODUCT_KEY]: input.productCode },
        },
        h,
      ),
    );
    this.#remember(this.#productCodes, priceId, input.productCode);
    return { priceId, productId: itemId };
  }

  async #ensureItem(
    input: BillingPriceInput,
    itemId: string,
    options: WriteOptions,
  ): Promise<void> {
    try {
      await this.#client.read('items.retrieve', options, (h) => this.#sdk.item.retrieve(itemId, h));
      return;
    } catch (caught) {
      if (!(caught instanceof NotFoundError)) throw caught;
    }
    const familyId = this.#options.itemFamilyId ?? 'revsync';
    try {
      await this.#client.read('itemFamilies.retrieve', options, (h) =>
        this.#sdk.itemFamily.retrieve(familyId, h),
      );
    } catch (caught) {
      if (!(caught instanceof NotFoundError)) throw caught;
      await this.#createOnce('itemFamilies.create', options, 'item-family', (h) =>
        this.#sdk.itemFamily.create({ id: familyId, name: 'revsync products' }, h),
      );
    }
    await this.#createOnce('items.create', options, 'item', (h) =>
      this.#sdk.item.create(
        {
          id: itemId,
          name: input.productName,
          type: 'plan',
          item_family_id: familyId,
          metadata: { [REVSYNC_PRODUCT_KEY]: input.productCode },
        },
        h,
      ),
    );
  }

  /** A create whose object another step may have created meanwhile: it exists, which is all we need. */
  async #createOnce(
    operation: string,
    options: WriteOptions,
    suffix: string,
    fn: (headers: Record<string, string>) => Promise<unknown>,
  ): Promise<void> {
    try {
      await this.#client.write(operation, options, fn, suffix);
    } catch (caught) {
      if (chargebeeCodeOf(caught) !== 'duplicate_entry') throw caught;
    }
  }

  /**
   * `POST /customers/{id}/subscription_for_items`: Chargebee bills the first term at once and
   * collects it from the customer's card (a decline leaves the invoice `payment_due`, an
   * outcome). `latestInvoiceId` is that first invoice, and `latestInvoice` the invoice as the
   * create answered it.
   */
  async createSubscription(
    input: {
      customerId: string;
      items: { priceId: string; quantity: number }[];
      metadata: Record<string, string>;
    },
    options: WriteOptions,
  ): Promise<BillingSubscription> {
    const res = await this.#client.write('subscriptions.createWithItems', options, (h) =>
      this.#sdk.subscription.createWithItems(
        input.customerId,
        {
          subscription_items: input.items.map((i) => ({
            item_price_id: i.priceId,
            quantity: i.quantity,
          })),
          meta_data: { ...input.metadata },
          invoice_immediately: true,
        },
        h,
      ),
    );
    const subscription = await this.#toSubscription(res.subscription, res.invoice?.id, options);
    if (res.invoice === undefined) return subscription;
    return { ...subscription, latestInvoice: await this.#toInvoice(res.invoice, options) };
  }

  /**
   * `POST /subscriptions/{id}/update_for_items` with `prorate: true` and
   * `invoice_immediately: true`: Chargebee prorates the change by day and bills the upgrade
   * part at once in an invoice (its `latestInvoiceId`); a downgrade's unused part becomes an
   * adjustment credit note (booked through its `credit_note_created` event). An item price of a
   * product already subscribed replaces that product's price; items not named are kept.
   * `meta_data` is replaced as a whole by Chargebee, so the current one is read and merged.
   */
  async amendSubscription(
    subscriptionId: string,
    change: {
      items: { itemId?: string; priceId: string; quantity: number }[];
      metadata?: Record<string, string>;
    },
    options: WriteOptions,
  ): Promise<BillingSubscription> {
    const current = (
      await this.#client.read('subscriptions.retrieve', options, (h) =>
        this.#sdk.subscription.retrieve(subscriptionId, h),
      )
    ).subscription;
    const meta = change.metadata
      ? { ...stringMap(current.meta_data), ...change.metadata }
      : undefined;
    const res = await this.#client.write('subscriptions.updateForItems', options, (h) =>
      this.#sdk.subscription.updateForItems(
        subscriptionId,
        {
          subscription_items: change.items.map((i) => ({
            item_price_id: i.priceId,
            quantity: i.quantity,
          })),
          prorate: true,
          invoice_immediately: true,
          ...(meta && { meta_data: meta }),
        },
        h,
      ),
    );
    return this.#toSubscription(res.subscription, res.invoice?.id, options);
  }

  /** `cancel_for_items`: at term end (`non_renewing`) or now, without crediting the current term. */
  async cancelSubscription(
    subscriptionId: string,
    mode: { atPeriodEnd: boolean },
    options: WriteOptions,
  ): Promise<BillingSubscription> {
    const res = await this.#client.write('subscriptions.cancelForItems', options, (h) =>
      this.#sdk.subscription.cancelForItems(
        subscriptionId,
        { end_of_term: mode.atPeriodEnd, credit_option_for_current_term_charges: 'none' },
        h,
      ),
    );
    return this.#toSubscription(res.subscription, undefined, options);
  }

  async getSubscription(id: string, options?: ReadOptions): Promise<BillingSubscription> {
    const res = await this.#client.read('subscriptions.retrieve', options, (h) =>
      this.#sdk.subscription.retrieve(id, h),
    );
    return this.#toSubscription(res.subscription, undefined, options);
  }

  /** With the latest invoice of the subscription (read when the call did not return one). */
  async #toSubscription(
    sub: Subscription,
    latestInvoiceId: string | undefined,
    options: ReadOptions | undefined,
  ): Promise<BillingSubscription> {
    const latest = latestInvoiceId ?? (await this.#latestInvoiceId(sub.id, options));
    const codes = await this.#codesOf(
      (sub.subscription_items ?? []).map((i) => i.item_price_id),
      options,
    );
    return toBillingSubscription(sub, {
      ...(latest !== undefined && { latestInvoiceId: latest }),
      productCodes: codes,
    });
  }

  async #latestInvoiceId(
    subscriptionId: string,
    options: ReadOptions | undefined,
  ): Promise<string | undefined> {
    const page = await this.#client.read('invoices.list', options, (h) =>
      this.#sdk.invoice.list(
        { subscription_id: { is: subscriptionId }, limit: 1, 'sort_by[desc]': 'date' },
        h,
      ),
    );
    return page.list[0]?.invoice.id;
  }

  async getInvoice(id: string, options?: ReadOptions): Promise<BillingInvoice> {
    const res = await this.#client.read('invoices.retrieve', options, (h) =>
      this.#sdk.invoice.retrieve(id, h),
    );
    return this.#toInvoice(res.invoice, options);
  }

  /** Every invoice matching the filter, newest first (all pages). */
  async listInvoices(
    filter: { customerId?: string; subscriptionId?: string; createdAfter?: string },
    options?: ReadOptions,
  ): Promise<BillingInvoice[]> {
    const entries = await this.#client.listAll('invoices.list', options, (page, h) =>
      this.#sdk.invoice.list(
        {
          ...page,
          'sort_by[desc]': 'date',
          ...(filter.customerId !== undefined && { customer_id: { is: filter.customerId } }),
          ...(filter.subscriptionId !== undefined && {
            subscription_id: { is: filter.subscriptionId },
          }),
          ...(filter.createdAfter !== undefined && {
            date: { after: unixSeconds(filter.createdAfter) },
          }),
        },
        h,
      ),
    );
    const out: BillingInvoice[] = [];
    for (const { invoice } of entries) out.push(await this.#toInvoice(invoice, options));
    return out;
  }

  async *pageInvoices(window: DocumentWindow, options?: ReadOptions) {
    for await (const page of this.#client.pages('invoices.list', options, (p, h) =>
      this.#sdk.invoice.list({ ...p, 'sort_by[asc]': 'date', date: dateIn(window) }, h),
    )) {
      const out: BillingInvoice[] = [];
      for (const { invoice } of page) out.push(await this.#toInvoice(invoice, options));
      yield out;
    }
  }

  async *pagePayments(window: DocumentWindow, options?: ReadOptions) {
    for await (const page of this.#client.pages('transactions.list', options, (p, h) =>
      this.#sdk.transaction.list({ ...p, type: { is: 'payment' }, date: dateIn(window) }, h),
    ))
      yield page.map(({ transaction }) => toBillingPayment(transaction));
  }

  async *pageRefunds(window: DocumentWindow, options?: ReadOptions) {
    for await (const page of this.#client.pages('transactions.list', options, (p, h) =>
      this.#sdk.transaction.list({ ...p, type: { is: 'refund' }, date: dateIn(window) }, h),
    ))
      yield page.map(({ transaction }) => ({
        ...toBillingRefund(transaction),
        ...(transaction.customer_id !== undefined && { customerId: transaction.customer_id }),
      }));
  }

  /** Every subscription (without `latestInvoiceId`, which would cost a call each). */
  async *pageSubscriptions(options?: ReadOptions) {
    for await (const page of this.#client.pages('subscriptions.list', options, (p, h) =>
      this.#sdk.subscription.list({ ...p }, h),
    )) {
      const out: BillingSubscription[] = [];
      for (const { subscription } of page) {
        const codes = await this.#codesOf(
          (subscription.subscription_items ?? []).map((i) => i.item_price_id),
          options,
        );
        out.push(toBillingSubscription(subscription, { productCodes: codes }));
      }
      yield out;
    }
  }

  /** Credit notes, except a refund's own (booked with the refund, as the events do). */
  async *pageCreditNotes(window: DocumentWindow, options?: ReadOptions) {
    for await (const page of this.#client.pages('creditNotes.list', options, (p, h) =>
      this.#sdk.creditNote.list({ ...p, date: dateIn(window) }, h),
    ))
      yield page
        .filter(({ credit_note }) => (credit_note.linked_refunds?.length ?? 0) === 0)
        .map(({ credit_note }) => toBillingCreditNote(credit_note));
  }

  async #toInvoice(invoice: Invoice, options: ReadOptions | undefined): Promise<BillingInvoice> {
    const priceIds = (invoice.line_items ?? [])
      .filter((l) => l.entity_type !== 'adhoc' && l.entity_id !== undefined)
      .map((l) => l.entity_id!);
    const codes = await this.#codesOf(priceIds, options);
    const revsyncId = await this.#revsyncIdOf(invoice.customer_id, options);
    return toBillingInvoice(invoice, {
      productCodes: codes,
      ...(revsyncId !== undefined && { revsyncId }),
    });
  }

  /** The canonical id in the customer's `meta_data` (customers do not change hands: cached). */
  async #revsyncIdOf(
    customerId: string,
    options: ReadOptions | undefined,
  ): Promise<string | undefined> {
    if (this.#revsyncIds.has(customerId)) return this.#revsyncIds.get(customerId);
    const customer = await this.#findCustomer(customerId, options ?? {});
    const id = stringMap(customer?.meta_data)[REVSYNC_CUSTOMER_KEY];
    this.#remember(this.#revsyncIds, customerId, id);
    return id;
  }

  async #codesOf(
    priceIds: readonly string[],
    options: ReadOptions | undefined,
  ): Promise<Map<string, string | undefined>> {
    for (const id of new Set(priceIds)) {
      if (this.#productCodes.has(id)) continue;
      let price: ItemPrice | undefined;
      try {
        price = (
          await this.#client.read('itemPrices.retrieve', options, (h) =>
            this.#sdk.itemPrice.retrieve(id, h),
          )
        ).item_price;
      } catch (caught) {
        if (!(caught instanceof NotFoundError)) throw caught;
      }
      this.#remember(this.#productCodes, id, price ? productCodeOf(price) : undefined);
    }
    return this.#productCodes;
  }

  /** A payment transaction (`txn_…`). */
  async getPayment(id: string, options?: ReadOptions): Promise<BillingPayment> {
    const res = await this.#client.read('transactions.retrieve', options, (h) =>
      this.#sdk.transaction.retrieve(id, h),
    );
    return toBillingPayment(res.transaction);
  }

  /** A refund transaction: its payment is `reference_transaction_id`. */
  async getRefund(id: string, options?: ReadOptions): Promise<BillingRefund> {
    const res = await this.#client.read('transactions.retrieve', options, (h) =>
      this.#sdk.transaction.retrieve(id, h),
    );
    return toBillingRefund(res.transaction);
  }

  async getCreditNote(id: string, options?: ReadOptions): Promise<BillingCreditNote> {
    const res = await this.#client.read('creditNotes.retrieve', options, (h) =>
      this.#sdk.creditNote.retrieve(id, h),
    );
    return toBillingCreditNote(res.credit_note);
  }

  /**
   * Usage as an unbilled charge of the subscription (quantity × the item's unit price), which
   * Chargebee adds to the next renewal invoice.
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
    const { subscriptionId, itemPriceId } = parseSubscriptionItemId(input.subscriptionItemId);
    const sub = (
      await this.#client.read('subscriptions.retrieve', options, (h) =>
        this.#sdk.subscription.retrieve(subscriptionId, h),
      )
    ).subscription;
    const item = (sub.subscription_items ?? []).find((i) => i.item_price_id === itemPriceId);
    if (!item) {
      throw new ConflictError(
        `chargebee subscription ${subscriptionId} has no item price ${itemPriceId}`,
        {
          system: 'chargebee',
        },
      );
    }
    const res = await this.#client.write('unbilledCharges.create', options, (h) =>
      this.#sdk.unbilledCharge.create(
        {
          subscription_id: subscriptionId,
          charges: [
            {
              amount: (item.unit_price ?? 0) * input.quantity,
              description: input.description,
              date_from: unixSeconds(input.periodStart),
              date_to: unixSeconds(input.periodEnd),
            },
          ],
        },
        h,
      ),
    );
    const id = res.unbilled_charges[0]?.id;
    if (id === undefined)
      throw new ConflictError('chargebee created no unbilled charge', { system: 'chargebee' });
    return { id };
  }

  #remember<K, V>(map: Map<K, V>, key: K, value: V): void {
    if (map.size >= CACHE_LIMIT) map.delete(map.keys().next().value as K);
    map.set(key, value);
  }
}

/** Chargebee's `date` filter for a window (`[from, to)` in Unix seconds; `between` is inclusive). */
function dateIn(window: DocumentWindow): { between: [number, number] } {
  return { between: [unixSeconds(window.from), unixSeconds(window.to) - 1] };
}
