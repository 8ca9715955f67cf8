import { toCurrencyCode, type CurrencyCode } from '../../model/currency.ts';
import type { Money } from '../../model/money.ts';
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  type RevsyncError,
} from '../../model/revsync-error.ts';
import type {
  DocumentWindow,
  ErpCreditApplication,
  ErpCreditMemo,
  ErpCreditMemoInput,
  ErpCustomer,
  ErpCustomerInput,
  ErpDocumentKind,
  ErpInvoice,
  ErpInvoiceInput,
  ErpInvoiceLineInput,
  ErpListedDocument,
  ErpPayment,
  ErpPaymentInput,
  ErpSystem,
  ReadOptions,
  WriteOptions,
} from '../ports.ts';
import type {
  BcBatchRequest,
  BcEntity,
  BusinessCentralCallOptions,
  BusinessCentralClient,
} from './client.ts';
import { isDuplicate, isStaleEtag } from './errors.ts';
import {
  assertDocumentAmounts,
  bcDate,
  creditApplicationFor,
  creditApplicationText,
  customerName,
  customerNumberFor,
  documentLines,
  documentNumberFor,
  documentTotals,
  externalIdFromCustomer,
  externalIdFromDocument,
  fromBcAmount,
  odataText,
  parseCreditApplication,
  parsePaymentRecord,
  paymentJournalCodeFor,
  paymentRecordText,
  query,
  toBcAmount,
  toBusinessCentralCustomer,
  toBusinessCentralLines,
} from './mapper.ts';

/** Options of {@link BusinessCentralErp}. */
export interface BusinessCentralErpOptions {
  /** How long {@link BusinessCentralErp.lockedPeriods} keeps its answer (default 60 s). */
  periodCacheMs?: number;
  /** Requests per `$batch` (Business Central takes at most 100; default 100). */
  batchLimit?: number;
  now?: () => number;
}

/** A revsync id of a Business Central record: `<companyId>:<id>` (both GUIDs). */
export function bcId(companyId: string, id: string): string {
  return `${companyId}:${id}`;
}

/** `<companyId>:<id>` → its parts. */
export function parseBcId(id: string): { companyId: string; id: string } | undefined {
  const m = /^([0-9a-fA-F-]{36}):([0-9a-fA-F-]{36})$/.exec(id);
  return m ? { companyId: m[1]!.toLowerCase(), id: m[2]!.toLowerCase() } : undefined;
}

type DocKind = 'salesInvoices' | 'salesCreditMemos';
const LINES: Record<DocKind, string> = {
  salesInvoices: 'salesInvoiceLines',
  salesCreditMemos: 'salesCreditMemoLines',
};
const STALE_TRIES = 3;
const OWNED_CUSTOMER_FIELDS = new Set([
  'displayName',
  'email',
  'addressLine1',
  'city',
  'postalCode',
  'country',
]);

/**
 * The ERP port on Business Central (API v2.0). Business Central has no upsert by external id:
 * every write first looks the record up by revsync's reference (see `mapper.ts`) and creates it
 * only when absent; updates carry the record's `@odata.etag` in `If-Match`, and a 412 (someone
 * changed it meanwhile) re-reads and tries again. Documents are created as drafts, then their
 * lines and the `Microsoft.NAV.post` action go in one `$batch` atomicity group, so a document is
 * posted whole or not at all; payments are a journal line, the journal's post and the record of
 * the payment on its journal batch, in one group too. Each region's books are a company: the
 * subsidiary revsync passes is the company id.
 */
export class BusinessCentralErp implements ErpSystem {
  readonly system = 'business-central' as const;
  readonly #client: BusinessCentralClient;
  readonly #periodCacheMs: number;
  readonly #batchLimit: number;
  readonly #now: () => number;
  #companies: Promise<string[]> | undefined;
  #periods: { at: number; value: string[] } | undefined;
  /** The company each customer (by external id) was found in. */
  readonly #companyOf = new Map<string, string>();

  constructor(client: BusinessCentralClient, options: BusinessCentralErpOptions = {}) {
    this.#client = client;
    this.#periodCacheMs = options.periodCacheMs ?? 60_000;
    this.#batchLimit = Math.min(100, options.batchLimit ?? 100);
    this.#now = options.now ?? Date.now;
  }

  /** The ids of the environment's companies (the subsidiaries), read once. */
  async companyIds(options?: ReadOptions): Promise<string[]> {
    this.#companies ??= this.#client
      .list('companies', callOptions(options, 'company.list'))
      .then((rows) => rows.map((r) => String(r.id).toLowerCase()))
      .catch((caught: unknown) => {
        this.#companies = undefined;
        throw caught;
      });
    return this.#companies;
  }

