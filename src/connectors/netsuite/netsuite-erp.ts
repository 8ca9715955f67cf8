import {
  ConflictError,
  NotFoundError,
  ValidationError,
  coerceError,
} from '../../model/revsync-error.ts';
import type {
  ErpCreditApplication,
  ErpCreditMemo,
  ErpCreditMemoInput,
  ErpCustomer,
  ErpCustomerInput,
  ErpInvoice,
  ErpInvoiceInput,
  ErpInvoiceLineInput,
  ErpDeposit,
  ErpDepositInput,
  ErpPayment,
  ErpPaymentInput,
  ErpSystem,
  DocumentWindow,
  ErpDocumentKind,
  ErpListedDocument,
  ReadOptions,
  WriteOptions,
} from '../ports.ts';
import { assertExternalId, type NetsuiteCallOptions, type NetsuiteClient } from './client.ts';
import {
  assertCreditMemoAmounts,
  assertInvoiceAmounts,
  fromNetsuiteAmount,
  NetsuiteCreditMemoRecord,
  NetsuiteInvoiceRecord,
  NetsuitePaymentRecord,
  parseNetsuiteRecord,
  toCustomerMatch,
  toErpCreditMemo,
  toErpInvoice,
  toErpPayment,
  toNetsuiteCreditMemo,
  toNetsuiteCustomer,
  toNetsuiteInvoice,
  toNetsuitePayment,
} from './mapper.ts';
import { sqlText, type NetsuiteReferenceData } from './reference-data.ts';
import { fromDecimalString } from '../../model/money.ts';
import { JsonDecimal } from './decimal-json.ts';

/** SuiteQL's `transaction.type` of each document kind. */
const NETSUITE_TRANSACTION_TYPE: Record<ErpDocumentKind, string> = {
  invoice: 'CustInvc',
  credit_memo: 'CustCred',
  payment: 'CustPymt',
};

/** How long the locked accounting periods are cached. */
const LOCKED_PERIODS_TTL_MS = 30_000;

/** Options of {@link NetsuiteErp}. */
export interface NetsuiteErpOptions {
  /**
   * After writing an invoice or credit memo, read its total (and tax) back and throw
   * `ConflictError` if NetSuite holds another amount than the input (say, a tax code recomputed
   * the tax). One GET per posting. Default true.
   */
  verifyTotals?: boolean;
  /** Bank account internal id deposits go to (default `1`). */
  depositAccount?: string;
  /** Account internal id fees are booked to (default `9`, Merchant Processing Fees). */
  feeAccount?: string;
  /** Account internal id refund and adjustment lines are booked to (default `3`, Undeposited Funds). */
  clearingAccount?: string;
}

const EXTERNAL_ID = /^[A-Za-z0-9_-]+$/;

/** How many written invoices {@link NetsuiteErp} remembers before it starts afresh. */
const WRITTEN_LIMIT = 10_000;

/**
 * The ERP port on NetSuite REST. Every write is an upsert by external id (`PUT …/eid:…`), so a
 * repeated call converges on one record; reads answer `undefined` for a record that is not there.
 * `WriteOptions.idempotencyKey` is not sent: the external id is the idempotency key, and
 * NetSuite's `X-NetSuite-Idempotency-Key` belongs to asynchronous (`respond-async`) requests.
 */
export class NetsuiteErp implements ErpSystem {
  readonly system = 'netsuite' as const;
  readonly #client: NetsuiteClient;
  readonly #refs: NetsuiteReferenceData;
  readonly #verifyTotals: boolean;
  readonly #accounts: { bank: string; fee: string; clearing: string };
  #locked: { at: number; periods: string[] } | undefined;
  #lockedLoad: Promise<string[]> | undefined;
  /**
   * Invoices this connector just wrote: external id → internal id and currency (neither changes
   * after the write), so the payment that follows needs no lookup. Dropped when a write that
   * used one fails, so a retry looks the invoice up again.
   */
  readonly #written = new Map<string, { id: string; currencyId: string }>();

