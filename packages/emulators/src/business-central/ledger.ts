/**
 * The companies of one emulated Business Central environment and their records: customers,
 * sales invoices and credit memos with lines (Draft until posted), customer payment journals and
 * their lines, dimensions, accounting periods. Amounts are kept in minor units of the document's
 * currency and rounded with that currency's precision; the JSON shapes follow API v2.0.
 */
import { createHash, randomUUID } from 'node:crypto';
import { badRequest, dialog, invalidField, notFound } from './errors.ts';
import { decimalsOf, fromMinor, percentOf, toMinor } from './money.ts';

export interface CompanySeed {
  /** GUID; default derived from the name. */
  id?: string;
  name: string;
  displayName?: string;
  /** The local currency (LCY), e.g. USD. */
  currencyCode: string;
  /** Two-letter country/region of the company, e.g. US. */
  country?: string;
  /** The simulator's region: the REGION dimension value the company's documents default to. */
  region?: string;
  /** Foreign currencies set up besides LCY. Default USD, EUR, GBP, JPY minus LCY. */
  currencies?: readonly string[];
  /** Default tax percent of lines that send none. Default 0. */
  defaultTaxPercent?: number;
}

export type Status = 'Draft' | 'Open' | 'Paid' | 'Canceled';
export type DocKind = 'salesInvoices' | 'salesCreditMemos';

interface Versioned {
  id: string;
  rowVersion: number;
  lastModified: number;
}

export interface Customer extends Versioned {
  number: string;
  displayName: string;
  type: 'Company' | 'Person';
  email: string;
  phoneNumber: string;
  addressLine1: string;
  city: string;
  country: string;
  postalCode: string;
  /** '' = LCY. */
  currency: string;
  blocked: string;
}

export interface Line extends Versioned {
  documentId: string;
  sequence: number;
  lineType: string;
  lineObjectNumber: string;
  description: string;
  quantity: number;
  unitPrice: number;
  discountPercent: number;
  taxCode: string;
  taxPercent: number;
  amountExcl: number;
  tax: number;
}

export interface SalesDoc extends Versioned {
  kind: DocKind;
  number: string;
  externalDocumentNumber: string;
  documentDate: string;
  postingDate: string;
  dueDate: string;
  customerId: string;
  customerNumber: string;
  customerName: string;
  /** The document's currency code ('' = LCY). */
  currency: string;
  status: Status;
  lines: Line[];
  nextSequence: number;
  remaining: number;
  /** Credit memos: the invoice it is applied to. */
  invoiceId: string;
  /** dimensionId → valueId. */
  dimensions: Record<string, string>;
  postedAt?: number;
}

export interface Journal extends Versioned {
  code: string;
  displayName: string;
}

export interface Payment extends Versioned {
  journalId: string;
  lineNumber: number;
  customerId: string;
  customerNumber: string;
  postingDate: string;
  documentNumber: string;
  externalDocumentNumber: string;
  /** Minor units of `currency`; negative for a payment received (BC's sign). */
  amount: number;
  currency: string;
  appliesToInvoiceId: string;
  appliesToInvoiceNumber: string;
  description: string;
  comment: string;
  dimensions: Record<string, string>;
}

export interface PostedPayment {
  id: string;
  entryNumber: number;
  journalCode: string;
  customerId: string;
  customerNumber: string;
  postingDate: string;
  documentNumber: string;
  externalDocumentNumber: string;
  amount: number;
  currencyCode: string;
  appliesToInvoiceId: string;
  appliedAmount: number;
  description: string;
  postedAt: number;
}

export interface Dimension extends Versioned {
  code: string;
  displayName: string;
  values: (Versioned & { code: string; displayName: string })[];
}

export interface Period extends Versioned {
  startingDate: string;
  name: string;
  newFiscalYear: boolean;
  closed: boolean;
  dateLocked: boolean;
}

export interface CompanyState {
  id: string;
  name: string;
  displayName: string;
  lcy: string;
  country: string;
  region: string;
  currencies: string[];
  defaultTaxPercent: number;
  systemVersion: string;
  customers: Record<string, Customer>;
  salesInvoices: Record<string, SalesDoc>;
  salesCreditMemos: Record<string, SalesDoc>;
  journals: Record<string, Journal>;
  payments: Record<string, Payment>;
  postedPayments: PostedPayment[];
  dimensions: Record<string, Dimension>;
  periods: Record<string, Period>;
  series: Record<string, number>;
  lastModified: number;
}

/** An open transaction (see {@link Ledger.begin}). */
export interface Tx {
  companies: Record<string, CompanyState>;
  scalars: Map<
    CompanyState,
    { series: Record<string, number>; postedPayments: number; lastModified: number }
  >;
  kept: Set<object>;
  undo: (() => void)[];
  changes: number;
}

export interface State {
  companies: Record<string, CompanyState>;
  rowVersion: number;
}

/** One change, for webhooks: the entity set path below `companies(<id>)/`. */
export interface Change {
  companyId: string;
  entitySet: string;
  id: string;
  changeType: 'created' | 'updated' | 'deleted';
  at: number;
}

/** A name-derived GUID, so seeded companies keep their id across restarts. */
export function guidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const iso = (ms: number) => new Date(ms).toISOString();
const day = (ms: number) => iso(ms).slice(0, 10);
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** How BC's API writes an empty date. */
export const BLANK_DATE = '0001-01-01';
const addDays = (date: string, n: number) => day(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000);
export const LINE_TYPES = ['Comment', 'Account', 'Item', 'Resource', 'Fixed Asset', 'Charge'];
const REGIONS = [
  { code: 'NA', displayName: 'North America' },
  { code: 'EMEA', displayName: 'Europe, Middle East and Africa' },
  { code: 'APAC', displayName: 'Asia Pacific' },
  { code: 'LATAM', displayName: 'Latin America' },
];

function etagOf(v: Versioned): string {
  const key = Buffer.from(v.id).toString('base64');
  return `W/"${Buffer.from(`'44;${key}1;${v.rowVersion};'`).toString('base64')}"`;
}

type Body = Record<string, unknown>;

function str(body: Body, field: string, max = 100): string | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (v === null) return '';
  if (typeof v !== 'string')
    throw invalidField(
      field,
      `Cannot convert a primitive value to the expected type 'Edm.String'.`,
    );
  if (v.length > max) {
    throw dialog(
      `The length of the string is ${v.length}, but it must be less than or equal to ${max} characters. Value: ${v}`,
    );
  }
  return v;
}
function num(body: Body, field: string): number | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw invalidField(
      field,
      `Cannot convert the literal '${String(v)}' to the expected type 'Edm.Decimal'.`,
    );
  }
  return v;
}
function date(body: Body, field: string): string | undefined {
  const v = str(body, field, 10);
  if (v === undefined || v === '') return v;
  if (v === BLANK_DATE) return '';
  if (!DATE.test(v) || Number.isNaN(Date.parse(v))) {
    throw invalidField(field, `Cannot convert the literal '${v}' to the expected type 'Edm.Date'.`);
  }
  return v;
}

