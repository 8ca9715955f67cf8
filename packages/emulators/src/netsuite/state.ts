import { seedAccounts, seedCurrencies, seedSubsidiaries } from './reference-data.ts';

/** A JSON value as found in request bodies and custom fields. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object. */
export type JsonObject = { [key: string]: Json };

/** Every record type the emulator serves under `/services/rest/record/v1/`. */
export type RecordTypeName =
  | 'customer'
  | 'invoice'
  | 'creditmemo'
  | 'customerpayment'
  | 'journalentry'
  | 'deposit'
  | 'noninventorysaleitem'
  | 'serviceitem'
  | 'subsidiary'
  | 'currency'
  | 'account';

/** What every stored record carries. Times are emulator-clock epoch ms, whole seconds. */
export interface RecordBase {
  id: string;
  externalId?: string;
  createdMs: number;
  lastModifiedMs: number;
  /** `custentity_…`, `custbody_…`, `custitem_…` fields, stored as sent. */
  custom: JsonObject;
}

export interface Customer extends RecordBase {
  type: 'customer';
  entityId: string;
  isPerson: boolean;
  companyName?: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  phone?: string;
  comments?: string;
  subsidiary: string;
  currency: string;
  isInactive: boolean;
}

interface ItemFields extends RecordBase {
  itemId: string;
  displayName?: string;
  salesDescription?: string;
  incomeAccount?: string;
  isInactive: boolean;
}

export interface NonInventorySaleItem extends ItemFields {
  type: 'noninventorysaleitem';
}

export interface ServiceItem extends ItemFields {
  type: 'serviceitem';
}

/** An item invoice lines can sell. */
export type Item = NonInventorySaleItem | ServiceItem;

/** One line of an invoice's or credit memo's `item` sublist. Money in minor units. */
export interface ItemLine {
  line: number;
  item: string;
  /** Exact decimal text. */
  quantity: string;
  /** Exact decimal text (unit price; may carry more decimals than the currency). */
  rate?: string;
  amount: number;
  description?: string;
  /** `YYYY-MM-DD`. */
  revRecStartDate?: string;
  revRecEndDate?: string;
  custom: JsonObject;
}

/** Part of a payment or credit memo applied to an invoice. */
export interface Application {
  doc: string;
  amount: number;
}

interface TransactionBase extends RecordBase {
  tranId: string;
  /** `YYYY-MM-DD`. */
  tranDate: string;
  subsidiary: string;
  currency: string;
  memo?: string;
}

export interface Invoice extends TransactionBase {
  type: 'invoice';
  entity: string;
  dueDate?: string;
  lines: ItemLine[];
  subtotal: number;
  taxTotal: number;
  total: number;
}

export interface CreditMemo extends TransactionBase {
  type: 'creditmemo';
  entity: string;
  createdFrom?: string;
  lines: ItemLine[];
  subtotal: number;
  taxTotal: number;
  total: number;
  apply: Application[];
}

export interface CustomerPayment extends TransactionBase {
  type: 'customerpayment';
  customer: string;
  payment: number;
  apply: Application[];
}

export interface JournalLine {
  line: number;
  account: string;
  debit: number;
  credit: number;
  memo?: string;
  entity?: string;
}

export interface JournalEntry extends TransactionBase {
  type: 'journalentry';
  lines: JournalLine[];
}

/** A customer payment taken into a deposit (`payment` sublist, `deposit: true`). */
export interface DepositPaymentLine {
  line: number;
  /** The customer payment's internal id. */
  doc: string;
  amount: number;
  memo?: string;
}

/** An `other` deposit line: money from somewhere else (signed), booked to an account. */
export interface DepositOtherLine {
  line: number;
  account: string;
  amount: number;
  entity?: string;
  memo?: string;
  refNum?: string;
}

/** A `cashBack` line: money kept back from the deposit (bank fees), booked to an account. */
export interface DepositCashBackLine {
  line: number;
  account: string;
  amount: number;
  memo?: string;
}

/** A bank deposit: payments and other money in, cash back out; `total` their net. */
export interface Deposit extends TransactionBase {
  type: 'deposit';
  /** The bank account deposited to. */
  account: string;
  payments: DepositPaymentLine[];
  other: DepositOtherLine[];
  cashBack: DepositCashBackLine[];
  total: number;
}

export interface Subsidiary extends RecordBase {
  type: 'subsidiary';
  name: string;
  legalName: string;
  currency: string;
  country: string;
  parent?: string;
  isInactive: boolean;
}

