import { toCurrencyCode } from '../../model/currency.ts';
import type { Money } from '../../model/money.ts';
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  type RevsyncError,
} from '../../model/revsync-error.ts';
import type {
  ErpCreditApplication,
  ErpCreditMemo,
  ErpCreditMemoInput,
  ErpCustomer,
  ErpCustomerInput,
  ErpInvoice,
  ErpInvoiceInput,
  ErpPayment,
  ErpPaymentInput,
  ErpSystem,
  DocumentWindow,
  ErpDocumentKind,
  ErpListedDocument,
  ReadOptions,
  WriteOptions,
} from '../ports.ts';
import type { QboObject, QuickbooksCallOptions, QuickbooksClient } from './client.ts';
import { quickbooksCodes } from './errors.ts';
import {
  assertDocumentAmounts,
  customerName,
  customerTagFor,
  docNumberFor,
  referenceNote,
  toQboAmount,
  externalIdFromNote,
  fromQboAmount,
  queryText,
  refValue,
  salesLineCount,
  salesNet,
  taxOf,
  toQuickbooksCredit,
  toQuickbooksCustomer,
  toQuickbooksInvoice,
  toQuickbooksPayment,
} from './mapper.ts';

/** Options of {@link QuickbooksErp}. */
export interface QuickbooksErpOptions {
  /** The item of every sales line (QuickBooks' seeded `Services` item is `1`). */
  defaultItemId?: string;
  /** The bank account refund receipts pay out of; default the company's first `Bank` account. */
  depositAccountId?: string;
  /** Compare the total and tax QuickBooks computed with the input's; default true. */
  verifyTotals?: boolean;
}

/** A revsync id of a QuickBooks object: `<realmId>:<Id>` (ids are numbered per company). */
export function qboId(realmId: string, id: string): string {
  return `${realmId}:${id}`;
}

/** `<realmId>:<Id>` → its parts. */
export function parseQboId(id: string): { realmId: string; id: string } | undefined {
  const m = /^([^:]+):(\d+)$/.exec(id);
  return m ? { realmId: m[1]!, id: m[2]! } : undefined;
}

const STALE = '5010';
const DUPLICATE_DOC = '6140';
const DUPLICATE_NAME = '6240';
const hasCode = (caught: unknown, code: string) =>
  typeof caught === 'object' &&
  caught !== null &&
  quickbooksCodes(caught as RevsyncError).includes(code);

type CreditEntity = 'CreditMemo' | 'RefundReceipt';

/**
 * The ERP port on QuickBooks Online. QuickBooks has no upsert by external id: every write first
 * looks the document up by revsync's reference (see `mapper.ts`), creates it when absent — with
 * `requestid` derived from the step's idempotency key, so a create retried after a lost answer
 * replays instead of duplicating — and otherwise sparse-updates it with its `SyncToken`,
 * re-reading and trying again when that token went stale (5010). A duplicate refused by
 * QuickBooks (6140 / 6240, which arrive in an HTTP 200) means another run created it meanwhile:
 * it is looked up again and returned. Each region's books are a company (realm): the
 * subsidiary revsync passes is the realm id.
 */
export class QuickbooksErp implements ErpSystem {
  readonly system = 'quickbooks' as const;
  readonly #client: QuickbooksClient;
  readonly #itemId: string;
  readonly #depositAccountId: string | undefined;
  readonly #verifyTotals: boolean;
  /** The company each customer (by external id) was found or created in. */
  readonly #realmOf = new Map<string, string>();
  readonly #depositAccounts = new Map<string, string>();

  constructor(client: QuickbooksClient, options: QuickbooksErpOptions = {}) {
    this.#client = client;
    this.#itemId = options.defaultItemId ?? '1';
    this.#depositAccountId = options.depositAccountId;
    this.#verifyTotals = options.verifyTotals ?? true;
  }