export class Ledger {
  state: State;
  readonly #now: () => number;
  /** Changes since the last {@link takeChanges}. */
  #changes: Change[] = [];
  readonly seeds: readonly CompanySeed[];

  constructor(seeds: readonly CompanySeed[], now: () => number) {
    this.#now = now;
    this.seeds = seeds;
    this.state = { companies: {}, rowVersion: 1000 };
    for (const s of seeds) this.addCompany(s);
  }

  takeChanges(): Change[] {
    const c = this.#changes;
    this.#changes = [];
    return c;
  }
  /**
   * Starts a transaction: what a failing request (or `$batch` atomicity group) undoes. Cheap
   * whatever the number of documents: writes record how to undo themselves — a record is cloned
   * when a write is about to change it ({@link keep}), map entries are remembered as they are
   * set or deleted ({@link put}, {@link drop}).
   */
  begin(): Tx {
    const tx: Tx = {
      companies: { ...this.state.companies },
      scalars: new Map(
        Object.values(this.state.companies).map((c) => [
          c,
          {
            series: { ...c.series },
            postedPayments: c.postedPayments.length,
            lastModified: c.lastModified,
          },
        ]),
      ),
      kept: new Set(),
      undo: [],
      changes: this.#changes.length,
    };
    this.#open.push(tx);
    return tx;
  }
  commit(tx: Tx): void {
    this.#open = this.#open.filter((t) => t !== tx);
  }
  rollback(tx: Tx): void {
    this.commit(tx);
    for (const undo of [...tx.undo].reverse()) undo();
    this.state.companies = tx.companies;
    for (const [c, saved] of tx.scalars) {
      c.series = saved.series;
      c.postedPayments.length = saved.postedPayments;
      c.lastModified = saved.lastModified;
    }
    this.#changes.length = Math.min(this.#changes.length, tx.changes);
  }
  /** Remembers `obj` as it is now in every open transaction (call before changing it). */
  keep(obj: object): void {
    for (const tx of this.#open) {
      if (tx.kept.has(obj)) continue;
      tx.kept.add(obj);
      const copy = structuredClone(obj);
      tx.undo.push(() => {
        for (const k of Object.keys(obj)) delete (obj as Record<string, unknown>)[k];
        Object.assign(obj, copy);
      });
    }
  }
  /** `map[key] = value`, undoable. */
  put<T>(map: Record<string, T>, key: string, value: T): void {
    this.#entry(map, key);
    map[key] = value;
  }
  /** `delete map[key]`, undoable. */
  drop<T>(map: Record<string, T>, key: string): void {
    this.#entry(map, key);
    delete map[key];
  }
  #entry<T>(map: Record<string, T>, key: string): void {
    if (this.#open.length === 0) return;
    const had = Object.hasOwn(map, key);
    const old = map[key];
    for (const tx of this.#open) {
      tx.undo.push(() => {
        if (had) map[key] = old as T;
        else delete map[key];
      });
    }
  }
  #open: Tx[] = [];