export interface Currency extends RecordBase {
  type: 'currency';
  name: string;
  /** The ISO 4217 code. */
  symbol: string;
  displaySymbol: string;
  currencyPrecision: number;
  isBaseCurrency: boolean;
  /** Exact decimal text, against USD. */
  exchangeRate: string;
  isInactive: boolean;
}

export interface Account extends RecordBase {
  type: 'account';
  acctNumber: string;
  acctName: string;
  acctType: string;
  isInactive: boolean;
}

/** Any stored record. */
export type NsRecord =
  | Customer
  | Item
  | Invoice
  | CreditMemo
  | CustomerPayment
  | JournalEntry
  | Deposit
  | Subsidiary
  | Currency
  | Account;

/** A transaction record. */
export type Transaction = Invoice | CreditMemo | CustomerPayment | JournalEntry | Deposit;

/** A record of type `T`. */
export type RecordOf<T extends RecordTypeName> = Extract<NsRecord, { type: T }>;

/** Record types that share one internal-id sequence (as in NetSuite). */
const ID_SPACE: Record<RecordTypeName, 'entity' | 'transaction' | 'item' | 'list'> = {
  customer: 'entity',
  invoice: 'transaction',
  creditmemo: 'transaction',
  customerpayment: 'transaction',
  journalentry: 'transaction',
  deposit: 'transaction',
  noninventorysaleitem: 'item',
  serviceitem: 'item',
  subsidiary: 'list',
  currency: 'list',
  account: 'list',
};

const FIRST_ID = { entity: 101, transaction: 1001, item: 201, list: 1 } as const;

const TRAN_ID_PREFIX: Partial<Record<RecordTypeName, string>> = {
  invoice: 'INV',
  creditmemo: 'CM',
  customerpayment: 'PYMT',
  journalentry: 'JE',
  deposit: 'DEP',
};

/** An asynchronous (`Prefer: respond-async`) request and its outcome. */
export interface AsyncJob {
  id: string;
  idempotencyKey?: string;
  method: string;
  path: string;
  submittedMs: number;
  completedMs: number;
  /** The response the request would have had synchronously. */
  result: { status: number; headers: Record<string, string>; body?: unknown };
}

/** The emulator's whole in-memory state. */
export interface NetsuiteState {
  get<T extends RecordTypeName>(type: T, id: string): RecordOf<T> | undefined;
  /** Records of a type in internal-id order. */
  list<T extends RecordTypeName>(type: T): RecordOf<T>[];
  /** Internal id for an external id, if any. */
  idForExternalId(type: RecordTypeName, externalId: string): string | undefined;
  /** Stores a new or changed record, keeping the external-id and application indexes. */
  put(record: NsRecord): void;
  remove(type: RecordTypeName, id: string): void;
  /** The internal id the next new record of `type` will get. */
  peekId(type: RecordTypeName): string;
  /** Takes that id. */
  nextId(type: RecordTypeName): string;
  nextTranId(type: RecordTypeName): string;
  /** What has been applied to an invoice: source transaction id → minor units. */
  applicationsTo(invoiceId: string): ReadonlyMap<string, number>;
  /** Transactions whose `entity`/`customer` is this customer. */
  hasTransactionsFor(customerId: string): boolean;
  readonly jobs: Map<string, AsyncJob>;
  readonly idempotencyKeys: Map<string, string>;
  /**
   * Every record written through the REST record routes, by `type:id`: when the emulator first
   * received it (wall-clock ms, unlike the record's clock times) and how many writes it got.
   */
  readonly receipts: Map<string, RecordReceipt>;
  /**
   * The last accounting period (`YYYY-MM`) locked for Accounts Receivable: customer
   * transactions dated in it or before are refused. Undefined: every period is open.
   */
  arLockedThrough: string | undefined;
  nextJobId(): string;
  /** Empties everything and recreates the seed data. */
  reset(nowMs: number): void;
  dump(): Record<string, unknown>;
}

function customerOf(record: NsRecord): string | undefined {
  if (record.type === 'invoice' || record.type === 'creditmemo') return record.entity;
  if (record.type === 'customerpayment') return record.customer;
  return undefined;
}

function applicationsOf(record: NsRecord | undefined): Application[] {
  return record?.type === 'customerpayment' || record?.type === 'creditmemo' ? record.apply : [];
}