  async upsertCustomer(input: ErpCustomerInput, options: WriteOptions): Promise<{ id: string }> {
    const realm = this.#realm(input.subsidiary);
    const call = callOptions(options, 'customer.upsert');
    const body = toQuickbooksCustomer(input);
    return this.#retryStale(async () => {
      const existing = await this.#findCustomer(realm, input.externalId, call);
      if (!existing) {
        try {
          const created = await this.#client.write(
            realm,
            'Customer',
            { ...body, CurrencyRef: { value: input.currency } },
            { ...call, requestId: `${options.idempotencyKey}:customer:create` },
          );
          this.#realmOf.set(input.externalId, realm);
          return { id: qboId(realm, created.Id) };
        } catch (caught) {
          const again = hasCode(caught, DUPLICATE_NAME)
            ? await this.#findCustomer(realm, input.externalId, call)
            : undefined;
          if (again) return { id: qboId(realm, again.Id) };
          throw caught;
        }
      }
      const currency = refValue(existing.CurrencyRef);
      if (currency !== undefined && currency !== input.currency) {
        throw new ValidationError(
          `customer ${input.externalId} is in ${currency} in QuickBooks; it cannot become ${input.currency}`,
          { system: 'quickbooks', details: [{ path: 'currency', message: 'fixed once set' }] },
        );
      }
      const email = (existing.PrimaryEmailAddr as { Address?: unknown } | undefined)?.Address;
      if (existing.DisplayName === body.DisplayName && email === input.email) {
        return { id: qboId(realm, existing.Id) };
      }
      await this.#client.write(
        realm,
        'Customer',
        { ...body, Id: existing.Id, SyncToken: existing.SyncToken, sparse: true },
        {
          ...call,
          requestId: `${options.idempotencyKey}:customer:${existing.Id}@${existing.SyncToken}`,
        },
      );
      return { id: qboId(realm, existing.Id) };
    });
  }

  async upsertInvoice(input: ErpInvoiceInput, options: WriteOptions): Promise<{ id: string }> {
    const realm = this.#realm(input.subsidiary);
    assertDocumentAmounts(`invoice ${input.externalId}`, input);
    const call = callOptions(options, 'invoice.upsert');
    const customer = await this.#findCustomer(realm, input.customerExternalId, call);
    if (!customer) {
      throw new ValidationError(
        `invoice ${input.externalId}: customer ${input.customerExternalId} is not in QuickBooks company ${realm}; post the customer first`,
        { system: 'quickbooks', details: [{ path: 'customerExternalId', message: 'not found' }] },
      );
    }
    const body = toQuickbooksInvoice(input, { customerId: customer.Id, itemId: this.#itemId });
    const written = await this.#upsertTransaction(realm, 'Invoice', input.externalId, body, {
      call,
      key: options.idempotencyKey,
      same: (o) =>
        fromQboAmount(o.TotalAmt, input.currency).amount === input.total.amount &&
        taxOf(o, input.currency).amount === input.tax.amount &&
        salesLineCount(o) === input.lines.length,
    });
    if (this.#verifyTotals)
      this.#verify('invoice', input.externalId, written, input.total, input.tax);
    return { id: qboId(realm, written.Id) };
  }

  async upsertPayment(input: ErpPaymentInput, options: WriteOptions): Promise<{ id: string }> {
    const call = callOptions(options, 'payment.upsert');
    const { realm, customer } = await this.#customerAnywhere(input.customerExternalId, call);
    const invoice = await this.#findTransaction(realm, 'Invoice', input.invoiceExternalId, call);
    if (!invoice) {
      throw new NotFoundError(
        `invoice ${input.invoiceExternalId} is not in QuickBooks company ${realm}; post it first`,
        { system: 'quickbooks' },
      );
    }
    const currency = input.amount.currency;
    if (refValue(invoice.CurrencyRef) !== currency) {
      throw new ValidationError(
        `payment ${input.externalId} is in ${currency}, invoice ${input.invoiceExternalId} is not`,
        {
          system: 'quickbooks',
          details: [{ path: 'amount.currency', message: 'differs from the invoice' }],
        },
      );
    }
    return this.#retryStale(async () => {
      const existing = await this.#findPayment(realm, input.externalId, call);
      const linked = existing ? (paymentLinks(existing, currency).get(invoice.Id) ?? 0) : 0;
      if (
        existing &&
        fromQboAmount(existing.TotalAmt, currency).amount === input.amount.amount &&
        linked > 0
      ) {
        return { id: qboId(realm, existing.Id) };
      }
      // What is still due on the invoice (plus what this payment already applies) is applied.
      const due = fromQboAmount(invoice.Balance ?? 0, currency).amount + linked;
      const applied: Money = { amount: Math.min(due, input.amount.amount), currency };
      const body = toQuickbooksPayment(input, {
        customerId: customer.Id,
        invoiceId: invoice.Id,
        applied,
      });
      const written = existing
        ? await this.#client.write(
            realm,
            'Payment',
            { ...body, Id: existing.Id, SyncToken: existing.SyncToken, sparse: true },
            {
              ...call,
              requestId: `${options.idempotencyKey}:payment:${existing.Id}@${existing.SyncToken}`,
            },
          )
        : await this.#client.write(realm, 'Payment', body, {
            ...call,
            requestId: `${options.idempotencyKey}:payment:create`,
          });
      return { id: qboId(realm, written.Id) };
    });
  }

  /**
   * A refund of an invoice that is paid in full is a refund receipt (money back out of the bank
   * account); any other credit — a credit note, a negative proration invoice, a refund of an
   * invoice still open — is a credit memo. Either way the document carries the same reference.
   */
  async upsertCreditMemo(
    input: ErpCreditMemoInput,
    options: WriteOptions,
  ): Promise<{ id: string }> {
    assertDocumentAmounts(`credit memo ${input.externalId}`, input);
    const call = callOptions(options, 'creditmemo.upsert');
    const { realm, customer } = await this.#customerAnywhere(input.customerExternalId, call);
    const found = await this.#findCredit(realm, input.externalId, call);
    let entity: CreditEntity = found?.entity ?? 'CreditMemo';
    if (!found && input.invoiceExternalId !== undefined) {
      const invoice = await this.#findTransaction(realm, 'Invoice', input.invoiceExternalId, call);
      if (invoice && fromQboAmount(invoice.Balance ?? 0, input.currency).amount === 0) {
        entity = 'RefundReceipt';
      }
    }
    const body = toQuickbooksCredit(input, {
      customerId: customer.Id,
      itemId: this.#itemId,
      ...(entity === 'RefundReceipt' && {
        depositAccountId: await this.#depositAccount(realm, call),
      }),
    });
    const written = await this.#upsertTransaction(realm, entity, input.externalId, body, {
      call,
      key: options.idempotencyKey,
      same: (o) => fromQboAmount(o.TotalAmt, input.currency).amount === input.total.amount,
    });
    if (this.#verifyTotals) this.#verify(entity, input.externalId, written, input.total);
    return { id: qboId(realm, written.Id) };
  }

  async getCustomer(externalId: string, options?: ReadOptions): Promise<ErpCustomer | undefined> {
    const call = callOptions(options, 'customer.get');
    for (const realm of this.#realmsFor(externalId)) {
      const c = await this.#findCustomer(realm, externalId, call);
      if (!c) continue;
      const email = (c.PrimaryEmailAddr as { Address?: unknown } | undefined)?.Address;
      return {
        id: qboId(realm, c.Id),
        externalId,
        name: customerName(c),
        currency: refValue(c.CurrencyRef) ?? '',
        subsidiary: realm,
        ...(typeof email === 'string' && email !== '' && { email }),
      };
    }
    return undefined;
  }

  async getInvoice(externalId: string, options?: ReadOptions): Promise<ErpInvoice | undefined> {
    const call = callOptions(options, 'invoice.get');
    for (const realm of this.#client.realmIds) {
      const inv = await this.#findTransaction(realm, 'Invoice', externalId, call);
      if (!inv) continue;
      const currency = toCurrencyCode(refValue(inv.CurrencyRef) ?? 'USD');
      const customerId = refValue(inv.CustomerRef);
      const customer =
        customerId === undefined
          ? undefined
          : await this.#client.read(realm, 'Customer', customerId, {
              ...call,
              operation: 'customer.get',
            });
      const customerExternalId = externalIdFromNote(customer?.Notes);
      const total = fromQboAmount(inv.TotalAmt, currency);
      const remaining = fromQboAmount(inv.Balance ?? 0, currency);
      return {
        id: qboId(realm, inv.Id),
        externalId,
        ...(customerExternalId !== undefined && { customerExternalId }),
        subsidiary: realm,
        currency,
        subtotal: { amount: salesNet(inv, currency), currency },
        tax: taxOf(inv, currency),
        total,
        amountRemaining: remaining,
        status:
          remaining.amount === 0
            ? 'paid'
            : remaining.amount < total.amount
              ? 'partially_paid'
              : 'open',
        lineCount: salesLineCount(inv),
      };
    }
    return undefined;
  }

  async getPayment(externalId: string, options?: ReadOptions): Promise<ErpPayment | undefined> {
    const call = callOptions(options, 'payment.get');
    for (const realm of this.#client.realmIds) {
      const p = await this.#findPayment(realm, externalId, call);
      if (!p) continue;
      const currency = toCurrencyCode(refValue(p.CurrencyRef) ?? 'USD');
      const appliedTo: ErpPayment['appliedTo'] = [];
      for (const [invoiceId, amount] of paymentLinks(p, currency)) {
        const inv = await this.#client.read(realm, 'Invoice', invoiceId, {
          ...call,
          operation: 'invoice.get',
        });
        const invoiceExternalId = externalIdFromNote(inv?.PrivateNote);
        if (invoiceExternalId !== undefined)
          appliedTo.push({ invoiceExternalId, amount: { amount, currency } });
      }
      return {
        id: qboId(realm, p.Id),
        externalId,
        amount: fromQboAmount(p.TotalAmt, currency),
        appliedTo,
      };
    }
    return undefined;
  }

  async getCreditMemo(
    externalId: string,
    options?: ReadOptions,
  ): Promise<ErpCreditMemo | undefined> {
    const call = callOptions(options, 'creditmemo.get');
    for (const realm of this.#client.realmIds) {
      const found = await this.#findCredit(realm, externalId, call);
      if (!found) continue;
      const currency = toCurrencyCode(refValue(found.object.CurrencyRef) ?? 'USD');
      const balance = fromQboAmount(found.object.Balance ?? 0, currency).amount;
      return {
        id: qboId(realm, found.object.Id),
        externalId,
        total: fromQboAmount(found.object.TotalAmt, currency),
        status: found.entity === 'RefundReceipt' ? 'refunded' : balance === 0 ? 'applied' : 'open',
      };
    }
    return undefined;
  }

  /**
   * QuickBooks applies a credit memo to an invoice with a zero-total Payment whose lines link
   * both (the way its UI does). The payment carries a reference derived from the pair, so a
   * repeat finds it instead of linking again; an existing one is updated to the new amount.
   */
  async applyCreditMemo(input: ErpCreditApplication, options: WriteOptions): Promise<void> {
    const call = callOptions(options, 'creditmemo.apply');
    const pair = `${input.creditMemoExternalId}>${input.invoiceExternalId}`;
    for (const realm of this.#client.realmIds) {
      const memo = await this.#findTransaction(
        realm,
        'CreditMemo',
        input.creditMemoExternalId,
        call,
      );
      if (!memo) continue;
      const invoice = await this.#findTransaction(realm, 'Invoice', input.invoiceExternalId, call);
      if (!invoice) {
        throw new NotFoundError(
          `invoice ${input.invoiceExternalId} is not in QuickBooks company ${realm}; post it first`,
          { system: 'quickbooks' },
        );
      }
      const amount = toQboAmount(input.amount);
      const body = {
        CustomerRef: memo.CustomerRef,
        CurrencyRef: memo.CurrencyRef,
        TxnDate: invoice.TxnDate,
        TotalAmt: 0,
        PaymentRefNum: docNumberFor(pair),
        PrivateNote: referenceNote(pair, `credit ${input.creditMemoExternalId} applied`),
        Line: [
          { Amount: amount, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] },
          { Amount: amount, LinkedTxn: [{ TxnId: memo.Id, TxnType: 'CreditMemo' }] },
        ],
      };
      await this.#retryStale(async () => {
        const existing = await this.#findPayment(realm, pair, call);
        if (
          existing &&
          paymentLinks(existing, input.amount.currency).get(invoice.Id) === input.amount.amount
        )
          return;
        await this.#client.write(
          realm,
          'Payment',
          existing ? { ...body, Id: existing.Id, SyncToken: existing.SyncToken } : body,
          {
            ...call,
            requestId: existing
              ? `${options.idempotencyKey}:credit:${existing.Id}@${existing.SyncToken}`
              : `${options.idempotencyKey}:credit:create`,
          },
        );
      });
      return;
    }
    throw new NotFoundError(
      `credit memo ${input.creditMemoExternalId} is not in QuickBooks; post it first`,
      { system: 'quickbooks' },
    );
  }

  /**
   * Every invoice, credit (credit memos and refund receipts) or payment dated in the window, in
   * every company: one query per entity and company (paged by the client), one page each.
   */
  async *pageDocuments(
    kind: ErpDocumentKind,
    window: DocumentWindow,
    options?: ReadOptions,
  ): AsyncGenerator<ErpListedDocument[]> {
    const call = callOptions(options, `${kind}.list`);
    const entities =
      kind === 'invoice'
        ? ['Invoice']
        : kind === 'payment'
          ? ['Payment']
          : ['CreditMemo', 'RefundReceipt'];
    const dates = `TxnDate >= ${queryText(window.from.slice(0, 10))} AND TxnDate < ${queryText(window.to.slice(0, 10))}`;
    for (const realm of this.#client.realmIds) {
      const customers = new Map<string, string | undefined>();
      const invoices = new Map<string, string | undefined>();
      const externalOf = async (
        cache: Map<string, string | undefined>,
        entity: 'Customer' | 'Invoice',
        id: string,
      ) => {
        if (!cache.has(id)) {
          const o = await this.#client.read(realm, entity, id, {
            ...call,
            operation: `${entity.toLowerCase()}.get`,
          });
          cache.set(id, externalIdFromNote(entity === 'Customer' ? o?.Notes : o?.PrivateNote));
        }
        return cache.get(id);
      };
      for (const entity of entities) {
        const rows = await this.#client.query(
          realm,
          `select * from ${entity} where ${dates}`,
          call,
        );
        const out: ErpListedDocument[] = [];
        for (const o of rows) {
          const currency = toCurrencyCode(refValue(o.CurrencyRef) ?? 'USD');
          // A zero-total payment only applies a credit memo to an invoice: not a document.
          if (kind === 'payment' && fromQboAmount(o.TotalAmt, currency).amount === 0) continue;
          const customerId = refValue(o.CustomerRef) ?? '';
          const customerExternalId = customerId
            ? await externalOf(customers, 'Customer', customerId)
            : undefined;
          const externalId = externalIdFromNote(o.PrivateNote);
          const balance = fromQboAmount(o.Balance ?? 0, currency).amount;
          const doc: ErpListedDocument = {
            kind,
            id: qboId(realm, String(o.Id)),
            ...(externalId !== undefined && { externalId }),
            ...(customerExternalId !== undefined && { customerExternalId }),
            customerId: qboId(realm, customerId),
            subsidiary: realm,
            total: fromQboAmount(o.TotalAmt, currency),
            ...(kind !== 'payment' && { tax: taxOf(o, currency) }),
            tranDate: String(o.TxnDate ?? ''),
            ...(typeof o.PrivateNote === 'string' && { memo: o.PrivateNote }),
            status:
              kind === 'payment' || entity === 'RefundReceipt' || balance === 0 ? 'paid' : 'open',
          };
          if (kind === 'payment') {
            doc.appliedTo = [];
            for (const [invoiceId, amount] of paymentLinks(o, currency)) {
              const invoiceExternalId = await externalOf(invoices, 'Invoice', invoiceId);
              doc.appliedTo.push({
                ...(invoiceExternalId !== undefined && { invoiceExternalId }),
                invoiceId: qboId(realm, invoiceId),
                amount: { amount, currency },
              });
            }
          }
          out.push(doc);
        }
        if (out.length > 0) yield out;
      }
    }
  }

  /** Customers tagged with this external id, or whose company name is `name`; in every company. */
  async findCustomers(
    filter: { externalId?: string; name?: string },
    options?: ReadOptions,
  ): Promise<{ id: string; externalId?: string; name: string }[]> {
    if (filter.externalId === undefined && filter.name === undefined) {
      throw new ValidationError('findCustomers needs an externalId or a name', {
        system: 'quickbooks',
      });
    }
    const call = callOptions(options, 'customer.find');
    const out = new Map<string, { id: string; externalId?: string; name: string }>();
    for (const realm of this.#client.realmIds) {
      const queries: string[] = [];
      if (filter.externalId !== undefined) {
        queries.push(
          `select * from Customer where DisplayName like ${queryText(`%${customerTagFor(filter.externalId)}`)}`,
        );
      }
      if (filter.name !== undefined) {
        queries.push(`select * from Customer where CompanyName = ${queryText(filter.name.trim())}`);
      }
      for (const q of queries) {
        for (const c of await this.#client.query(realm, q, call)) {
          const externalId = externalIdFromNote(c.Notes);
          if (
            filter.externalId !== undefined &&
            filter.name === undefined &&
            externalId !== filter.externalId
          )
            continue;
          out.set(qboId(realm, c.Id), {
            id: qboId(realm, c.Id),
            ...(externalId !== undefined && { externalId }),
            name: customerName(c),
          });
        }
      }
    }
    return [...out.values()].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  }

  // -------------------------------------------------------------------------------------------

  #realm(subsidiary: string): string {
    if (!this.#client.hasRealm(subsidiary)) {
      throw new ValidationError(
        `subsidiary ${subsidiary} is not a QuickBooks company of this connection (realms: ${this.#client.realmIds.join(', ')})`,
        {
          system: 'quickbooks',
          details: [{ path: 'subsidiary', message: 'not a configured realm' }],
        },
      );
    }
    return subsidiary;
  }

  /** The realm the customer is known in first, then the others. */
  #realmsFor(customerExternalId: string): string[] {
    const known = this.#realmOf.get(customerExternalId);
    return known
      ? [known, ...this.#client.realmIds.filter((r) => r !== known)]
      : [...this.#client.realmIds];
  }

  async #customerAnywhere(
    externalId: string,
    call: QuickbooksCallOptions,
  ): Promise<{ realm: string; customer: QboObject }> {
    for (const realm of this.#realmsFor(externalId)) {
      const customer = await this.#findCustomer(realm, externalId, call);
      if (customer) return { realm, customer };
    }
    throw new ValidationError(
      `customer ${externalId} is not in any QuickBooks company of this connection; post it first`,
      {
        system: 'quickbooks',
        details: [{ path: 'customerExternalId', message: 'not found' }],
      },
    );
  }

  async #findCustomer(
    realm: string,
    externalId: string,
    call: QuickbooksCallOptions,
  ): Promise<QboObject | undefined> {
    const rows = await this.#client.query(
      realm,
      `select * from Customer where DisplayName like ${queryText(`%${customerTagFor(externalId)}`)}`,
      { ...call, operation: 'customer.find' },
    );
    const found = rows.find((c) => externalIdFromNote(c.Notes) === externalId);
    if (found) this.#realmOf.set(externalId, realm);
    return found;
  }

  async #findTransaction(
    realm: string,
    entity: 'Invoice' | CreditEntity,
    externalId: string,
    call: QuickbooksCallOptions,
  ): Promise<QboObject | undefined> {
    const rows = await this.#client.query(
      realm,
      `select * from ${entity} where DocNumber = ${queryText(docNumberFor(externalId))}`,
      { ...call, operation: `${entity.toLowerCase()}.find` },
    );
    return rows.find((t) => externalIdFromNote(t.PrivateNote) === externalId);
  }

  async #findCredit(
    realm: string,
    externalId: string,
    call: QuickbooksCallOptions,
  ): Promise<{ entity: CreditEntity; object: QboObject } | undefined> {
    for (const entity of ['CreditMemo', 'RefundReceipt'] as const) {
      const object = await this.#findTransaction(realm, entity, externalId, call);
      if (object) return { entity, object };
    }
    return undefined;
  }

  async #findPayment(
    realm: string,
    externalId: string,
    call: QuickbooksCallOptions,
  ): Promise<QboObject | undefined> {
    const rows = await this.#client.query(
      realm,
      `select * from Payment where PaymentRefNum = ${queryText(docNumberFor(externalId))}`,
      { ...call, operation: 'payment.find' },
    );
    return rows.find((p) => externalIdFromNote(p.PrivateNote) === externalId);
  }

  /** Look up by reference; create (requestid) when absent, else sparse-update when it differs. */
  async #upsertTransaction(
    realm: string,
    entity: 'Invoice' | CreditEntity,
    externalId: string,
    body: Record<string, unknown>,
    how: { call: QuickbooksCallOptions; key: string; same: (o: QboObject) => boolean },
  ): Promise<QboObject> {
    const lower = entity.toLowerCase();
    return this.#retryStale(async () => {
      const existing = await this.#findTransaction(realm, entity, externalId, how.call);
      if (!existing) {
        try {
          return await this.#client.write(realm, entity, body, {
            ...how.call,
            requestId: `${how.key}:${lower}:create`,
          });
        } catch (caught) {
          const again = hasCode(caught, DUPLICATE_DOC)
            ? await this.#findTransaction(realm, entity, externalId, how.call)
            : undefined;
          if (again) return again;
          throw caught;
        }
      }
      if (how.same(existing)) return existing;
      return this.#client.write(
        realm,
        entity,
        { ...body, Id: existing.Id, SyncToken: existing.SyncToken, sparse: true },
        { ...how.call, requestId: `${how.key}:${lower}:${existing.Id}@${existing.SyncToken}` },
      );
    });
  }

  /** Runs `fn` again (it re-reads) when QuickBooks refused a stale `SyncToken`; three tries. */
  async #retryStale<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await fn();
      } catch (caught) {
        if (attempt >= 3 || !hasCode(caught, STALE)) throw caught;
      }
    }
  }

  async #depositAccount(realm: string, call: QuickbooksCallOptions): Promise<string> {
    if (this.#depositAccountId !== undefined) return this.#depositAccountId;
    const cached = this.#depositAccounts.get(realm);
    if (cached) return cached;
    const [bank] = await this.#client.query(
      realm,
      "select * from Account where AccountType = 'Bank'",
      {
        ...call,
        operation: 'account.find',
      },
    );
    if (!bank) {
      throw new ValidationError(
        `QuickBooks company ${realm} has no bank account for refund receipts`,
        {
          system: 'quickbooks',
          details: [{ path: 'depositAccountId', message: 'configure one' }],
        },
      );
    }
    this.#depositAccounts.set(realm, bank.Id);
    return bank.Id;
  }

  #verify(what: string, externalId: string, o: QboObject, total: Money, tax?: Money): void {
    const problems: { path: string; message: string }[] = [];
    const gotTotal = fromQboAmount(o.TotalAmt, total.currency).amount;
    if (gotTotal !== total.amount) {
      problems.push({
        path: 'total',
        message: `QuickBooks holds ${String(o.TotalAmt)}, expected ${total.amount} minor units`,
      });
    }
    if (tax !== undefined && taxOf(o, tax.currency).amount !== tax.amount) {
      problems.push({
        path: 'tax',
        message: `QuickBooks holds tax ${JSON.stringify(o.TxnTaxDetail)}`,
      });
    }
    if (refValue(o.CurrencyRef) !== total.currency) {
      problems.push({
        path: 'currency',
        message: `QuickBooks holds ${String(refValue(o.CurrencyRef))}`,
      });
    }
    if (problems.length > 0) {
      throw new ConflictError(
        `${what} ${externalId} in QuickBooks does not match what was posted: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
        { system: 'quickbooks', details: problems },
      );
    }
  }
}

/** Invoice id → minor units a payment applies to it. */
function paymentLinks(p: QboObject, currency: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (p.Line as
    { Amount?: unknown; LinkedTxn?: { TxnId?: unknown; TxnType?: unknown }[] }[] | undefined) ??
    []) {
    for (const link of line.LinkedTxn ?? []) {
      if (link.TxnType !== 'Invoice') continue;
      const id = String(link.TxnId);
      out.set(id, (out.get(id) ?? 0) + fromQboAmount(line.Amount ?? 0, currency).amount);
    }
  }
  return out;
}

function callOptions(options: ReadOptions | undefined, operation: string): QuickbooksCallOptions {
  return {
    operation,
    ...(options?.lane !== undefined && { lane: options.lane }),
    ...(options?.signal !== undefined && { signal: options.signal }),
    ...(options?.traceparent !== undefined && { traceparent: options.traceparent }),
  };
}