  constructor(
    client: NetsuiteClient,
    refs: NetsuiteReferenceData,
    options: NetsuiteErpOptions = {},
  ) {
    this.#client = client;
    this.#refs = refs;
    this.#verifyTotals = options.verifyTotals ?? true;
    this.#accounts = {
      bank: options.depositAccount ?? '1',
      fee: options.feeAccount ?? '9',
      clearing: options.clearingAccount ?? '3',
    };
  }

  /** `PUT customer/eid:{externalId}`: company name, email, subsidiary, currency, address, tax id. */
  async upsertCustomer(input: ErpCustomerInput, options: WriteOptions): Promise<{ id: string }> {
    assertExternalId(input.externalId, 'customer external id');
    const call = callOptions(options, 'customer.upsert');
    const currencyId = await this.#refs.currencyId(input.currency, call);
    const id = await this.#client.upsert(
      'customer',
      input.externalId,
      toNetsuiteCustomer(input, currencyId),
      // NetSuite adds address lines on update unless told to replace the sublist.
      { ...call, ...(input.address !== undefined && { query: { replace: 'addressBook' } }) },
    );
    return { id };
  }

  /**
   * `PUT invoice/eid:{externalId}` with the customer by external id, the item lines (replacing
   * any sent before), `taxTotal`, and the rev-rec dates of each line. The total NetSuite keeps
   * is checked against the input's (see {@link NetsuiteErpOptions.verifyTotals}).
   */
  async upsertInvoice(input: ErpInvoiceInput, options: WriteOptions): Promise<{ id: string }> {
    assertExternalId(input.externalId, 'invoice external id');
    assertExternalId(input.customerExternalId, 'customer external id');
    assertInvoiceAmounts(input);
    const call = callOptions(options, 'invoice.upsert');
    const currencyId = await this.#refs.currencyId(input.currency, call);
    const body = toNetsuiteInvoice(input, {
      currencyId,
      itemFor: (code) => this.#refs.itemFor(code),
    });
    const id = await this.#withItems(input.lines, call, () =>
      this.#client.upsert('invoice', input.externalId, body, {
        ...call,
        query: { replace: 'item' },
      }),
    );
    if (this.#verifyTotals) {
      await this.#verify('invoice', id, input.externalId, currencyId, input.total, call, input.tax);
    }
    if (this.#written.size >= WRITTEN_LIMIT) this.#written.clear();
    this.#written.set(input.externalId, { id, currencyId });
    return { id };
  }

  /**
   * `PUT customerpayment/eid:{externalId}` for the customer, applied to the invoice with
   * `invoiceExternalId` (looked up first: `NotFoundError` when it is not in NetSuite yet).
   * NetSuite applies what is due on the invoice, up to the payment; a larger payment stays
   * partly unapplied.
   */
  async upsertPayment(input: ErpPaymentInput, options: WriteOptions): Promise<{ id: string }> {
    assertExternalId(input.externalId, 'payment external id');
    assertExternalId(input.customerExternalId, 'customer external id');
    assertExternalId(input.invoiceExternalId, 'invoice external id');
    const call = callOptions(options, 'payment.upsert');
    const currencyId = await this.#refs.currencyId(input.amount.currency, call);
    const post = (invoice: { id: string; currencyId: string }) => {
      if (invoice.currencyId !== currencyId) {
        throw new ValidationError(
          `payment ${input.externalId} is in ${input.amount.currency}, invoice ${input.invoiceExternalId} is not`,
          {
            system: 'netsuite',
            details: [{ path: 'amount.currency', message: 'differs from the invoice' }],
          },
        );
      }
      return this.#client.upsert(
        'customerpayment',
        input.externalId,
        toNetsuitePayment(input, { currencyId, invoiceId: invoice.id }),
        call,
      );
    };
    const written = this.#written.get(input.invoiceExternalId);
    if (written) {
      try {
        return { id: await post(written) };
      } catch (caught) {
        // A refusal may mean the invoice was deleted or posted again elsewhere since: look it
        // up and try once more. A transient failure is the step's to retry, cache kept.
        if (coerceError(caught).retryable) throw caught;
        this.#written.delete(input.invoiceExternalId);
      }
    }
    return { id: await post(await this.#invoiceRef(input.invoiceExternalId, call)) };
  }

  /**
   * `PUT creditmemo/eid:{externalId}` with its lines; the part of the total beyond the lines is
   * its tax. With `invoiceExternalId` it is created from that invoice and applied to what is
   * still due on it (nothing, for a refund of a paid invoice: the memo then stays open).
   */
  async upsertCreditMemo(
    input: ErpCreditMemoInput,
    options: WriteOptions,
  ): Promise<{ id: string }> {
    assertExternalId(input.externalId, 'credit memo external id');
    assertExternalId(input.customerExternalId, 'customer external id');
    if (input.invoiceExternalId !== undefined) {
      assertExternalId(input.invoiceExternalId, 'invoice external id');
    }
    assertCreditMemoAmounts(input);
    const call = callOptions(options, 'creditmemo.upsert');
    const currencyId = await this.#refs.currencyId(input.currency, call);
    const invoice =
      input.invoiceExternalId !== undefined
        ? await this.#invoiceRef(input.invoiceExternalId, call)
        : undefined;
    const body = toNetsuiteCreditMemo(input, {
      currencyId,
      itemFor: (code) => this.#refs.itemFor(code),
      ...(invoice !== undefined && {
        invoiceId: invoice.id,
        // Without an `apply` sublist an update keeps what the memo already applied.
        applyToInvoice: invoice.amountRemaining > 0,
      }),
    });
    const id = await this.#withItems(input.lines, call, () =>
      this.#client.upsert('creditmemo', input.externalId, body, {
        ...call,
        query: { replace: 'item' },
      }),
    );
    if (this.#verifyTotals) {
      await this.#verify('creditmemo', id, input.externalId, currencyId, input.total, call);
    }
    return { id };
  }

  /**
   * Month periods closed or locked for A/R (SuiteQL `accountingperiod`), cached for
   * {@link LOCKED_PERIODS_TTL_MS}: postings check it, and a controller's lock is rare.
   */
  async lockedPeriods(options?: ReadOptions & { fresh?: boolean }): Promise<string[]> {
    const now = Date.now();
    if (!options?.fresh && this.#locked && now - this.#locked.at < LOCKED_PERIODS_TTL_MS)
      return this.#locked.periods;
    // Postings that find the cache stale at once share one read rather than each making one.
    if (!options?.fresh && this.#lockedLoad) return this.#lockedLoad;
    const load = (async () => {
      const rows = await this.#client.suiteqlAll(
        "SELECT TO_CHAR(startdate, 'YYYY-MM') AS month FROM accountingperiod" +
          " WHERE (closed = 'T' OR arlocked = 'T') AND isquarter = 'F' AND isyear = 'F'" +
          ' ORDER BY startdate',
        callOptions(options, 'accountingperiod.list'),
      );
      const periods = rows.map((r) => r.month ?? '').filter((m) => m !== '');
      this.#locked = { at: now, periods };
      return periods;
    })();
    this.#lockedLoad = load;
    try {
      return await load;
    } finally {
      if (this.#lockedLoad === load) this.#lockedLoad = undefined;
    }
  }

  /**
   * `PUT creditmemo/eid:…` with the whole `apply` sublist: the lines it already has, with this
   * invoice's line set to `amount` (NetSuite replaces an `apply` sublist that is sent).
   */
  async applyCreditMemo(input: ErpCreditApplication, options: WriteOptions): Promise<void> {
    assertExternalId(input.creditMemoExternalId, 'credit memo external id');
    assertExternalId(input.invoiceExternalId, 'invoice external id');
    const call = callOptions(options, 'creditmemo.apply');
    const memo = (await this.#client.getRecord('creditmemo', `eid:${input.creditMemoExternalId}`, {
      ...call,
      expand: true,
    })) as { apply?: { items?: { doc?: { id?: unknown }; amount?: unknown }[] } } | undefined;
    if (memo === undefined) {
      throw new NotFoundError(
        `credit memo ${input.creditMemoExternalId} is not in NetSuite; post it first`,
        { system: 'netsuite' },
      );
    }
    const invoice = await this.#invoiceRef(input.invoiceExternalId, call);
    const lines = (memo.apply?.items ?? []).filter((l) => l.doc?.id !== undefined);
    const amount = JsonDecimal.of(input.amount);
    const current = lines.find((l) => String(l.doc!.id) === invoice.id);
    if (current !== undefined && Number(current.amount) === Number(amount.text)) return;
    const items = [
      ...lines
        .filter((l) => String(l.doc!.id) !== invoice.id)
        .map((l) => ({ doc: { id: String(l.doc!.id) }, apply: true, amount: l.amount })),
      { doc: { id: invoice.id }, apply: true, amount },
    ];
    await this.#client.upsert('creditmemo', input.creditMemoExternalId, { apply: { items } }, call);
  }

  async getCustomer(externalId: string, options?: ReadOptions): Promise<ErpCustomer | undefined> {
    if (!EXTERNAL_ID.test(externalId)) return undefined;
    const call = callOptions(options, 'customer.get');
    const body = (await this.#client.getRecord('customer', `eid:${externalId}`, call)) as
      Record<string, unknown> | undefined;
    if (body === undefined) return undefined;
    const ref = (value: unknown) => String((value as { id?: unknown } | undefined)?.id ?? '');
    return {
      id: String(body.id ?? ''),
      externalId,
      name: String(body.companyName ?? body.altName ?? body.entityId ?? ''),
      currency: await this.#refs.currencyCode(ref(body.currency), call),
      subsidiary: ref(body.subsidiary),
      ...(typeof body.email === 'string' && body.email !== '' && { email: body.email }),
    };
  }

  async getInvoice(externalId: string, options?: ReadOptions): Promise<ErpInvoice | undefined> {
    if (!EXTERNAL_ID.test(externalId)) return undefined;
    const call = callOptions(options, 'invoice.get');
    const body = await this.#client.getRecord('invoice', `eid:${externalId}`, {
      ...call,
      expand: true,
    });
    if (body === undefined) return undefined;
    const record = parseNetsuiteRecord(NetsuiteInvoiceRecord, body, 'invoice');
    const currency = await this.#refs.currencyCode(record.currency.id, call);
    const customer = (await this.#client.getRecord('customer', record.entity.id, {
      ...call,
      operation: 'customer.get',
      fields: ['externalId'],
    })) as { externalId?: unknown } | undefined;
    const customerExternalId =
      typeof customer?.externalId === 'string' ? customer.externalId : undefined;
    return toErpInvoice(record, {
      currency,
      ...(customerExternalId !== undefined && { customerExternalId }),
    });
  }

  async getPayment(externalId: string, options?: ReadOptions): Promise<ErpPayment | undefined> {
    if (!EXTERNAL_ID.test(externalId)) return undefined;
    return this.#readPayment(`eid:${externalId}`, callOptions(options, 'payment.get'));
  }

  /** A customer payment by `eid:…` or internal id, with the external ids of what it applies to. */
  async #readPayment(ref: string, call: NetsuiteCallOptions): Promise<ErpPayment | undefined> {
    const body = await this.#client.getRecord('customerpayment', ref, { ...call, expand: true });
    if (body === undefined) return undefined;
    const record = parseNetsuiteRecord(NetsuitePaymentRecord, body, 'customer payment');
    const currency = await this.#refs.currencyCode(record.currency.id, call);
    const docs = [...new Set((record.apply?.items ?? []).map((l) => l.doc.id))].filter((id) =>
      /^\d+$/.test(id),
    );
    const invoiceExternalIds = new Map<string, string>();
    if (docs.length > 0) {
      const rows = await this.#client.suiteqlAll(
        `SELECT id, externalid FROM transaction WHERE id IN (${docs.join(', ')})`,
        { ...call, operation: 'transaction.find' },
      );
      for (const row of rows) {
        if (row.id !== undefined && row.externalid !== undefined) {
          invoiceExternalIds.set(row.id, row.externalid);
        }
      }
    }
    return toErpPayment(record, { currency, invoiceExternalIds });
  }

  /**
   * Every invoice, credit memo or customer payment dated in the window, whoever posted it: one
   * SuiteQL page (1,000 rows) per call, joined to the customer for its external id and
   * subsidiary. Payments are read one by one for their applications.
   */
  async *pageDocuments(
    kind: ErpDocumentKind,
    window: DocumentWindow,
    options?: ReadOptions,
  ): AsyncGenerator<ErpListedDocument[]> {
    const call = callOptions(options, `${kind}.list`);
    const day = (iso: string) => sqlText(iso.slice(0, 10));
    const q =
      "SELECT t.id, t.externalid, TO_CHAR(t.trandate, 'YYYY-MM-DD') AS trandate, t.currency," +
      ' t.foreigntotal, t.taxtotal, t.foreignamountremaining, t.memo, t.entity,' +
      ' c.externalid AS customerexternalid, c.subsidiary' +
      ' FROM transaction t JOIN customer c ON c.id = t.entity' +
      ` WHERE t.type = '${NETSUITE_TRANSACTION_TYPE[kind]}'` +
      ` AND t.trandate >= TO_DATE(${day(window.from)}, 'YYYY-MM-DD')` +
      ` AND t.trandate < TO_DATE(${day(window.to)}, 'YYYY-MM-DD')` +
      ' ORDER BY t.id';
    for await (const rows of this.#client.suiteqlPages(q, call)) {
      const out: ErpListedDocument[] = [];
      for (const row of rows) out.push(await this.#listed(kind, row, call));
      yield out;
    }
  }

  async #listed(
    kind: ErpDocumentKind,
    row: Record<string, string>,
    call: NetsuiteCallOptions,
  ): Promise<ErpListedDocument> {
    const currency = await this.#refs.currencyCode(row.currency ?? '', call);
    const money = (text: string | undefined) => {
      const m = fromDecimalString(text ?? '0', currency);
      return { amount: Math.abs(m.amount), currency: m.currency };
    };
    const remaining = money(row.foreignamountremaining);
    const doc: ErpListedDocument = {
      kind,
      id: row.id ?? '',
      ...(row.externalid !== undefined && { externalId: row.externalid }),
      ...(row.customerexternalid !== undefined && {
        customerExternalId: row.customerexternalid,
      }),
      customerId: row.entity ?? '',
      subsidiary: row.subsidiary ?? '',
      total: money(row.foreigntotal),
      ...(row.taxtotal !== undefined && { tax: money(row.taxtotal) }),
      tranDate: row.trandate ?? '',
      ...(row.memo !== undefined && { memo: row.memo }),
      status: kind === 'payment' || remaining.amount === 0 ? 'paid' : 'open',
    };
    if (kind !== 'payment') return doc;
    const payment = await this.#readPayment(doc.id, { ...call, operation: 'payment.get' });
    return {
      ...doc,
      appliedTo: (payment?.appliedTo ?? []).map((a) => ({
        invoiceExternalId: a.invoiceExternalId,
        amount: a.amount,
      })),
    };
  }

  /**
   * `PUT deposit/eid:{externalId}` to the bank account: `payment` lines take the customer
   * payments (by external id; `NotFoundError` when one is not in NetSuite yet) out of
   * Undeposited Funds, refunds and adjustments are `other` lines (signed, `refNum` = the billing
   * id) on the clearing account, and the fees one `cashBack` line on the fee account. Every
   * sublist is replaced, so a repeat converges.
   */
  async upsertDeposit(input: ErpDepositInput, options: WriteOptions): Promise<{ id: string }> {
    assertExternalId(input.externalId, 'deposit external id');
    const call = callOptions(options, 'deposit.upsert');
    const currencyId = await this.#refs.currencyId(input.currency, call);
    const lineSum = input.lines.reduce((s, l) => s + l.amount.amount, 0);
    if (lineSum - input.fee.amount !== input.total.amount) {
      throw new ValidationError(
        `deposit ${input.externalId}: lines ${lineSum} minus fee ${input.fee.amount} is not the total ${input.total.amount}`,
        { system: 'netsuite' },
      );
    }
    const dec = (amount: number) => JsonDecimal.of({ amount, currency: input.total.currency });
    // The customer payments by external id, in one SuiteQL query per 500.
    const wanted = [
      ...new Set(input.lines.filter((l) => l.kind === 'payment').map((l) => l.reference)),
    ];
    for (const ref of wanted) assertExternalId(ref, 'payment external id');
    const paymentIds = new Map<string, string>();
    for (let at = 0; at < wanted.length; at += 500) {
      const chunk = wanted.slice(at, at + 500);
      const rows = await this.#client.suiteqlAll(
        `SELECT id, externalid FROM transaction WHERE type = 'CustPymt' AND externalid IN (${chunk.map(sqlText).join(', ')})`,
        { ...call, operation: 'payment.lookup' },
      );
      for (const row of rows)
        if (row.id !== undefined && row.externalid !== undefined)
          paymentIds.set(row.externalid, row.id);
    }
    const payments: unknown[] = [];
    const other: unknown[] = [];
    for (const line of input.lines) {
      if (line.kind === 'payment') {
        const paymentId = paymentIds.get(line.reference);
        if (paymentId === undefined) {
          throw new NotFoundError(
            `customer payment ${line.reference} is not in NetSuite; post it before its deposit`,
            { system: 'netsuite' },
          );
        }
        payments.push({
          doc: { id: paymentId },
          deposit: true,
          paymentAmount: dec(line.amount.amount),
          ...(line.memo !== undefined && { memo: line.memo }),
        });
      } else {
        other.push({
          account: { id: this.#accounts.clearing },
          amount: dec(line.amount.amount),
          refNum: line.reference,
          memo: line.memo ?? `${line.kind} ${line.reference}`,
        });
      }
    }
    const cashBack =
      input.fee.amount > 0
        ? [
            {
              account: { id: input.feeAccount ?? this.#accounts.fee },
              amount: dec(input.fee.amount),
              memo: 'processing fees',
            },
          ]
        : [];
    const id = await this.#client.upsert(
      'deposit',
      input.externalId,
      {
        subsidiary: { id: input.subsidiary },
        currency: { id: currencyId },
        account: { id: this.#accounts.bank },
        tranDate: input.tranDate,
        ...(input.memo !== undefined && { memo: input.memo }),
        payment: { items: payments },
        other: { items: other },
        cashBack: { items: cashBack },
      },
      { ...call, query: { replace: 'payment,other,cashBack' } },
    );
    return { id };
  }

  /** Deposits dated in the window (SuiteQL), each read with its sublists. */
  async *pageDeposits(window: DocumentWindow, options?: ReadOptions): AsyncGenerator<ErpDeposit[]> {
    const call = callOptions(options, 'deposit.list');
    const day = (iso: string) => sqlText(iso.slice(0, 10));
    const q =
      "SELECT t.id FROM transaction t WHERE t.type = 'Deposit'" +
      ` AND t.trandate >= TO_DATE(${day(window.from)}, 'YYYY-MM-DD')` +
      ` AND t.trandate < TO_DATE(${day(window.to)}, 'YYYY-MM-DD')` +
      ' ORDER BY t.id';
    for await (const rows of this.#client.suiteqlPages(q, call)) {
      const out: ErpDeposit[] = [];
      for (const row of rows) {
        const d = await this.#readDeposit(row.id ?? '', call);
        if (d) out.push(d);
      }
      yield out;
    }
  }

  async #readDeposit(id: string, call: NetsuiteCallOptions): Promise<ErpDeposit | undefined> {
    type Line = {
      amount?: unknown;
      paymentAmount?: unknown;
      refNum?: unknown;
      doc?: { id?: unknown };
    };
    const body = (await this.#client.getRecord('deposit', id, {
      ...call,
      operation: 'deposit.get',
      expand: true,
    })) as
      | {
          id?: unknown;
          externalId?: unknown;
          tranDate?: unknown;
          memo?: unknown;
          total?: unknown;
          subsidiary?: { id?: unknown };
          currency?: { id?: unknown };
          payment?: { items?: Line[] };
          other?: { items?: Line[] };
          cashBack?: { items?: Line[] };
        }
      | undefined;
    if (body === undefined) return undefined;
    const currency = await this.#refs.currencyCode(String(body.currency?.id ?? ''), call);
    const m = (value: unknown) => fromNetsuiteAmount(Number(value ?? 0), currency);
    const payments = body.payment?.items ?? [];
    const docs = payments.map((l) => String(l.doc?.id ?? '')).filter((d) => /^\d+$/.test(d));
    const externalIds = new Map<string, string>();
    if (docs.length > 0) {
      const rows = await this.#client.suiteqlAll(
        `SELECT id, externalid FROM transaction WHERE id IN (${docs.join(', ')})`,
        { ...call, operation: 'transaction.find' },
      );
      for (const row of rows)
        if (row.id !== undefined && row.externalid !== undefined)
          externalIds.set(row.id, row.externalid);
    }
    const fee = (body.cashBack?.items ?? []).reduce((s, l) => s + m(l.amount).amount, 0);
    return {
      id: String(body.id ?? id),
      ...(typeof body.externalId === 'string' && { externalId: body.externalId }),
      subsidiary: String(body.subsidiary?.id ?? ''),
      currency,
      tranDate: String(body.tranDate ?? ''),
      total: m(body.total),
      fee: { amount: fee, currency },
      lines: [
        ...payments.map((l) => {
          const doc = String(l.doc?.id ?? '');
          return { reference: externalIds.get(doc) ?? doc, amount: m(l.paymentAmount) };
        }),
        ...(body.other?.items ?? []).map((l) => ({
          reference: typeof l.refNum === 'string' ? l.refNum : '',
          amount: m(l.amount),
        })),
      ],
      ...(typeof body.memo === 'string' && { memo: body.memo }),
    };
  }

  async getCreditMemo(
    externalId: string,
    options?: ReadOptions,
  ): Promise<ErpCreditMemo | undefined> {
    if (!EXTERNAL_ID.test(externalId)) return undefined;
    const call = callOptions(options, 'creditmemo.get');
    const body = await this.#client.getRecord('creditmemo', `eid:${externalId}`, call);
    if (body === undefined) return undefined;
    const record = parseNetsuiteRecord(NetsuiteCreditMemoRecord, body, 'credit memo');
    return toErpCreditMemo(record, await this.#refs.currencyCode(record.currency.id, call));
  }

  /**
   * Customers with this external id, or whose company (or person) name equals `name` ignoring
   * case; both given, either matches. SuiteQL, so reconciliation and the simulator see
   * duplicates that a lookup by external id alone would hide.
   */
  async findCustomers(
    filter: { externalId?: string; name?: string },
    options?: ReadOptions,
  ): Promise<{ id: string; externalId?: string; name: string }[]> {
    const conditions: string[] = [];
    if (filter.externalId !== undefined)
      conditions.push(`externalid = ${sqlText(filter.externalId)}`);
    if (filter.name !== undefined) {
      const name = sqlText(filter.name.trim());
      conditions.push(`UPPER(companyname) = UPPER(${name})`, `UPPER(altname) = UPPER(${name})`);
    }
    if (conditions.length === 0) {
      throw new ValidationError('findCustomers needs an externalId or a name', {
        system: 'netsuite',
      });
    }
    const rows = await this.#client.suiteqlAll(
      `SELECT id, externalid, companyname, altname, entityid FROM customer WHERE ${conditions.join(' OR ')} ORDER BY id`,
      callOptions(options, 'customer.find'),
    );
    return rows.map(toCustomerMatch);
  }

  /**
   * Makes sure the lines' items exist, then posts. An item answered from the cache may have been
   * deleted in NetSuite since it was cached, and the posting is then refused: on a refusal (not a
   * transient failure) those items are forgotten and looked up again, and the posting is tried
   * once more only if one had to be created again; otherwise the refusal stands.
   */
  async #withItems(
    lines: readonly ErpInvoiceLineInput[],
    call: NetsuiteCallOptions,
    post: () => Promise<string>,
  ): Promise<string> {
    const wanted = new Map<string, string>();
    for (const line of lines) {
      const externalId = this.#refs.itemFor(line.item);
      if (!wanted.has(externalId)) wanted.set(externalId, line.item ?? externalId);
    }
    const items = [...wanted].map(([externalId, name]) => ({ externalId, name }));
    const { cached } = await this.#refs.ensureItems(items, call);
    try {
      return await post();
    } catch (caught) {
      if (cached.length === 0 || coerceError(caught).retryable) throw caught;
      this.#refs.forgetItems(cached);
      const { created } = await this.#refs.ensureItems(
        items.filter((i) => cached.includes(i.externalId)),
        call,
      );
      if (created.length === 0) throw caught;
      return post();
    }
  }

  async #invoiceRef(
    externalId: string,
    call: NetsuiteCallOptions,
  ): Promise<{ id: string; currencyId: string; amountRemaining: number }> {
    const body = (await this.#client.getRecord('invoice', `eid:${externalId}`, {
      ...call,
      operation: 'invoice.lookup',
      fields: ['currency', 'amountRemaining'],
    })) as { id?: unknown; currency?: { id?: unknown }; amountRemaining?: unknown } | undefined;
    if (body === undefined) {
      throw new NotFoundError(`invoice ${externalId} is not in NetSuite; post it first`, {
        system: 'netsuite',
      });
    }
    return {
      id: String(body.id),
      currencyId: String(body.currency?.id),
      amountRemaining: typeof body.amountRemaining === 'number' ? body.amountRemaining : 0,
    };
  }

  async #verify(
    type: 'invoice' | 'creditmemo',
    id: string,
    externalId: string,
    currencyId: string,
    total: ErpInvoiceInput['total'],
    call: NetsuiteCallOptions,
    tax?: ErpInvoiceInput['tax'],
  ): Promise<void> {
    const body = (await this.#client.getRecord(type, id, {
      ...call,
      operation: `${type}.verify`,
      fields: ['total', 'taxTotal', 'currency'],
    })) as { total?: unknown; taxTotal?: unknown; currency?: { id?: unknown } } | undefined;
    const problems: { path: string; message: string }[] = [];
    const compare = (path: string, value: unknown, expected: typeof total) => {
      const got =
        typeof value === 'number' ? fromNetsuiteAmount(value, expected.currency) : undefined;
      if (got?.amount !== expected.amount) {
        problems.push({
          path,
          message: `NetSuite holds ${String(value)}, expected ${expected.amount} minor units of ${expected.currency}`,
        });
      }
    };
    if (String(body?.currency?.id) !== currencyId) {
      problems.push({
        path: 'currency',
        message: `NetSuite holds currency ${String(body?.currency?.id)}`,
      });
    }
    compare('total', body?.total, total);
    if (tax !== undefined) compare('tax', body?.taxTotal, tax);
    if (problems.length > 0) {
      throw new ConflictError(
        `${type} ${externalId} (${id}) in NetSuite does not match what was posted: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
        { system: 'netsuite', details: problems },
      );
    }
  }
}

function callOptions(options: ReadOptions | undefined, operation: string): NetsuiteCallOptions {
  return {
    operation,
    ...(options?.lane !== undefined && { lane: options.lane }),
    ...(options?.signal !== undefined && { signal: options.signal }),
    ...(options?.traceparent !== undefined && { traceparent: options.traceparent }),
  };
}