/** When a record first reached the emulator, for load measurements (`GET /_emulator/receipts`). */
export interface RecordReceipt {
  type: RecordTypeName;
  id: string;
  externalId?: string;
  /** Wall-clock epoch ms (`Date.now()`) of the write that created the record. */
  receivedAtMs: number;
  /** Writes (create, upserts, updates) the record received, the first included. */
  writes: number;
}

/** Creates the state, seeded with subsidiaries, currencies and accounts. */
export function createNetsuiteState(nowMs: number): NetsuiteState {
  let records = new Map<RecordTypeName, Map<string, NsRecord>>();
  let externalIds = new Map<RecordTypeName, Map<string, string>>();
  let applied = new Map<string, Map<string, number>>();
  let customerTransactions = new Map<string, number>();
  let counters = { ...FIRST_ID };
  let tranCounters = new Map<RecordTypeName, number>();
  let jobCounter = 0;
  const jobs = new Map<string, AsyncJob>();
  const idempotencyKeys = new Map<string, string>();
  const receipts = new Map<string, RecordReceipt>();

  const table = (type: RecordTypeName): Map<string, NsRecord> => {
    let t = records.get(type);
    if (!t) records.set(type, (t = new Map()));
    return t;
  };
  const eids = (type: RecordTypeName): Map<string, string> => {
    let t = externalIds.get(type);
    if (!t) externalIds.set(type, (t = new Map()));
    return t;
  };

  const unindex = (old: NsRecord): void => {
    if (old.externalId !== undefined) eids(old.type).delete(old.externalId);
    for (const a of applicationsOf(old)) applied.get(a.doc)?.delete(old.id);
    const customer = customerOf(old);
    if (customer !== undefined) {
      customerTransactions.set(customer, (customerTransactions.get(customer) ?? 1) - 1);
    }
  };
  const index = (record: NsRecord): void => {
    if (record.externalId !== undefined) eids(record.type).set(record.externalId, record.id);
    for (const a of applicationsOf(record)) {
      let m = applied.get(a.doc);
      if (!m) applied.set(a.doc, (m = new Map()));
      m.set(record.id, (m.get(record.id) ?? 0) + a.amount);
    }
    const customer = customerOf(record);
    if (customer !== undefined) {
      customerTransactions.set(customer, (customerTransactions.get(customer) ?? 0) + 1);
    }
  };

  const state: NetsuiteState = {
    get: (type, id) => table(type).get(id) as RecordOf<typeof type> | undefined,
    list: (type) => [...table(type).values()] as RecordOf<typeof type>[],
    idForExternalId: (type, externalId) => eids(type).get(externalId),
    put(record) {
      const t = table(record.type);
      const old = t.get(record.id);
      if (old) unindex(old);
      t.set(record.id, record);
      index(record);
    },
    remove(type, id) {
      const old = table(type).get(id);
      if (!old) return;
      unindex(old);
      table(type).delete(id);
    },
    peekId: (type) => String(counters[ID_SPACE[type]]),
    nextId(type) {
      const space = ID_SPACE[type];
      const id = counters[space];
      counters = { ...counters, [space]: id + 1 };
      return String(id);
    },
    nextTranId(type) {
      const n = (tranCounters.get(type) ?? 0) + 1;
      tranCounters.set(type, n);
      return `${TRAN_ID_PREFIX[type] ?? 'TRN'}${String(n).padStart(4, '0')}`;
    },
    applicationsTo: (invoiceId) => applied.get(invoiceId) ?? new Map(),
    hasTransactionsFor: (customerId) => (customerTransactions.get(customerId) ?? 0) > 0,
    jobs,
    idempotencyKeys,
    receipts,
    nextJobId: () => String(++jobCounter),
    arLockedThrough: undefined,
    reset(now) {
      state.arLockedThrough = undefined;
      records = new Map();
      externalIds = new Map();
      applied = new Map();
      customerTransactions = new Map();
      counters = { ...FIRST_ID };
      tranCounters = new Map();
      jobCounter = 0;
      jobs.clear();
      idempotencyKeys.clear();
      receipts.clear();
      for (const r of [...seedCurrencies(now), ...seedSubsidiaries(now), ...seedAccounts(now)]) {
        state.put(r);
      }
    },
    dump() {
      const out: Record<string, unknown> = {};
      for (const [type, t] of records) out[type] = [...t.values()];
      out['asyncJobs'] = [...jobs.values()];
      return out;
    },
  };
  state.reset(nowMs);
  return state;
}