  #touch(c: CompanyState, v: Versioned, entitySet: string, changeType: Change['changeType']) {
    const at = this.#now();
    v.rowVersion = ++this.state.rowVersion;
    v.lastModified = at;
    c.lastModified = at;
    this.#changes.push({ companyId: c.id, entitySet, id: v.id, changeType, at });
  }
  #new(): Versioned {
    return { id: randomUUID(), rowVersion: ++this.state.rowVersion, lastModified: this.#now() };
  }
  #next(c: CompanyState, series: string): number {
    c.series[series] = (c.series[series] ?? 0) + 1;
    return c.series[series];
  }

  etag = etagOf;

  // ---- companies ---------------------------------------------------------------------

  addCompany(seed: CompanySeed): CompanyState {
    const id = (seed.id ?? guidFrom(`bc-company:${seed.name}`)).toLowerCase();
    if (this.state.companies[id]) throw badRequest(`company ${id} exists`);
    const lcy = seed.currencyCode.toUpperCase();
    const now = this.#now();
    const year = new Date(now).getUTCFullYear();
    const c: CompanyState = {
      id,
      name: seed.name,
      displayName: seed.displayName ?? seed.name,
      lcy,
      country: seed.country ?? '',
      region: seed.region ?? 'NA',
      currencies: [...(seed.currencies ?? ['USD', 'EUR', 'GBP', 'JPY'])]
        .map((x) => x.toUpperCase())
        .filter((x) => x !== lcy),
      defaultTaxPercent: seed.defaultTaxPercent ?? 0,
      systemVersion: '25.1.23456.0',
      customers: {},
      salesInvoices: {},
      salesCreditMemos: {},
      journals: {},
      payments: {},
      postedPayments: [],
      dimensions: {},
      periods: {},
      series: {},
      lastModified: now,
    };
    const journal: Journal = {
      ...this.#new(),
      id: guidFrom(`${id}:journal:GENERAL`),
      code: 'GENERAL',
      displayName: 'Default Journal Batch',
    };
    c.journals[journal.id] = journal;
    const dim: Dimension = {
      ...this.#new(),
      id: guidFrom(`${id}:dimension:REGION`),
      code: 'REGION',
      displayName: 'Region',
      values: REGIONS.map((r) => ({
        ...this.#new(),
        id: guidFrom(`${id}:dimension:REGION:${r.code}`),
        ...r,
      })),
    };
    c.dimensions[dim.id] = dim;
    for (let y = year - 1; y <= year + 1; y++) {
      for (let m = 1; m <= 12; m++) {
        const startingDate = `${y}-${String(m).padStart(2, '0')}-01`;
        const p: Period = {
          ...this.#new(),
          id: guidFrom(`${id}:period:${startingDate}`),
          startingDate,
          name: new Date(Date.UTC(y, m - 1, 1)).toLocaleString('en-US', {
            month: 'long',
            timeZone: 'UTC',
          }),
          newFiscalYear: m === 1,
          closed: false,
          dateLocked: false,
        };
        c.periods[p.id] = p;
      }
    }
    this.state.companies[id] = c;
    return c;
  }

  company(id: string): CompanyState {
    const c = this.state.companies[id.toLowerCase()];
    if (!c) throw notFound(`company ${id}`);
    return c;
  }

  companyJson(c: CompanyState) {
    return {
      id: c.id,
      systemVersion: c.systemVersion,
      timestamp: this.state.rowVersion,
      name: c.name,
      displayName: c.displayName,
      businessProfileId: '',
      systemCreatedAt: iso(0),
      systemCreatedBy: '00000000-0000-0000-0000-000000000001',
      systemModifiedAt: iso(c.lastModified),
      systemModifiedBy: '00000000-0000-0000-0000-000000000001',
    };
  }

  /** The currency code to store for an input code ('' for LCY); 400 when not set up. */
  #currency(c: CompanyState, code: string | undefined, table: string): string {
    if (code === undefined || code === '') return '';
    const up = code.toUpperCase();
    if (up === c.lcy) return '';
    if (!c.currencies.includes(up)) {
      throw dialog(
        `The field Currency Code of table ${table} contains a value (${code}) that cannot be found in the related table (Currency).`,
      );
    }
    return up;
  }
  code(c: CompanyState, currency: string): string {
    return currency === '' ? c.lcy : currency;
  }

  // ---- customers ---------------------------------------------------------------------

  customerJson(c: CompanyState, x: Customer) {
    return {
      '@odata.etag': etagOf(x),
      id: x.id,
      number: x.number,
      displayName: x.displayName,
      type: x.type,
      addressLine1: x.addressLine1,
      addressLine2: '',
      city: x.city,
      state: '',
      country: x.country,
      postalCode: x.postalCode,
      phoneNumber: x.phoneNumber,
      email: x.email,
      website: '',
      salespersonCode: '',
      balanceDue: this.#balance(c, x),
      creditLimit: 0,
      taxLiable: false,
      taxAreaId: '00000000-0000-0000-0000-000000000000',
      taxAreaDisplayName: '',
      taxRegistrationNumber: '',
      currencyId:
        x.currency === ''
          ? '00000000-0000-0000-0000-000000000000'
          : guidFrom(`currency:${x.currency}`),
      currencyCode: this.code(c, x.currency),
      paymentTermsId: '00000000-0000-0000-0000-000000000000',
      shipmentMethodId: '00000000-0000-0000-0000-000000000000',
      paymentMethodId: '00000000-0000-0000-0000-000000000000',
      blocked: x.blocked === '' ? ' ' : x.blocked,
      lastModifiedDateTime: iso(x.lastModified),
    };
  }

  #balance(c: CompanyState, x: Customer): number {
    const cur = x.currency === '' ? c.lcy : x.currency;
    let minor = 0;
    for (const d of Object.values(c.salesInvoices)) {
      if (d.customerId === x.id && d.status !== 'Draft' && this.code(c, d.currency) === cur)
        minor += d.remaining;
    }
    return fromMinor(minor, cur);
  }

  customer(c: CompanyState, id: string): Customer {
    const x = c.customers[id.toLowerCase()];
    if (!x) throw notFound(`customer ${id}`);
    return x;
  }

  #customerBy(
    c: CompanyState,
    id: string | undefined,
    number: string | undefined,
  ): Customer | undefined {
    if (id) {
      const x = c.customers[id.toLowerCase()];
      if (!x)
        throw dialog(`The Customer does not exist. Identification fields and values: Id='${id}'`);
      return x;
    }
    if (number) {
      const x = Object.values(c.customers).find((k) => k.number === number);
      if (!x)
        throw dialog(
          `The Customer does not exist. Identification fields and values: No.='${number}'`,
        );
      return x;
    }
    return undefined;
  }

  writeCustomer(c: CompanyState, body: Body, existing?: Customer): Customer {
    if (existing) this.keep(existing);
    const number = str(body, 'number', 20);
    if (
      number !== undefined &&
      number !== '' &&
      Object.values(c.customers).some((k) => k.number === number && k.id !== existing?.id)
    ) {
      throw dialog(
        `The record in table Customer already exists. Identification fields and values: No.='${number}'`,
      );
    }
    const currency =
      body.currencyCode === undefined
        ? undefined
        : this.#currency(c, str(body, 'currencyCode', 10), 'Customer');
    const type = str(body, 'type', 10);
    if (type !== undefined && type !== 'Company' && type !== 'Person') {
      throw invalidField('type', `The value '${type}' is not a member of the enum Contact Type.`);
    }
    const blocked = str(body, 'blocked', 10);
    if (blocked !== undefined && !['', ' ', 'Ship', 'Invoice', 'All'].includes(blocked)) {
      throw invalidField(
        'blocked',
        `The value '${blocked}' is not a member of the enum Customer Blocked.`,
      );
    }
    const x: Customer = existing ?? {
      ...this.#new(),
      number: '',
      displayName: '',
      type: 'Company',
      email: '',
      phoneNumber: '',
      addressLine1: '',
      city: '',
      country: c.country,
      postalCode: '',
      currency: '',
      blocked: '',
    };
    if (number !== undefined && number !== '') x.number = number;
    if (!existing && x.number === '')
      x.number = `C${String(this.#next(c, 'customer') * 10).padStart(5, '0')}`;
    for (const f of [
      'displayName',
      'email',
      'phoneNumber',
      'addressLine1',
      'city',
      'country',
      'postalCode',
    ] as const) {
      const v = str(body, f, f === 'email' ? 80 : 100);
      if (v !== undefined) x[f] = v;
    }
    if (type !== undefined) x.type = type;
    if (currency !== undefined) x.currency = currency;
    if (blocked !== undefined) x.blocked = blocked.trim();
    this.put(c.customers, x.id, x);
    this.#touch(c, x, 'customers', existing ? 'updated' : 'created');
    return x;
  }

  deleteCustomer(c: CompanyState, x: Customer): void {
    this.keep(x);
    const open = [...Object.values(c.salesInvoices), ...Object.values(c.salesCreditMemos)].some(
      (d) => d.customerId === x.id && d.status !== 'Draft',
    );
    if (open)
      throw dialog(
        `You cannot delete Customer ${x.number} because there is at least one outstanding Sales Invoice for this customer.`,
      );
    this.drop(c.customers, x.id);
    this.#touch(c, x, 'customers', 'deleted');
  }

  // ---- sales documents ---------------------------------------------------------------

  doc(c: CompanyState, kind: DocKind, id: string): SalesDoc {
    const d = c[kind][id.toLowerCase()];
    if (!d)
      throw notFound(`${kind === 'salesInvoices' ? 'salesInvoice' : 'salesCreditMemo'} ${id}`);
    return d;
  }

  totals(d: SalesDoc) {
    let excl = 0;
    let tax = 0;
    for (const l of d.lines) {
      excl += l.amountExcl;
      tax += l.tax;
    }
    return { excl, tax, incl: excl + tax };
  }

  lineJson(c: CompanyState, d: SalesDoc, l: Line) {
    const cur = this.code(c, d.currency);
    const m = (v: number) => fromMinor(v, cur);
    return {
      '@odata.etag': etagOf(l),
      id: l.id,
      documentId: d.id,
      sequence: l.sequence,
      itemId: '00000000-0000-0000-0000-000000000000',
      accountId: '00000000-0000-0000-0000-000000000000',
      lineType: l.lineType,
      lineObjectNumber: l.lineObjectNumber,
      description: l.description,
      description2: '',
      unitOfMeasureId: '00000000-0000-0000-0000-000000000000',
      unitOfMeasureCode: '',
      quantity: l.quantity,
      unitPrice: l.unitPrice,
      discountAmount: m(toMinor(l.quantity * l.unitPrice, cur) - l.amountExcl),
      discountPercent: l.discountPercent,
      discountAppliedBeforeTax: true,
      amountExcludingTax: m(l.amountExcl),
      taxCode: l.taxCode,
      taxPercent: l.taxPercent,
      totalTaxAmount: m(l.tax),
      amountIncludingTax: m(l.amountExcl + l.tax),
      invoiceDiscountAllocation: 0,
      netAmount: m(l.amountExcl),
      netTaxAmount: m(l.tax),
      netAmountIncludingTax: m(l.amountExcl + l.tax),
      shipmentDate: d.documentDate,
      itemVariantId: '00000000-0000-0000-0000-000000000000',
      locationId: '00000000-0000-0000-0000-000000000000',
    };
  }

  docJson(c: CompanyState, d: SalesDoc) {
    const cur = this.code(c, d.currency);
    const t = this.totals(d);
    const m = (v: number) => fromMinor(v, cur);
    const common = {
      '@odata.etag': etagOf(d),
      id: d.id,
      number: d.number,
      externalDocumentNumber: d.externalDocumentNumber,
      ...(d.kind === 'salesInvoices'
        ? {
            invoiceDate: d.documentDate,
            postingDate: d.postingDate || BLANK_DATE,
            dueDate: d.dueDate || BLANK_DATE,
          }
        : {
            creditMemoDate: d.documentDate,
            postingDate: d.postingDate || BLANK_DATE,
            dueDate: d.dueDate || BLANK_DATE,
          }),
      customerId: d.customerId,
      customerNumber: d.customerNumber,
      customerName: d.customerName,
      billToName: d.customerName,
      billToCustomerId: d.customerId,
      billToCustomerNumber: d.customerNumber,
      currencyId:
        d.currency === ''
          ? '00000000-0000-0000-0000-000000000000'
          : guidFrom(`currency:${d.currency}`),
      currencyCode: cur,
      paymentTermsId: '00000000-0000-0000-0000-000000000000',
      salesperson: '',
      pricesIncludeTax: false,
      discountAmount: 0,
      discountAppliedBeforeTax: true,
      totalAmountExcludingTax: m(t.excl),
      totalTaxAmount: m(t.tax),
      totalAmountIncludingTax: m(t.incl),
      status: d.status,
      lastModifiedDateTime: iso(d.lastModified),
    };
    if (d.kind === 'salesInvoices') {
      return { ...common, remainingAmount: d.status === 'Draft' ? m(t.incl) : m(d.remaining) };
    }
    const inv = d.invoiceId ? c.salesInvoices[d.invoiceId] : undefined;
    return {
      ...common,
      invoiceId: d.invoiceId || '00000000-0000-0000-0000-000000000000',
      invoiceNumber: inv?.number ?? '',
    };
  }

  #draft(d: SalesDoc) {
    if (d.status !== 'Draft') {
      throw dialog(
        d.kind === 'salesInvoices'
          ? `The invoice ${d.number} has been posted and can no longer be modified.`
          : `The credit memo ${d.number} has been posted and can no longer be modified.`,
      );
    }
  }

  writeDoc(c: CompanyState, kind: DocKind, body: Body, existing?: SalesDoc): SalesDoc {
    if (existing) this.#draft(existing);
    if (existing) this.keep(existing);
    const dateField = kind === 'salesInvoices' ? 'invoiceDate' : 'creditMemoDate';
    for (const ro of [
      'number',
      'status',
      'totalAmountExcludingTax',
      'totalAmountIncludingTax',
      'totalTaxAmount',
      'remainingAmount',
    ]) {
      if (body[ro] !== undefined && !(ro === 'number' && !existing)) {
        if (existing && ro === 'number' && body[ro] === existing.number) continue;
        throw badRequest(`The property '${ro}' is read-only.`);
      }
    }
    const customer = this.#customerBy(
      c,
      str(body, 'customerId', 36) || undefined,
      str(body, 'customerNumber', 20) || undefined,
    );
    const today = day(this.#now());
    const docDate = date(body, dateField);
    const postingDate = date(body, 'postingDate');
    const dueDate = date(body, 'dueDate');
    const ext = str(body, 'externalDocumentNumber', 35);
    const currency =
      body.currencyCode === undefined
        ? undefined
        : this.#currency(c, str(body, 'currencyCode', 10), 'Sales Header');
    let invoiceId: string | undefined;
    if (kind === 'salesCreditMemos') {
      const iid = str(body, 'invoiceId', 36);
      const inum = str(body, 'invoiceNumber', 20);
      if (iid && iid !== '00000000-0000-0000-0000-000000000000') {
        const inv = c.salesInvoices[iid.toLowerCase()];
        if (!inv || inv.status === 'Draft')
          throw dialog(`The posted sales invoice ${iid} does not exist.`);
        invoiceId = inv.id;
      } else if (inum) {
        const inv = Object.values(c.salesInvoices).find(
          (i) => i.number === inum && i.status !== 'Draft',
        );
        if (!inv) throw dialog(`The posted sales invoice ${inum} does not exist.`);
        invoiceId = inv.id;
      } else if (iid !== undefined || inum !== undefined) invoiceId = '';
    }
    let number = str(body, 'number', 20);
    if (
      number !== undefined &&
      number !== '' &&
      Object.values(c[kind]).some((x) => x.number === number && x.id !== existing?.id)
    ) {
      throw dialog(
        `The record in table Sales Header already exists. Identification fields and values: No.='${number}'`,
      );
    }
    const d: SalesDoc = existing ?? {
      ...this.#new(),
      kind,
      number: '',
      externalDocumentNumber: '',
      documentDate: today,
      postingDate: '',
      dueDate: '',
      customerId: '',
      customerNumber: '',
      customerName: '',
      currency: '',
      status: 'Draft',
      lines: [],
      nextSequence: 10000,
      remaining: 0,
      invoiceId: '',
      dimensions: {},
    };
    if (!existing) {
      if (!number) {
        const n = this.#next(c, kind);
        number = kind === 'salesInvoices' ? `S-INV-${1000 + n}` : `S-CR-${1000 + n}`;
      }
      d.number = number;
      const dim = Object.values(c.dimensions).find((x) => x.code === 'REGION');
      const val = dim?.values.find((v) => v.code === c.region);
      if (dim && val) d.dimensions[dim.id] = val.id;
    }
    if (customer) {
      if (customer.blocked === 'All' || customer.blocked === 'Invoice') {
        throw dialog(
          `You cannot create this type of document when Customer ${customer.number} is blocked with type ${customer.blocked}`,
        );
      }
      const changed = d.customerId !== customer.id;
      d.customerId = customer.id;
      d.customerNumber = customer.number;
      d.customerName = customer.displayName;
      if (changed && currency === undefined) d.currency = customer.currency;
    }
    if (currency !== undefined && currency !== d.currency) {
      if (d.lines.length > 0) {
        // BC recalculates the lines in the new currency; the emulator keeps unit prices.
        d.currency = currency;
        for (const l of d.lines) this.#computeLine(c, d, l);
      } else d.currency = currency;
    }
    if (docDate !== undefined) d.documentDate = docDate || today;
    if (postingDate !== undefined) d.postingDate = postingDate;
    if (dueDate !== undefined) d.dueDate = dueDate;
    if (!d.dueDate || (docDate !== undefined && dueDate === undefined))
      d.dueDate = addDays(d.documentDate, 30);
    if (ext !== undefined) d.externalDocumentNumber = ext;
    if (invoiceId !== undefined) d.invoiceId = invoiceId;
    this.put(c[kind], d.id, d);
    const linesField = kind === 'salesInvoices' ? 'salesInvoiceLines' : 'salesCreditMemoLines';
    const deep = body[linesField];
    if (deep !== undefined) {
      if (existing)
        throw badRequest(`Deep update of ${linesField} is not supported; PATCH the lines.`);
      if (!Array.isArray(deep)) throw badRequest(`${linesField} must be an array.`);
      for (const l of deep) this.writeLine(c, d, l as Body, undefined, false);
    }
    this.#touch(c, d, kind, existing ? 'updated' : 'created');
    return d;
  }

  #computeLine(c: CompanyState, d: SalesDoc, l: Line) {
    const cur = this.code(c, d.currency);
    if (l.lineType === 'Comment') {
      l.amountExcl = 0;
      l.tax = 0;
      return;
    }
    const gross = toMinor(l.quantity * l.unitPrice, cur);
    const discount = percentOf(gross, l.discountPercent);
    l.amountExcl = gross - discount;
    l.tax = percentOf(l.amountExcl, l.taxPercent);
  }

  line(d: SalesDoc, id: string): Line {
    const l = d.lines.find((x) => x.id === id.toLowerCase());
    if (!l) throw notFound(`line ${id}`);
    return l;
  }

  writeLine(c: CompanyState, d: SalesDoc, body: Body, existing?: Line, touch = true): Line {
    this.#draft(d);
    this.keep(d);
    const lineType = str(body, 'lineType', 20);
    if (lineType !== undefined && !LINE_TYPES.includes(lineType)) {
      throw invalidField(
        'lineType',
        `The value '${lineType}' is not a member of the enum Invoice Line Agg. Line Type.`,
      );
    }
    const quantity = num(body, 'quantity');
    const unitPrice = num(body, 'unitPrice');
    const discountPercent = num(body, 'discountPercent');
    const taxPercent = num(body, 'taxPercent');
    if (quantity !== undefined && quantity < 0 && d.kind === 'salesInvoices') {
      // BC accepts negative quantities on invoices; posting a negative total is refused.
    }
    if (discountPercent !== undefined && (discountPercent < 0 || discountPercent > 100)) {
      throw dialog('Line Discount % must be between 0 and 100.');
    }
    if (taxPercent !== undefined && (taxPercent < 0 || taxPercent > 100))
      throw dialog('Tax % must be between 0 and 100.');
    const cur = this.code(c, d.currency);
    const l: Line = existing ?? {
      ...this.#new(),
      documentId: d.id,
      sequence: 0,
      lineType: 'Item',
      lineObjectNumber: '',
      description: '',
      quantity: 0,
      unitPrice: 0,
      discountPercent: 0,
      taxCode: '',
      taxPercent: c.defaultTaxPercent,
      amountExcl: 0,
      tax: 0,
    };
    if (!existing) {
      const seq = num(body, 'sequence');
      l.sequence = seq ?? d.nextSequence;
      d.nextSequence = Math.max(d.nextSequence, l.sequence) + 10000;
    }
    if (lineType !== undefined) l.lineType = lineType;
    const obj = str(body, 'lineObjectNumber', 20);
    if (obj !== undefined) l.lineObjectNumber = obj;
    const desc = str(body, 'description', 100);
    if (desc !== undefined) l.description = desc;
    const tc = str(body, 'taxCode', 20);
    if (tc !== undefined) l.taxCode = tc;
    if (quantity !== undefined) l.quantity = quantity;
    if (unitPrice !== undefined)
      l.unitPrice = Number(unitPrice.toFixed(Math.max(5, decimalsOf(cur))));
    if (discountPercent !== undefined) l.discountPercent = discountPercent;
    if (taxPercent !== undefined) l.taxPercent = taxPercent;
    this.#computeLine(c, d, l);
    if (!existing) d.lines.push(l);
    d.lines.sort((a, b) => a.sequence - b.sequence);
    l.rowVersion = ++this.state.rowVersion;
    l.lastModified = this.#now();
    if (touch) this.#touch(c, d, d.kind, 'updated');
    return l;
  }

  deleteLine(c: CompanyState, d: SalesDoc, l: Line): void {
    this.#draft(d);
    this.keep(d);
    d.lines = d.lines.filter((x) => x.id !== l.id);
    this.#touch(c, d, d.kind, 'updated');
  }

  deleteDoc(c: CompanyState, d: SalesDoc): void {
    this.#draft(d);
    this.keep(d);
    this.drop(c[d.kind], d.id);
    this.#touch(c, d, d.kind, 'deleted');
  }

  /** The posting-date check BC makes against closed/locked accounting periods. */
  #checkPostingDate(c: CompanyState, postingDate: string, what: string) {
    const periods = Object.values(c.periods).sort((a, b) =>
      a.startingDate.localeCompare(b.startingDate),
    );
    const period = periods.filter((p) => p.startingDate <= postingDate).at(-1);
    if (!period || postingDate >= addDays(periods.at(-1)!.startingDate, 31)) {
      throw dialog(
        `${what}: Posting Date ${postingDate} is not within an open accounting period. Create the accounting period first.`,
      );
    }
    if (period.closed || period.dateLocked) {
      throw dialog(
        `${what}: Posting Date ${postingDate} is not within your range of allowed posting dates. The accounting period starting ${period.startingDate} is closed.`,
      );
    }
  }

  postDoc(c: CompanyState, d: SalesDoc): void {
    const label = d.kind === 'salesInvoices' ? 'Sales Invoice' : 'Sales Credit Memo';
    if (d.status !== 'Draft')
      throw dialog(`The ${label.toLowerCase()} ${d.number} has already been posted.`);
    if (!d.customerId)
      throw dialog(
        `Sell-to Customer No. must have a value in Sales Header: Document Type=${label.split(' ')[1]}, No.=${d.number}. It cannot be zero or empty.`,
      );
    const customer = c.customers[d.customerId];
    if (!customer)
      throw dialog(
        `The Customer does not exist. Identification fields and values: No.='${d.customerNumber}'`,
      );
    if (customer.blocked === 'All' || customer.blocked === 'Invoice') {
      throw dialog(
        `You cannot post this type of document when Customer ${customer.number} is blocked with type ${customer.blocked}`,
      );
    }
    if (!d.lines.some((l) => l.lineType !== 'Comment' && l.quantity !== 0))
      throw dialog('There is nothing to post.');
    const postingDate = d.postingDate || d.documentDate;
    this.#checkPostingDate(c, postingDate, `${label} ${d.number}`);
    const t = this.totals(d);
    if (t.incl < 0)
      throw dialog(`The total amount for the ${label.toLowerCase()} must be 0 or greater.`);
    let inv: SalesDoc | undefined;
    if (d.kind === 'salesCreditMemos' && d.invoiceId) {
      inv = c.salesInvoices[d.invoiceId];
      if (!inv || inv.status !== 'Open')
        throw dialog(
          `The invoice ${inv?.number ?? d.invoiceId} is not open; the credit memo cannot be applied to it.`,
        );
      if (inv.customerId !== d.customerId)
        throw dialog('The credit memo and the invoice it applies to have different customers.');
      if (inv.currency !== d.currency)
        throw dialog('The credit memo and the invoice it applies to have different currencies.');
    }
    this.keep(d);
    if (inv) this.keep(inv);
    d.postingDate = postingDate;
    const n = this.#next(c, `posted-${d.kind}`);
    d.number = d.kind === 'salesInvoices' ? `PS-INV${103000 + n}` : `PS-CR${104000 + n}`;
    d.remaining = t.incl;
    d.status = t.incl === 0 ? 'Paid' : 'Open';
    d.postedAt = this.#now();
    if (inv) {
      const applied = Math.min(inv.remaining, d.remaining);
      inv.remaining -= applied;
      d.remaining -= applied;
      if (inv.remaining === 0) inv.status = 'Paid';
      if (d.remaining === 0) d.status = 'Paid';
      this.#touch(c, inv, 'salesInvoices', 'updated');
    }
    this.#touch(c, d, d.kind, 'updated');
  }

  /** Admin: edits a document as a user in the BC client would (no etag, posted or not). */
  editDirect(c: CompanyState, kind: DocKind, d: SalesDoc, body: Body): SalesDoc {
    this.keep(d);
    const cur = this.code(c, d.currency);
    if (typeof body.externalDocumentNumber === 'string')
      d.externalDocumentNumber = body.externalDocumentNumber;
    if (typeof body.dueDate === 'string') d.dueDate = body.dueDate;
    if (typeof body.postingDate === 'string') d.postingDate = body.postingDate;
    if (
      body.status === 'Draft' ||
      body.status === 'Open' ||
      body.status === 'Paid' ||
      body.status === 'Canceled'
    )
      d.status = body.status;
    if (typeof body.remainingAmount === 'number') d.remaining = toMinor(body.remainingAmount, cur);
    if (Array.isArray(body.lines)) {
      for (const [i, patch] of (body.lines as Body[]).entries()) {
        const l = d.lines[i];
        if (!l) break;
        if (typeof patch.quantity === 'number') l.quantity = patch.quantity;
        if (typeof patch.unitPrice === 'number') l.unitPrice = patch.unitPrice;
        if (typeof patch.description === 'string') l.description = patch.description;
        if (typeof patch.taxPercent === 'number') l.taxPercent = patch.taxPercent;
        this.#computeLine(c, d, l);
        l.rowVersion = ++this.state.rowVersion;
      }
    }
    this.#touch(c, d, kind, 'updated');
    return d;
  }

  // ---- payment journals --------------------------------------------------------------

  journal(c: CompanyState, id: string): Journal {
    const j = c.journals[id.toLowerCase()];
    if (!j) throw notFound(`customerPaymentJournal ${id}`);
    return j;
  }

  journalJson(j: Journal) {
    return {
      '@odata.etag': etagOf(j),
      id: j.id,
      code: j.code,
      displayName: j.displayName,
      lastModifiedDateTime: iso(j.lastModified),
      balancingAccountId: '00000000-0000-0000-0000-000000000000',
      balancingAccountNumber: '',
    };
  }

  writeJournal(c: CompanyState, body: Body, existing?: Journal): Journal {
    if (existing) this.keep(existing);
    const code = str(body, 'code', 10);
    if (!existing && !code)
      throw dialog('Name must have a value in Gen. Journal Batch. It cannot be zero or empty.');
    if (
      code &&
      Object.values(c.journals).some((j) => j.code === code.toUpperCase() && j.id !== existing?.id)
    ) {
      throw dialog(
        `The record in table Gen. Journal Batch already exists. Identification fields and values: Journal Template Name='CASHRCPT',Name='${code}'`,
      );
    }
    const j: Journal = existing ?? { ...this.#new(), code: '', displayName: '' };
    if (code) j.code = code.toUpperCase();
    const dn = str(body, 'displayName', 100);
    if (dn !== undefined) j.displayName = dn;
    this.put(c.journals, j.id, j);
    this.#touch(c, j, 'customerPaymentJournals', existing ? 'updated' : 'created');
    return j;
  }

  payment(c: CompanyState, j: Journal, id: string): Payment {
    const p = c.payments[id.toLowerCase()];
    if (!p || p.journalId !== j.id) throw notFound(`customerPayment ${id}`);
    return p;
  }

  paymentsOf(c: CompanyState, j: Journal): Payment[] {
    return Object.values(c.payments)
      .filter((p) => p.journalId === j.id)
      .sort((a, b) => a.lineNumber - b.lineNumber);
  }

  paymentJson(c: CompanyState, j: Journal, p: Payment) {
    const cur = p.currency === '' ? c.lcy : p.currency;
    return {
      '@odata.etag': etagOf(p),
      id: p.id,
      journalId: j.id,
      journalDisplayName: j.code,
      lineNumber: p.lineNumber,
      customerId: p.customerId || '00000000-0000-0000-0000-000000000000',
      customerNumber: p.customerNumber,
      contactId: '',
      postingDate: p.postingDate,
      documentNumber: p.documentNumber,
      externalDocumentNumber: p.externalDocumentNumber,
      amount: fromMinor(p.amount, cur),
      appliesToInvoiceId: p.appliesToInvoiceId || '00000000-0000-0000-0000-000000000000',
      appliesToInvoiceNumber: p.appliesToInvoiceNumber,
      description: p.description,
      comment: p.comment,
      lastModifiedDateTime: iso(p.lastModified),
    };
  }

  writePayment(c: CompanyState, j: Journal, body: Body, existing?: Payment): Payment {
    if (existing) this.keep(existing);
    const customer = this.#customerBy(
      c,
      str(body, 'customerId', 36) || undefined,
      str(body, 'customerNumber', 20) || undefined,
    );
    const iid = str(body, 'appliesToInvoiceId', 36);
    const inum = str(body, 'appliesToInvoiceNumber', 20);
    let inv: SalesDoc | undefined;
    if (iid && iid !== '00000000-0000-0000-0000-000000000000') {
      inv = c.salesInvoices[iid.toLowerCase()];
      if (!inv || inv.status === 'Draft')
        throw dialog(`The posted sales invoice ${iid} does not exist.`);
    } else if (inum) {
      inv = Object.values(c.salesInvoices).find((i) => i.number === inum && i.status !== 'Draft');
      if (!inv) throw dialog(`The posted sales invoice ${inum} does not exist.`);
    }
    const postingDate = date(body, 'postingDate');
    const amount = num(body, 'amount');
    const p: Payment = existing ?? {
      ...this.#new(),
      journalId: j.id,
      lineNumber: 0,
      customerId: '',
      customerNumber: '',
      postingDate: day(this.#now()),
      documentNumber: '',
      externalDocumentNumber: '',
      amount: 0,
      currency: '',
      appliesToInvoiceId: '',
      appliesToInvoiceNumber: '',
      description: '',
      comment: '',
      dimensions: {},
    };
    if (!existing) {
      const ln = num(body, 'lineNumber');
      const max = Math.max(0, ...this.paymentsOf(c, j).map((x) => x.lineNumber));
      if (ln !== undefined && this.paymentsOf(c, j).some((x) => x.lineNumber === ln)) {
        throw dialog(
          `The record in table Gen. Journal Line already exists. Identification fields and values: Journal Template Name='CASHRCPT',Journal Batch Name='${j.code}',Line No.='${ln}'`,
        );
      }
      p.lineNumber = ln ?? max + 10000;
      p.documentNumber = `G${String(this.#next(c, 'payment')).padStart(5, '0')}`;
    }
    if (customer) {
      p.customerId = customer.id;
      p.customerNumber = customer.number;
      if (!inv && !p.appliesToInvoiceId) p.currency = customer.currency;
      if (!existing || body.description === undefined)
        p.description = p.description || customer.displayName;
    }
    if (inv) {
      if (p.customerId && inv.customerId !== p.customerId) {
        throw dialog(
          `The invoice ${inv.number} belongs to another customer (${inv.customerNumber}).`,
        );
      }
      const ic = c.customers[inv.customerId];
      if (!p.customerId && ic) {
        p.customerId = ic.id;
        p.customerNumber = ic.number;
        p.description = p.description || ic.displayName;
      }
      p.appliesToInvoiceId = inv.id;
      p.appliesToInvoiceNumber = inv.number;
      p.currency = inv.currency;
    } else if (
      (iid !== undefined && (iid === '' || iid === '00000000-0000-0000-0000-000000000000')) ||
      inum === ''
    ) {
      p.appliesToInvoiceId = '';
      p.appliesToInvoiceNumber = '';
    }
    const cur = p.currency === '' ? c.lcy : p.currency;
    if (amount !== undefined) p.amount = toMinor(amount, cur);
    if (postingDate !== undefined) p.postingDate = postingDate || day(this.#now());
    for (const f of [
      'documentNumber',
      'externalDocumentNumber',
      'description',
      'comment',
    ] as const) {
      const v = str(body, f, f === 'comment' ? 250 : f === 'description' ? 100 : 35);
      if (v !== undefined) p[f] = v;
    }
    this.put(c.payments, p.id, p);
    this.#touch(
      c,
      p,
      `customerPaymentJournals(${j.id})/customerPayments`,
      existing ? 'updated' : 'created',
    );
    return p;
  }

  deletePayment(c: CompanyState, j: Journal, p: Payment): void {
    this.keep(p);
    this.drop(c.payments, p.id);
    this.#touch(c, p, `customerPaymentJournals(${j.id})/customerPayments`, 'deleted');
  }

  /** Posts every line of the journal, all or nothing; applied invoices' remaining amounts drop. */
  postJournal(c: CompanyState, j: Journal): PostedPayment[] {
    const lines = this.paymentsOf(c, j);
    if (lines.length === 0) throw dialog('There is nothing to post.');
    const pending = new Map<string, number>();
    for (const p of lines) {
      const what = `Gen. Journal Line: Journal Template Name=CASHRCPT, Journal Batch Name=${j.code}, Line No.=${p.lineNumber}`;
      if (!p.customerId)
        throw dialog(`Account No. must have a value in ${what}. It cannot be zero or empty.`);
      if (p.amount === 0)
        throw dialog(`Amount must have a value in ${what}. It cannot be zero or empty.`);
      this.#checkPostingDate(c, p.postingDate, what);
      if (p.appliesToInvoiceId) {
        const inv = c.salesInvoices[p.appliesToInvoiceId];
        if (!inv || inv.status !== 'Open')
          throw dialog(
            `${what}: the invoice ${p.appliesToInvoiceNumber} is not open for application.`,
          );
        if (p.amount > 0) throw dialog(`Amount must be negative in ${what}.`);
        pending.set(
          inv.id,
          (pending.get(inv.id) ?? inv.remaining) -
            Math.min(-p.amount, pending.get(inv.id) ?? inv.remaining),
        );
      }
    }
    const posted: PostedPayment[] = [];
    for (const p of lines) {
      this.keep(p);
      if (p.appliesToInvoiceId) this.keep(c.salesInvoices[p.appliesToInvoiceId]!);
      let applied = 0;
      if (p.appliesToInvoiceId) {
        const inv = c.salesInvoices[p.appliesToInvoiceId]!;
        applied = Math.min(-p.amount, inv.remaining);
        inv.remaining -= applied;
        if (inv.remaining === 0) inv.status = 'Paid';
        this.#touch(c, inv, 'salesInvoices', 'updated');
      }
      const cur = p.currency === '' ? c.lcy : p.currency;
      const entry: PostedPayment = {
        id: p.id,
        entryNumber: this.#next(c, 'cle'),
        journalCode: j.code,
        customerId: p.customerId,
        customerNumber: p.customerNumber,
        postingDate: p.postingDate,
        documentNumber: p.documentNumber,
        externalDocumentNumber: p.externalDocumentNumber,
        amount: fromMinor(p.amount, cur),
        currencyCode: cur,
        appliesToInvoiceId: p.appliesToInvoiceId,
        appliedAmount: fromMinor(applied, cur),
        description: p.description,
        postedAt: this.#now(),
      };
      c.postedPayments.push(entry);
      posted.push(entry);
      this.drop(c.payments, p.id);
      this.#touch(c, p, `customerPaymentJournals(${j.id})/customerPayments`, 'deleted');
    }
    return posted;
  }

  // ---- dimensions, periods -----------------------------------------------------------

  dimensionJson(d: Dimension) {
    return {
      '@odata.etag': etagOf(d),
      id: d.id,
      code: d.code,
      displayName: d.displayName,
      lastModifiedDateTime: iso(d.lastModified),
    };
  }
  dimensionValueJson(d: Dimension, v: Dimension['values'][number]) {
    return {
      '@odata.etag': etagOf(v),
      id: v.id,
      code: v.code,
      dimensionId: d.id,
      displayName: v.displayName,
      lastModifiedDateTime: iso(v.lastModified),
    };
  }
  dimensionSetLines(
    c: CompanyState,
    parentId: string,
    parentType: string,
    dims: Record<string, string>,
  ) {
    return Object.entries(dims).flatMap(([dimId, valueId]) => {
      const d = c.dimensions[dimId];
      const v = d?.values.find((x) => x.id === valueId);
      if (!d || !v) return [];
      return [
        {
          '@odata.etag': etagOf({
            id: `${parentId}:${dimId}`,
            rowVersion: v.rowVersion,
            lastModified: 0,
          }),
          id: d.id,
          code: d.code,
          parentId,
          parentType,
          displayName: d.displayName,
          valueId: v.id,
          valueCode: v.code,
          valueDisplayName: v.displayName,
        },
      ];
    });
  }
  /** Sets one dimension value on a document or journal line (`dimensionSetLines` POST/PATCH). */
  setDimension(c: CompanyState, dims: Record<string, string>, body: Body, dimId?: string): string {
    const d = dimId
      ? c.dimensions[dimId.toLowerCase()]
      : Object.values(c.dimensions).find(
          (x) => x.id === String(body.id ?? '').toLowerCase() || x.code === body.code,
        );
    if (!d)
      throw dialog(
        `The Dimension does not exist. Identification fields and values: Code='${String(body.code ?? body.id ?? dimId)}'`,
      );
    const v = d.values.find(
      (x) => x.id === String(body.valueId ?? '').toLowerCase() || x.code === body.valueCode,
    );
    if (!v)
      throw dialog(
        `The Dimension Value does not exist. Identification fields and values: Dimension Code='${d.code}',Code='${String(body.valueCode ?? body.valueId)}'`,
      );
    dims[d.id] = v.id;
    return d.id;
  }
  addDimensionValue(c: CompanyState, d: Dimension, body: Body) {
    this.keep(d);
    const code = str(body, 'code', 20);
    if (!code) throw dialog('Code must have a value in Dimension Value.');
    if (d.values.some((v) => v.code === code.toUpperCase()))
      throw dialog(
        `The record in table Dimension Value already exists. Identification fields and values: Dimension Code='${d.code}',Code='${code}'`,
      );
    const v = {
      ...this.#new(),
      code: code.toUpperCase(),
      displayName: str(body, 'displayName') ?? code,
    };
    d.values.push(v);
    this.#touch(c, d, 'dimensions', 'updated');
    return v;
  }

  companyInformationJson(c: CompanyState) {
    const fiscal = Object.values(c.periods)
      .filter((p) => p.newFiscalYear && p.startingDate <= day(this.#now()))
      .sort((a, b) => a.startingDate.localeCompare(b.startingDate))
      .at(-1);
    return {
      '@odata.etag': etagOf({ id: c.id, rowVersion: 1, lastModified: 0 }),
      id: c.id,
      displayName: c.displayName,
      addressLine1: '',
      addressLine2: '',
      city: '',
      state: '',
      country: c.country,
      postalCode: '',
      phoneNumber: '',
      faxNumber: '',
      email: '',
      website: '',
      taxRegistrationNumber: '',
      currencyCode: c.lcy,
      currentFiscalYearStartDate: fiscal?.startingDate ?? BLANK_DATE,
      industry: '',
      lastModifiedDateTime: iso(c.lastModified),
    };
  }

  currenciesJson(c: CompanyState) {
    return c.currencies.map((code) => ({
      '@odata.etag': etagOf({ id: code, rowVersion: 1, lastModified: 0 }),
      id: guidFrom(`currency:${code}`),
      code,
      displayName: code,
      symbol: '',
      amountDecimalPlaces: `${decimalsOf(code)}:${decimalsOf(code)}`,
      amountRoundingPrecision: 10 ** -decimalsOf(code),
      lastModifiedDateTime: iso(0),
    }));
  }

  periodJson(p: Period) {
    return {
      '@odata.etag': etagOf(p),
      id: p.id,
      startingDate: p.startingDate,
      name: p.name,
      newFiscalYear: p.newFiscalYear,
      closed: p.closed,
      dateLocked: p.dateLocked,
      lastModifiedDateTime: iso(p.lastModified),
    };
  }
  /** Admin: closes (or reopens) the period holding `date`. */
  lockPeriod(c: CompanyState, date: string, locked: boolean): Period {
    const period = Object.values(c.periods)
      .filter((p) => p.startingDate <= date)
      .sort((a, b) => a.startingDate.localeCompare(b.startingDate))
      .at(-1);
    if (!period) throw badRequest(`no accounting period holds ${date}`);
    this.keep(period);
    period.closed = locked;
    period.dateLocked = locked;
    this.#touch(c, period, 'accountingPeriods', 'updated');
    return period;
  }
}