  async upsertCustomer(input: ErpCustomerInput, options: WriteOptions): Promise<{ id: string }> {
    const company = await this.#company(input.subsidiary, options);
    const call = callOptions(options, 'customer.upsert');
    const body = toBusinessCentralCustomer(input);
    return this.#retryStale(async () => {
      const existing = await this.#findCustomer(company, input.externalId, call);
      if (!existing) {
        try {
          const created = await this.#client.request('POST', `companies(${company})/customers`, {
            ...call,
            body: {
              ...body,
              number: customerNumberFor(input.externalId),
              currencyCode: input.currency,
            },
          });
          this.#companyOf.set(input.externalId, company);
          return { id: bcId(company, String(created?.id)) };
        } catch (caught) {
          const again = isDuplicate(caught)
            ? await this.#findCustomer(company, input.externalId, call)
            : undefined;
          if (again) return { id: bcId(company, again.id) };
          throw caught;
        }
      }
      const currency = String(existing.currencyCode ?? '');
      if (currency !== '' && currency !== input.currency) {
        throw new ValidationError(
          `customer ${input.externalId} is in ${currency} in Business Central; it cannot become ${input.currency}`,
          {
            system: 'business-central',
            details: [{ path: 'currency', message: 'fixed once set' }],
          },
        );
      }
      // The fields revsync owns and Business Central reads back as written.
      const changed = Object.fromEntries(
        Object.entries(body).filter(
          ([k, v]) =>
            OWNED_CUSTOMER_FIELDS.has(k) && existing[k] !== undefined && existing[k] !== v,
        ),
      );
      if (Object.keys(changed).length > 0) {
        await this.#client.request('PATCH', `companies(${company})/customers(${existing.id})`, {
          ...call,
          body: changed,
          ifMatch: String(existing['@odata.etag']),
        });
      }
      return { id: bcId(company, existing.id) };
    });
  }

  async upsertInvoice(input: ErpInvoiceInput, options: WriteOptions): Promise<{ id: string }> {
    assertDocumentAmounts(`invoice ${input.externalId}`, input);
    const company = await this.#company(input.subsidiary, options);
    const call = callOptions(options, 'invoice.upsert');
    const customer = await this.#findCustomer(company, input.customerExternalId, call);
    if (!customer) {
      throw new ValidationError(
        `invoice ${input.externalId}: customer ${input.customerExternalId} is not in Business Central company ${company}; post the customer first`,
        {
          system: 'business-central',
          details: [{ path: 'customerExternalId', message: 'not found' }],
        },
      );
    }
    const doc = await this.#postDocument(company, 'salesInvoices', {
      externalId: input.externalId,
      customerId: customer.id,
      currency: toCurrencyCode(input.currency),
      date: input.tranDate,
      lines: input.lines,
      tax: input.tax.amount,
      total: input.total,
      call,
    });
    return { id: bcId(company, doc.id) };
  }

  /**
   * A credit memo, applied on posting to the invoice it credits when that invoice is still open
   * (Business Central lowers its remaining amount); otherwise a credit on the customer's account.
   */
  async upsertCreditMemo(
    input: ErpCreditMemoInput,
    options: WriteOptions,
  ): Promise<{ id: string }> {
    assertDocumentAmounts(`credit memo ${input.externalId}`, input);
    const call = callOptions(options, 'creditmemo.upsert');
    const { company, customer } = await this.#customerAnywhere(input.customerExternalId, call);
    let invoiceId: string | undefined;
    if (input.invoiceExternalId !== undefined) {
      const invoice = await this.#findDocument(
        company,
        'salesInvoices',
        input.invoiceExternalId,
        call,
      );
      if (invoice && invoice.status === 'Open') invoiceId = invoice.id;
    }
    const net = input.lines.reduce((s, l) => s + l.amount.amount, 0);
    const doc = await this.#postDocument(company, 'salesCreditMemos', {
      externalId: input.externalId,
      customerId: customer.id,
      currency: toCurrencyCode(input.currency),
      date: input.tranDate,
      lines: input.lines,
      tax: input.total.amount - net,
      total: input.total,
      ...(invoiceId !== undefined && { invoiceId }),
      call,
    });
    return { id: bcId(company, doc.id) };
  }

  /**
   * A customer payment: a line of a payment journal batch of its own (negative amount: money
   * received), applied to the invoice while it is open, posted with the journal; the same
   * `$batch` group writes the payment's record on the batch, which is how a repeat finds it.
   */
  async upsertPayment(input: ErpPaymentInput, options: WriteOptions): Promise<{ id: string }> {
    const call = callOptions(options, 'payment.upsert');
    const { company, customer } = await this.#customerAnywhere(input.customerExternalId, call);
    const found = await this.#findDocument(company, 'salesInvoices', input.invoiceExternalId, call);
    if (!found) {
      throw new NotFoundError(
        `invoice ${input.invoiceExternalId} is not in Business Central company ${company}; post it first`,
        { system: 'business-central' },
      );
    }
    const currency = input.amount.currency;
    if (found.currencyCode !== currency) {
      throw new ValidationError(
        `payment ${input.externalId} is in ${currency}, invoice ${input.invoiceExternalId} is in ${String(found.currencyCode)}`,
        {
          system: 'business-central',
          details: [{ path: 'amount.currency', message: 'differs from the invoice' }],
        },
      );
    }
    return this.#retryStale(async () => {
      const journal = await this.#paymentJournal(company, input.externalId, call, true);
      const record = parsePaymentRecord(journal.displayName);
      if (record?.date !== undefined) return { id: bcId(company, journal.id) };
      const base = `companies(${company})/customerPaymentJournals(${journal.id})`;
      // Lines left by someone else's half-done work would be posted with ours: clear them.
      for (const line of await this.#client.list(`${base}/customerPayments`, call)) {
        await this.#client.request('DELETE', `${base}/customerPayments(${line.id})`, {
          ...call,
          ifMatch: String(line['@odata.etag']),
        });
      }
      const invoice = (await this.#client.get(
        `companies(${company})/salesInvoices(${found.id})`,
        call,
      ))!;
      const open = invoice.status === 'Open';
      const remaining = open ? fromBcAmount(invoice.remainingAmount, currency).amount : 0;
      const applied = Math.min(remaining, input.amount.amount);
      const requests: BcBatchRequest[] = [
        {
          id: 'line',
          method: 'POST',
          url: `${base}/customerPayments`,
          atomicityGroup: 'payment',
          body: {
            customerId: customer.id,
            postingDate: input.date,
            amount: -toBcAmount(input.amount),
            ...(open && { appliesToInvoiceId: invoice.id }),
            externalDocumentNumber: documentNumberFor(input.externalId),
            description: (input.memo ?? `revsync ${input.externalId}`).slice(0, 100),
          },
        },
        {
          id: 'post',
          method: 'POST',
          url: `${base}/Microsoft.NAV.post`,
          atomicityGroup: 'payment',
          dependsOn: ['line'],
        },
        {
          id: 'record',
          method: 'PATCH',
          url: base,
          atomicityGroup: 'payment',
          dependsOn: ['post'],
          headers: { 'if-match': String(journal['@odata.etag']) },
          body: {
            displayName: paymentRecordText({
              externalId: input.externalId,
              date: input.date,
              amount: input.amount.amount,
              applied,
              invoiceNumber: String(invoice.number ?? ''),
            }),
          },
        },
      ];
      const responses = await this.#client.batch(requests, call);
      const error = this.#client.batchError(requests, responses);
      if (error) throw error;
      return { id: bcId(company, journal.id) };
    });
  }

  /**
   * Applies a posted credit memo to a posted invoice for `amount` (a customer credit billing
   * used). API v2.0 has no application of posted entries, so the application is a payment
   * journal batch of its own (code `RC…`, a hash of the pair) whose lines move the credit: one
   * applied to the invoice (−amount, lowering what it has open) and one unapplied on the
   * customer (+amount, the credit consumed), posted together with the batch's record of the total
   * applied in one `$batch` group. A repeat with the same amount changes nothing; a larger amount
   * applies the difference (at most what the invoice still has open); a smaller one is refused.
   */
  async applyCreditMemo(input: ErpCreditApplication, options: WriteOptions): Promise<void> {
    const call = callOptions(options, 'creditmemo.apply');
    const currency = input.amount.currency;
    for (const company of await this.companyIds(options)) {
      const memo = await this.#findDocument(
        company,
        'salesCreditMemos',
        input.creditMemoExternalId,
        call,
      );
      if (!memo) continue;
      await this.#retryStale(async () => {
        const invoice = await this.#findDocument(
          company,
          'salesInvoices',
          input.invoiceExternalId,
          call,
        );
        if (!invoice) {
          throw new NotFoundError(
            `invoice ${input.invoiceExternalId} is not in Business Central company ${company}; post it first`,
            { system: 'business-central' },
          );
        }
        if (invoice.currencyCode !== currency || memo.currencyCode !== currency) {
          throw new ValidationError(
            `credit ${input.creditMemoExternalId} → ${input.invoiceExternalId}: currencies differ`,
            {
              system: 'business-central',
              details: [{ path: 'amount.currency', message: 'differs' }],
            },
          );
        }
        const { code, key } = creditApplicationFor(
          input.creditMemoExternalId,
          input.invoiceExternalId,
        );
        const path = `companies(${company})/customerPaymentJournals`;
        const find = async () =>
          (
            await this.#client.list(`${path}${query({ $filter: `code eq ${odataText(code)}` })}`, {
              ...call,
              operation: 'paymentjournal.find',
            })
          )[0];
        let journal = await find();
        if (!journal) {
          try {
            journal = (await this.#client.request('POST', path, {
              ...call,
              body: { code, displayName: creditApplicationText(key, 0) },
            })) as BcEntity;
          } catch (caught) {
            if (!isDuplicate(caught)) throw caught;
            journal = await find();
            if (!journal) throw caught;
          }
        }
        const record = parseCreditApplication(journal.displayName);
        if (record?.key !== key) {
          throw new ConflictError(`credit application ${code} belongs to another pair`, {
            system: 'business-central',
          });
        }
        if (record.applied === input.amount.amount) return;
        if (record.applied > input.amount.amount) {
          throw new ValidationError(
            `credit ${input.creditMemoExternalId} applies ${record.applied} to ${input.invoiceExternalId} in Business Central; lowering an application is not supported`,
            {
              system: 'business-central',
              details: [{ path: 'amount', message: 'below what is applied' }],
            },
          );
        }
        const open =
          invoice.status === 'Open' ? fromBcAmount(invoice.remainingAmount, currency).amount : 0;
        const delta = Math.min(input.amount.amount - record.applied, open);
        if (delta <= 0) return; // the invoice has nothing open left to take the credit
        const base = `${path}(${journal.id})`;
        const date =
          [bcDate(invoice.postingDate), bcDate(memo.postingDate)].filter(Boolean).sort().at(-1) ??
          new Date(this.#now()).toISOString().slice(0, 10);
        const amount = toBcAmount({ amount: delta, currency });
        const reference = documentNumberFor(
          `${input.creditMemoExternalId}>${input.invoiceExternalId}`,
        );
        const requests: BcBatchRequest[] = [
          {
            id: 'to-invoice',
            method: 'POST',
            url: `${base}/customerPayments`,
            atomicityGroup: 'credit',
            body: {
              customerId: String(invoice.customerId),
              postingDate: date,
              amount: -amount,
              appliesToInvoiceId: invoice.id,
              externalDocumentNumber: reference,
              description: `credit ${String(memo.number)} applied`.slice(0, 100),
            },
          },
          {
            id: 'from-credit',
            method: 'POST',
            url: `${base}/customerPayments`,
            atomicityGroup: 'credit',
            body: {
              customerId: String(memo.customerId),
              postingDate: date,
              amount,
              externalDocumentNumber: reference,
              description: `credit ${String(memo.number)} used on ${String(invoice.number)}`.slice(
                0,
                100,
              ),
            },
          },
          {
            id: 'post',
            method: 'POST',
            url: `${base}/Microsoft.NAV.post`,
            atomicityGroup: 'credit',
            dependsOn: ['to-invoice', 'from-credit'],
          },
          {
            id: 'record',
            method: 'PATCH',
            url: base,
            atomicityGroup: 'credit',
            dependsOn: ['post'],
            headers: { 'if-match': String(journal['@odata.etag']) },
            body: { displayName: creditApplicationText(key, record.applied + delta) },
          },
        ];
        const responses = await this.#client.batch(requests, call);
        const error = this.#client.batchError(requests, responses);
        if (error) throw error;
      });
      return;
    }
    throw new NotFoundError(
      `credit memo ${input.creditMemoExternalId} is not in Business Central; post it first`,
      { system: 'business-central' },
    );
  }

  async getCustomer(externalId: string, options?: ReadOptions): Promise<ErpCustomer | undefined> {
    const call = callOptions(options, 'customer.get');
    for (const company of await this.#companiesFor(externalId, options)) {
      const c = await this.#findCustomer(company, externalId, call);
      if (!c) continue;
      return {
        id: bcId(company, c.id),
        externalId,
        name: customerName(c),
        currency: String(c.currencyCode ?? ''),
        subsidiary: company,
        ...(typeof c.email === 'string' && c.email !== '' && { email: c.email }),
      };
    }
    return undefined;
  }

  async getInvoice(externalId: string, options?: ReadOptions): Promise<ErpInvoice | undefined> {
    const call = callOptions(options, 'invoice.get');
    for (const company of await this.companyIds(options)) {
      const doc = await this.#findDocument(company, 'salesInvoices', externalId, call, true);
      if (!doc) continue;
      const t = documentTotals(doc);
      const remaining = t.remaining ?? t.total;
      const customerExternalId = externalIdFromCustomer((doc.customer ?? {}) as BcEntity);
      return {
        id: bcId(company, doc.id),
        externalId,
        ...(customerExternalId !== undefined && { customerExternalId }),
        subsidiary: company,
        currency: t.currency,
        subtotal: t.net,
        tax: t.tax,
        total: t.total,
        amountRemaining: remaining,
        status:
          doc.status === 'Canceled'
            ? 'void'
            : remaining.amount === 0
              ? 'paid'
              : remaining.amount < t.total.amount
                ? 'partially_paid'
                : 'open',
        lineCount: documentLines(doc).length,
      };
    }
    return undefined;
  }

  async getPayment(externalId: string, options?: ReadOptions): Promise<ErpPayment | undefined> {
    const call = callOptions(options, 'payment.get');
    for (const company of await this.companyIds(options)) {
      const journal = await this.#paymentJournal(company, externalId, call, false);
      const record = journal ? parsePaymentRecord(journal.displayName) : undefined;
      if (!journal || record?.date === undefined) continue;
      const invoice = record.invoiceNumber
        ? await this.#invoiceByNumber(company, record.invoiceNumber, call)
        : undefined;
      const currency = toCurrencyCode(String(invoice?.currencyCode ?? 'USD'));
      const invoiceExternalId = invoice ? externalIdFromDocument(invoice) : undefined;
      return {
        id: bcId(company, journal.id),
        externalId,
        amount: { amount: record.amount ?? 0, currency },
        appliedTo:
          invoiceExternalId !== undefined && (record.applied ?? 0) > 0
            ? [{ invoiceExternalId, amount: { amount: record.applied!, currency } }]
            : [],
      };
    }
    return undefined;
  }

  async getCreditMemo(
    externalId: string,
    options?: ReadOptions,
  ): Promise<ErpCreditMemo | undefined> {
    const call = callOptions(options, 'creditmemo.get');
    for (const company of await this.companyIds(options)) {
      const doc = await this.#findDocument(company, 'salesCreditMemos', externalId, call);
      if (!doc) continue;
      const t = documentTotals(doc);
      return {
        id: bcId(company, doc.id),
        externalId,
        total: t.total,
        status: doc.status === 'Paid' ? 'applied' : doc.status === 'Canceled' ? 'void' : 'open',
      };
    }
    return undefined;
  }

  /** The months (`YYYY-MM`) closed or date-locked in any company's accounting periods. */
  async lockedPeriods(options?: ReadOptions & { fresh?: boolean }): Promise<string[]> {
    const now = this.#now();
    if (!options?.fresh && this.#periods && now - this.#periods.at < this.#periodCacheMs) {
      return this.#periods.value;
    }
    const call = callOptions(options, 'period.list');
    const months = new Set<string>();
    for (const company of await this.companyIds(options)) {
      const rows = await this.#client.list(
        `companies(${company})/accountingPeriods${query({ $filter: 'closed eq true or dateLocked eq true' })}`,
        call,
      );
      for (const p of rows) {
        const start = bcDate(p.startingDate);
        if (start) months.add(start.slice(0, 7));
      }
    }
    const value = [...months].sort();
    this.#periods = { at: now, value };
    return value;
  }

  /**
   * Every posted invoice or credit memo with a posting date in the window, or every payment
   * revsync posted dated in it, in every company: one page per API call.
   */
  async *pageDocuments(
    kind: ErpDocumentKind,
    window: DocumentWindow,
    options?: ReadOptions,
  ): AsyncGenerator<ErpListedDocument[]> {
    const call = callOptions(options, `${kind}.list`);
    const from = window.from.slice(0, 10);
    const to = window.to.slice(0, 10);
    for (const company of await this.companyIds(options)) {
      if (kind === 'payment') {
        yield* this.#pagePayments(company, from, to, call);
        continue;
      }
      const set: DocKind = kind === 'invoice' ? 'salesInvoices' : 'salesCreditMemos';
      const path = `companies(${company})/${set}${query({
        $filter: `postingDate ge ${from} and postingDate lt ${to} and status ne 'Draft'`,
        $expand: 'customer',
      })}`;
      for await (const rows of this.#client.pages(path, call)) {
        const out = rows.map((doc): ErpListedDocument => {
          const t = documentTotals(doc);
          const externalId = externalIdFromDocument(doc);
          const customerExternalId = externalIdFromCustomer((doc.customer ?? {}) as BcEntity);
          const remaining = t.remaining?.amount ?? (doc.status === 'Paid' ? 0 : t.total.amount);
          return {
            kind,
            id: bcId(company, doc.id),
            ...(externalId !== undefined && { externalId }),
            ...(customerExternalId !== undefined && { customerExternalId }),
            customerId: bcId(company, String(doc.customerId)),
            subsidiary: company,
            total: t.total,
            tax: t.tax,
            tranDate:
              bcDate(doc.postingDate) ?? bcDate(doc.invoiceDate ?? doc.creditMemoDate) ?? '',
            ...(typeof doc.number === 'string' && { memo: doc.number }),
            status:
              doc.status === 'Canceled'
                ? 'void'
                : kind === 'credit_memo'
                  ? doc.status === 'Paid'
                    ? 'paid'
                    : 'open'
                  : remaining === 0
                    ? 'paid'
                    : 'open',
          };
        });
        if (out.length > 0) yield out;
      }
    }
  }

  /** Customers with this external id, or whose name is `name`; in every company. */
  async findCustomers(
    filter: { externalId?: string; name?: string },
    options?: ReadOptions,
  ): Promise<{ id: string; externalId?: string; name: string }[]> {
    if (filter.externalId === undefined && filter.name === undefined) {
      throw new ValidationError('findCustomers needs an externalId or a name', {
        system: 'business-central',
      });
    }
    const call = callOptions(options, 'customer.find');
    const clauses: string[] = [];
    if (filter.externalId !== undefined) {
      clauses.push(`number eq ${odataText(customerNumberFor(filter.externalId))}`);
    }
    if (filter.name !== undefined) {
      const name = filter.name.trim();
      clauses.push(
        `displayName eq ${odataText(name)}`,
        `startswith(displayName, ${odataText(`${name} [`)})`,
      );
    }
    const out: { id: string; externalId?: string; name: string }[] = [];
    for (const company of await this.companyIds(options)) {
      const rows = await this.#client.list(
        `companies(${company})/customers${query({ $filter: clauses.join(' or ') })}`,
        call,
      );
      for (const c of rows) {
        const externalId = externalIdFromCustomer(c);
        if (filter.name === undefined && externalId !== filter.externalId) continue;
        if (
          filter.name !== undefined &&
          customerName(c) !== filter.name.trim() &&
          externalId !== filter.externalId
        )
          continue;
        out.push({
          id: bcId(company, c.id),
          ...(externalId !== undefined && { externalId }),
          name: customerName(c),
        });
      }
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  // -------------------------------------------------------------------------------------------

  async #company(subsidiary: string, options: ReadOptions): Promise<string> {
    const id = subsidiary.toLowerCase();
    const companies = await this.companyIds(options);
    if (!companies.includes(id)) {
      throw new ValidationError(
        `subsidiary ${subsidiary} is not a company of this Business Central environment (${companies.join(', ')})`,
        {
          system: 'business-central',
          details: [{ path: 'subsidiary', message: 'not a company id' }],
        },
      );
    }
    return id;
  }

  async #companiesFor(customerExternalId: string, options?: ReadOptions): Promise<string[]> {
    const all = await this.companyIds(options);
    const known = this.#companyOf.get(customerExternalId);
    return known ? [known, ...all.filter((c) => c !== known)] : all;
  }

  async #customerAnywhere(
    externalId: string,
    call: BusinessCentralCallOptions,
  ): Promise<{ company: string; customer: BcEntity }> {
    for (const company of await this.#companiesFor(externalId, call)) {
      const customer = await this.#findCustomer(company, externalId, call);
      if (customer) return { company, customer };
    }
    throw new ValidationError(
      `customer ${externalId} is not in any Business Central company of this connection; post it first`,
      {
        system: 'business-central',
        details: [{ path: 'customerExternalId', message: 'not found' }],
      },
    );
  }

  async #findCustomer(
    company: string,
    externalId: string,
    call: BusinessCentralCallOptions,
  ): Promise<BcEntity | undefined> {
    const rows = await this.#client.list(
      `companies(${company})/customers${query({ $filter: `number eq ${odataText(customerNumberFor(externalId))}` })}`,
      { ...call, operation: 'customer.find' },
    );
    const found = rows[0];
    if (found) this.#companyOf.set(externalId, company);
    return found;
  }

  /** The document with this external id; drafts only with `drafts` (they are not in the books). */
  async #findDocument(
    company: string,
    kind: DocKind,
    externalId: string,
    call: BusinessCentralCallOptions,
    withCustomer = false,
    drafts = false,
  ): Promise<BcEntity | undefined> {
    const rows = await this.#documents(company, kind, externalId, call, withCustomer);
    return rows.find((d) => drafts || d.status !== 'Draft');
  }

  async #documents(
    company: string,
    kind: DocKind,
    externalId: string,
    call: BusinessCentralCallOptions,
    withCustomer = false,
  ): Promise<BcEntity[]> {
    return this.#client.list(
      `companies(${company})/${kind}${query({
        $filter: `externalDocumentNumber eq ${odataText(documentNumberFor(externalId))}`,
        $expand: withCustomer ? `${LINES[kind]},customer` : LINES[kind],
      })}`,
      { ...call, operation: `${kind}.find` },
    );
  }

  async #invoiceByNumber(
    company: string,
    number: string,
    call: BusinessCentralCallOptions,
  ): Promise<BcEntity | undefined> {
    const rows = await this.#client.list(
      `companies(${company})/salesInvoices${query({ $filter: `number eq ${odataText(number)}` })}`,
      { ...call, operation: 'invoice.find' },
    );
    return rows[0];
  }

  /**
   * Finds the posted document or posts it: a draft header (reused when an earlier attempt left
   * one with no lines), then its lines and `Microsoft.NAV.post` in one `$batch` atomicity group.
   */
  async #postDocument(
    company: string,
    kind: DocKind,
    doc: {
      externalId: string;
      customerId: string;
      currency: CurrencyCode;
      date: string;
      lines: readonly ErpInvoiceLineInput[];
      tax: number;
      total: Money;
      invoiceId?: string;
      call: BusinessCentralCallOptions;
    },
  ): Promise<BcEntity> {
    const { call } = doc;
    const what = `${kind === 'salesInvoices' ? 'invoice' : 'credit memo'} ${doc.externalId}`;
    const lines = toBusinessCentralLines(doc.lines, doc.currency, doc.tax);
    if (lines.length + 1 > this.#batchLimit) {
      throw new ValidationError(`${what}: ${lines.length} lines is more than one $batch posts`, {
        system: 'business-central',
        details: [{ path: 'lines', message: `at most ${this.#batchLimit - 1}` }],
      });
    }
    return this.#retryStale(async () => {
      const found = await this.#documents(company, kind, doc.externalId, call);
      const posted = found.find((d) => d.status !== 'Draft');
      if (posted) {
        this.#verify(what, posted, doc.total);
        return posted;
      }
      let draft: BcEntity | undefined;
      for (const d of found) {
        if (!draft && documentLines(d).length === 0) {
          draft = d;
          continue;
        }
        // A draft with lines is a half-done earlier attempt (or a person's): start afresh.
        await this.#client.request('DELETE', `companies(${company})/${kind}(${d.id})`, {
          ...call,
          ifMatch: String(d['@odata.etag']),
        });
      }
      if (!draft) {
        draft = (await this.#client.request('POST', `companies(${company})/${kind}`, {
          ...call,
          body: {
            customerId: doc.customerId,
            externalDocumentNumber: documentNumberFor(doc.externalId),
            [kind === 'salesInvoices' ? 'invoiceDate' : 'creditMemoDate']: doc.date,
            postingDate: doc.date,
            currencyCode: doc.currency,
            ...(doc.invoiceId !== undefined && { invoiceId: doc.invoiceId }),
          },
        })) as BcEntity;
      }
      const base = `companies(${company})/${kind}(${draft.id})`;
      const requests: BcBatchRequest[] = [
        ...lines.map((body, i): BcBatchRequest => ({
          id: `line-${i + 1}`,
          method: 'POST',
          url: `${base}/${LINES[kind]}`,
          atomicityGroup: 'document',
          body,
        })),
        {
          id: 'post',
          method: 'POST',
          url: `${base}/Microsoft.NAV.post`,
          atomicityGroup: 'document',
        },
      ];
      const responses = await this.#client.batch(requests, call);
      const error = this.#client.batchError(requests, responses);
      if (error) throw error;
      const after = (await this.#client.get(`${base}${query({ $expand: LINES[kind] })}`, call))!;
      this.#verify(what, after, doc.total);
      return after;
    });
  }

  #verify(what: string, doc: BcEntity, total: Money): void {
    const t = documentTotals(doc);
    if (t.currency !== total.currency || t.total.amount !== total.amount) {
      throw new ConflictError(
        `${what} in Business Central (${String(doc.number)}) holds ${t.total.amount} ${t.currency}, expected ${total.amount} ${total.currency}`,
        {
          system: 'business-central',
          details: [{ path: 'total', message: 'differs from the posting' }],
        },
      );
    }
  }

  /**
   * The payment's journal batch: found by its code (a hash; another payment's batch under the same
   * code moves on to the next code), created when absent and `create` is set.
   */
  async #paymentJournal(
    company: string,
    externalId: string,
    call: BusinessCentralCallOptions,
    create: true,
  ): Promise<BcEntity>;
  async #paymentJournal(
    company: string,
    externalId: string,
    call: BusinessCentralCallOptions,
    create: false,
  ): Promise<BcEntity | undefined>;
  async #paymentJournal(
    company: string,
    externalId: string,
    call: BusinessCentralCallOptions,
    create: boolean,
  ): Promise<BcEntity | undefined> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const code = paymentJournalCodeFor(externalId, attempt);
      const path = `companies(${company})/customerPaymentJournals`;
      const find = async () =>
        (
          await this.#client.list(`${path}${query({ $filter: `code eq ${odataText(code)}` })}`, {
            ...call,
            operation: 'paymentjournal.find',
          })
        )[0];
      let journal = await find();
      if (!journal) {
        if (!create) return undefined;
        try {
          journal = (await this.#client.request('POST', path, {
            ...call,
            body: { code, displayName: paymentRecordText({ externalId }) },
          })) as BcEntity;
        } catch (caught) {
          if (!isDuplicate(caught)) throw caught;
          journal = await find();
          if (!journal) throw caught;
        }
      }
      if (parsePaymentRecord(journal.displayName)?.externalId === externalId) return journal;
    }
    throw new ConflictError(`payment ${externalId}: no free payment journal code`, {
      system: 'business-central',
    });
  }

  async *#pagePayments(
    company: string,
    from: string,
    to: string,
    call: BusinessCentralCallOptions,
  ): AsyncGenerator<ErpListedDocument[]> {
    const invoices = new Map<string, BcEntity | undefined>();
    const path = `companies(${company})/customerPaymentJournals${query({
      $filter: "startswith(displayName, 'rs:')",
    })}`;
    for await (const rows of this.#client.pages(path, call)) {
      const out: ErpListedDocument[] = [];
      for (const j of rows) {
        const record = parsePaymentRecord(j.displayName);
        if (record?.date === undefined || record.date < from || record.date >= to) continue;
        const number = record.invoiceNumber;
        if (number !== undefined && !invoices.has(number)) {
          const rowsFound = await this.#client.list(
            `companies(${company})/salesInvoices${query({ $filter: `number eq ${odataText(number)}`, $expand: 'customer' })}`,
            { ...call, operation: 'invoice.find' },
          );
          invoices.set(number, rowsFound[0]);
        }
        const invoice = number !== undefined ? invoices.get(number) : undefined;
        const currency = toCurrencyCode(String(invoice?.currencyCode ?? 'USD'));
        const invoiceExternalId = invoice ? externalIdFromDocument(invoice) : undefined;
        const customerExternalId = invoice
          ? externalIdFromCustomer((invoice.customer ?? {}) as BcEntity)
          : undefined;
        out.push({
          kind: 'payment',
          id: bcId(company, j.id),
          externalId: record.externalId,
          ...(customerExternalId !== undefined && { customerExternalId }),
          customerId: invoice ? bcId(company, String(invoice.customerId)) : '',
          subsidiary: company,
          total: { amount: record.amount ?? 0, currency },
          tranDate: record.date,
          status: 'paid',
          appliedTo:
            invoice && (record.applied ?? 0) > 0
              ? [
                  {
                    ...(invoiceExternalId !== undefined && { invoiceExternalId }),
                    invoiceId: bcId(company, invoice.id),
                    amount: { amount: record.applied!, currency },
                  },
                ]
              : [],
        });
      }
      if (out.length > 0) yield out;
    }
  }

  /** Runs `fn` again (it re-reads) when an `If-Match` was stale (412); three tries. */
  async #retryStale<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await fn();
      } catch (caught) {
        if (attempt >= STALE_TRIES || !isStaleEtag(caught as RevsyncError)) throw caught;
      }
    }
  }
}

function callOptions(
  options: ReadOptions | undefined,
  operation: string,
): BusinessCentralCallOptions {
  return {
    operation,
    ...(options?.lane !== undefined && { lane: options.lane }),
    ...(options?.signal !== undefined && { signal: options.signal }),
    ...(options?.traceparent !== undefined && { traceparent: options.traceparent }),
  };
}
