/**
 * The companies (realms) of the QuickBooks emulator and the rules their entities keep: what a
 * create or a sparse/full update checks (references, currency, closing date, duplicate names and
 * document numbers, `SyncToken`), and what QuickBooks computes (line ids, `TotalAmt`, `Balance`,
 * `HomeTotalAmt`, linked transactions).
 */
import {
  accountPeriodClosed,
  businessRule,
  duplicateDocNumber,
  duplicateName,
  invalidReference,
  invalidValue,
  objectNotFound,
  qboTime,
  requiredParam,
  staleObject,
  stringLength,
} from './errors.ts';
import { convertMinor, CURRENCY_DECIMALS, CURRENCY_NAMES, fromMinor, toMinor } from './money.ts';

/** The entities the emulator stores. The first five are written through the API. */
export const ENTITIES = [
  'Customer',
  'Invoice',
  'CreditMemo',
  'Payment',
  'RefundReceipt',
  'Item',
  'Account',
  'TaxCode',
] as const;
export type EntityName = (typeof ENTITIES)[number];
const WRITABLE: ReadonlySet<EntityName> = new Set([
  'Customer',
  'Invoice',
  'CreditMemo',
  'Payment',
  'RefundReceipt',
]);
const TRANSACTIONS: ReadonlySet<EntityName> = new Set([
  'Invoice',
  'CreditMemo',
  'Payment',
  'RefundReceipt',
]);

/** A stored QuickBooks object, exactly as the API answers it. */
export type QboRecord = Record<string, unknown> & {
  Id: string;
  SyncToken: string;
  MetaData: { CreateTime: string; LastUpdatedTime: string };
};

/** A change to one object, for CDC and webhooks. */
export interface Change {
  entity: EntityName;
  id: string;
  operation: 'Create' | 'Update';
  /** Clock ms of the change. */
  at: number;
}

/** How a closed period treats postings (QuickBooks' "Close the books" settings). */
export interface BookClose {
  /** ISO date: the books are closed through this day. */
  date: string;
  /**
   * With a closing-date password QuickBooks refuses API postings dated on or before `date`
   * (the API has no way to give the password); without one it only warns, and accepts them.
   */
  password?: string;
}

/** One company. */
export interface Realm {
  realmId: string;
  companyName: string;
  homeCurrency: string;
  multiCurrencyEnabled: boolean;
  /** First month of the fiscal year (January is 1). */
  fiscalYearStartMonth: number;
  bookClose?: BookClose;
  /** Units of home currency per unit of foreign currency, as decimal strings. */
  exchangeRates: Map<string, string>;
  records: Map<EntityName, Map<string, QboRecord>>;
  /** Clock ms of each object's last change (`Entity:Id`), and a sequence to order ties. */
  stamps: Map<string, { at: number; seq: number }>;
  nextId: number;
  nextDocNumber: number;
}

/** A realm to create at start-up or on reset. */
export interface RealmSeed {
  realmId: string;
  companyName?: string;
  homeCurrency?: string;
  multiCurrencyEnabled?: boolean;
  exchangeRates?: Record<string, string>;
}

const DEFAULT_RATES_TO_USD: Record<string, string> = {
  USD: '1',
  CAD: '0.73',
  GBP: '1.27',
  EUR: '1.08',
  AUD: '0.66',
  CHF: '1.13',
  SEK: '0.095',
  JPY: '0.0067',
  KRW: '0.00075',
  BHD: '2.65',
  KWD: '3.25',
};

/** `to`-per-`from` rate derived from the USD table, as a decimal string (8 places). */
function crossRate(from: string, home: string): string {
  if (from === home) return '1';
  const a = Number(DEFAULT_RATES_TO_USD[from] ?? '1');
  const b = Number(DEFAULT_RATES_TO_USD[home] ?? '1');
  return (a / b).toFixed(8).replace(/0+$/, '').replace(/\.$/, '');
}

type Body = Record<string, unknown>;

const isObject = (v: unknown): v is Body =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const refValue = (v: unknown): string | undefined =>
  isObject(v) && (typeof v.value === 'string' || typeof v.value === 'number')
    ? String(v.value)
    : undefined;

/** Today in the realms' time zone (-08:00), as QuickBooks dates a transaction without `TxnDate`. */
export function localDate(ms: number): string {
  return qboTime(ms).slice(0, 10);
}

/**
 * The emulator's books: every realm, the change log, and the write rules. `now` is the
 * emulator clock; `onChange` hears every create and update (CDC, webhooks).
 */
export class Books {
  readonly realms = new Map<string, Realm>();
  readonly #now: () => number;
  readonly #onChange: (realmId: string, change: Change) => void;
  #seq = 0;

  constructor(
    seeds: readonly RealmSeed[],
    now: () => number,
    onChange: (realmId: string, change: Change) => void = () => {},
  ) {
    this.#now = now;
    this.#onChange = onChange;
    for (const seed of seeds) this.addRealm(seed);
  }

  /** Creates a realm with QuickBooks' default reference data (items, accounts, tax codes). */
  addRealm(seed: RealmSeed): Realm {
    const home = seed.homeCurrency ?? 'USD';
    const rates = new Map<string, string>();
    for (const code of Object.keys(CURRENCY_DECIMALS)) rates.set(code, crossRate(code, home));
    for (const [code, rate] of Object.entries(seed.exchangeRates ?? {})) rates.set(code, rate);
    const realm: Realm = {
      realmId: seed.realmId,
      companyName: seed.companyName ?? `Sandbox Company ${seed.realmId.slice(-4)}`,
      homeCurrency: home,
      multiCurrencyEnabled: seed.multiCurrencyEnabled ?? true,
      fiscalYearStartMonth: 1,
      exchangeRates: rates,
      records: new Map(ENTITIES.map((e) => [e, new Map()])),
      stamps: new Map(),
      nextId: 1,
      nextDocNumber: 1001,
    };
    this.realms.set(seed.realmId, realm);
    this.#seedReference(realm);
    return realm;
  }

  realm(realmId: string): Realm | undefined {
    return this.realms.get(realmId);
  }

  /** Every object of `entity` in `realm`, in id order. */
  all(realm: Realm, entity: EntityName): QboRecord[] {
    return [...(realm.records.get(entity)?.values() ?? [])];
  }

  get(realm: Realm, entity: EntityName, id: string): QboRecord | undefined {
    return realm.records.get(entity)?.get(id);
  }

  stamp(realm: Realm, entity: EntityName, id: string): { at: number; seq: number } {
    return realm.stamps.get(`${entity}:${id}`) ?? { at: 0, seq: 0 };
  }

  isWritable(entity: EntityName): boolean {
    return WRITABLE.has(entity);
  }

  /**
   * `POST /v3/company/<realm>/<entity>`: a create without `Id`, else an update (sparse when
   * `sparse: true`, else a full update that drops what the body leaves out).
   */
  write(realm: Realm, entity: EntityName, body: Body): QboRecord {
    if (!this.isWritable(entity)) {
      throw invalidValue(entity, `the emulator does not write ${entity} objects through the API`);
    }
    const id = body.Id === undefined ? undefined : String(body.Id);
    if (id === undefined)
      return this.#store(realm, entity, undefined, this.#build(realm, entity, body, undefined));
    const current = this.get(realm, entity, id);
    if (!current) throw objectNotFound(`${entity} Id=${id}`);
    if (body.SyncToken === undefined) throw requiredParam('SyncToken');
    if (String(body.SyncToken) !== current.SyncToken) {
      throw staleObject(entity, id, String(body.SyncToken), current.SyncToken);
    }
    const fields: Body = {};
    const base = body.sparse === true ? current : {};
    for (const [k, v] of Object.entries(base)) fields[k] = v;
    for (const [k, v] of Object.entries(body)) fields[k] = v;
    return this.#store(realm, entity, current, this.#build(realm, entity, fields, current));
  }

  /** The exchange rate of `currency` into the realm's home currency on `date`. */
  rate(realm: Realm, currency: string): string {
    const rate = realm.exchangeRates.get(currency);
    if (rate === undefined) throw invalidValue('CurrencyRef', `currency ${currency} is not set up`);
    return rate;
  }

  // -------------------------------------------------------------------------------------------

  #seedReference(realm: Realm): void {
    const put = (entity: EntityName, fields: Body) =>
      this.#store(realm, entity, undefined, { ...fields });
    put('Item', {
      Name: 'Services',
      Type: 'Service',
      Active: true,
      IncomeAccountRef: { value: '1', name: 'Services' },
    });
    put('Item', {
      Name: 'Hours',
      Type: 'Service',
      Active: true,
      IncomeAccountRef: { value: '1', name: 'Services' },
    });
    put('Account', {
      Name: 'Services',
      AccountType: 'Income',
      Classification: 'Revenue',
      Active: true,
    });
    put('Account', {
      Name: 'Checking',
      AccountType: 'Bank',
      Classification: 'Asset',
      Active: true,
    });
    put('Account', {
      Name: 'Undeposited Funds',
      AccountType: 'Other Current Asset',
      Classification: 'Asset',
      Active: true,
    });
    put('Account', {
      Name: 'Accounts Receivable (A/R)',
      AccountType: 'Accounts Receivable',
      Classification: 'Asset',
      Active: true,
    });
    put('TaxCode', { Name: 'TAX', Taxable: true, Active: true });
    put('TaxCode', { Name: 'NON', Taxable: false, Active: true });
  }

  #store(
    realm: Realm,
    entity: EntityName,
    current: QboRecord | undefined,
    fields: Body,
  ): QboRecord {
    const at = this.#now();
    const id = current?.Id ?? String(realm.nextId++);
    const record = {
      ...fields,
      Id: id,
      SyncToken: current ? String(Number(current.SyncToken) + 1) : '0',
      domain: 'QBO',
      sparse: false,
      MetaData: {
        CreateTime: current?.MetaData.CreateTime ?? qboTime(at),
        LastUpdatedTime: qboTime(at),
      },
    } as QboRecord;
    realm.records.get(entity)!.set(id, record);
    realm.stamps.set(`${entity}:${id}`, { at, seq: ++this.#seq });
    if (TRANSACTIONS.has(entity) || entity === 'Customer') {
      this.#onChange(realm.realmId, { entity, id, operation: current ? 'Update' : 'Create', at });
    }
    if (entity === 'Payment') this.#relink(realm, record, current);
    return record;
  }

  #build(realm: Realm, entity: EntityName, body: Body, current: QboRecord | undefined): Body {
    const fields: Body = {};
    for (const [k, v] of Object.entries(body)) {
      if (['Id', 'SyncToken', 'MetaData', 'domain', 'sparse'].includes(k)) continue;
      fields[k] = v;
    }
    switch (entity) {
      case 'Customer':
        return this.#customer(realm, fields, current);
      case 'Payment':
        return this.#payment(realm, fields, current);
      default:
        return this.#salesTransaction(realm, entity, fields, current);
    }
  }

  #customer(realm: Realm, f: Body, current: QboRecord | undefined): Body {
    const display = (f.DisplayName ?? f.CompanyName ?? f.GivenName) as unknown;
    if (typeof display !== 'string' || display.trim() === '') throw requiredParam('DisplayName');
    if (display.length > 500)
      throw invalidValue('DisplayName', 'DisplayName is longer than 500 characters');
    const clash = this.all(realm, 'Customer').find(
      (c) =>
        c.Id !== current?.Id &&
        String(c.DisplayName).toLowerCase() === display.trim().toLowerCase(),
    );
    if (clash) throw duplicateName(display, clash.Id);
    const currency =
      refValue(f.CurrencyRef) ?? refValue(current?.CurrencyRef) ?? realm.homeCurrency;
    this.#assertCurrency(realm, currency);
    if (
      current &&
      refValue(current.CurrencyRef) !== currency &&
      this.#hasTransactions(realm, current.Id)
    ) {
      throw businessRule(
        'You cannot change the currency of a customer that has transactions.',
        'CurrencyRef',
      );
    }
    const balance = this.#customerBalance(realm, current?.Id, currency);
    return {
      ...f,
      DisplayName: display.trim(),
      Active: f.Active ?? true,
      CurrencyRef: { value: currency, name: CURRENCY_NAMES[currency] ?? currency },
      Balance: fromMinor(balance, currency),
    };
  }

  #salesTransaction(
    realm: Realm,
    entity: EntityName,
    f: Body,
    current: QboRecord | undefined,
  ): Body {
    const customer = this.#customerRef(realm, f);
    const currency = this.#txnCurrency(realm, f, customer);
    const txnDate = this.#txnDate(realm, f, current);
    const docNumber = this.#docNumber(realm, entity, f, current);
    if (!Array.isArray(f.Line) || f.Line.length === 0) throw requiredParam('Line');
    const lines: Body[] = [];
    let net = 0;
    for (const [i, raw] of (f.Line as unknown[]).entries()) {
      if (!isObject(raw)) throw invalidValue(`Line[${i}]`, 'a line must be an object');
      if (raw.DetailType === 'SubTotalLineDetail') continue; // QuickBooks recomputes it
      if (raw.DetailType !== 'SalesItemLineDetail') {
        throw invalidValue(
          `Line[${i}].DetailType`,
          `DetailType ${String(raw.DetailType)} is not supported by the emulator`,
        );
      }
      const amount = this.#amount(raw.Amount, currency, `Line[${i}].Amount`);
      const detail = isObject(raw.SalesItemLineDetail) ? { ...raw.SalesItemLineDetail } : {};
      const itemId = refValue(detail.ItemRef) ?? '1';
      const item = this.get(realm, 'Item', itemId);
      if (!item) throw invalidReference('ItemRef', itemId);
      detail.ItemRef = { value: itemId, name: item.Name };
      if (typeof detail.Qty === 'number' && typeof detail.UnitPrice === 'number') {
        const expected = toMinor(Number((detail.Qty * detail.UnitPrice).toFixed(6)), currency);
        const roundedExpected = Math.round(
          detail.Qty * detail.UnitPrice * 10 ** (CURRENCY_DECIMALS[currency] ?? 2),
        );
        if ((expected ?? roundedExpected) !== amount) {
          throw businessRule(
            `Amount calculation incorrect in the request: Qty × UnitPrice ≠ Amount on line ${i + 1}`,
            `Line[${i}].Amount`,
          );
        }
      }
      net += amount;
      lines.push({
        ...raw,
        Id: String(lines.length + 1),
        LineNum: lines.length + 1,
        Amount: fromMinor(amount, currency),
        DetailType: 'SalesItemLineDetail',
        SalesItemLineDetail: detail,
      });
    }
    if (lines.length === 0) throw requiredParam('Line');
    const taxDetail = isObject(f.TxnTaxDetail) ? { ...f.TxnTaxDetail } : {};
    const tax =
      taxDetail.TotalTax === undefined
        ? 0
        : this.#amount(taxDetail.TotalTax, currency, 'TxnTaxDetail.TotalTax');
    taxDetail.TotalTax = fromMinor(tax, currency);
    const total = net + tax;
    if (total < 0) throw businessRule(`${entity} amount cannot be negative`, 'TotalAmt');
    const rate = this.#exchangeRate(realm, f, currency);
    const out: Body = {
      ...f,
      CustomerRef: { value: customer.Id, name: customer.DisplayName },
      CurrencyRef: { value: currency, name: CURRENCY_NAMES[currency] ?? currency },
      ExchangeRate: Number(rate),
      TxnDate: txnDate,
      DocNumber: docNumber,
      Line: [
        ...lines,
        {
          Amount: fromMinor(net, currency),
          DetailType: 'SubTotalLineDetail',
          SubTotalLineDetail: {},
        },
      ],
      TxnTaxDetail: taxDetail,
      TotalAmt: fromMinor(total, currency),
    };
    if (currency !== realm.homeCurrency) {
      out.HomeTotalAmt = fromMinor(
        convertMinor(total, currency, rate, realm.homeCurrency),
        realm.homeCurrency,
      );
    }
    if (entity === 'Invoice') {
      const applied = current ? this.#appliedTo(realm, current.Id) : 0;
      if (applied > total)
        throw businessRule('the invoice total is below what payments applied to it', 'TotalAmt');
      out.Balance = fromMinor(total - applied, currency);
      if (current?.LinkedTxn !== undefined) out.LinkedTxn = current.LinkedTxn;
      if (currency !== realm.homeCurrency) {
        out.HomeBalance = fromMinor(
          convertMinor(total - applied, currency, rate, realm.homeCurrency),
          realm.homeCurrency,
        );
      }
    } else if (entity === 'CreditMemo') {
      const used = current ? this.#appliedTo(realm, current.Id) : 0;
      if (used > total)
        throw businessRule('the credit memo total is below what it applied', 'TotalAmt');
      out.RemainingCredit = fromMinor(total - used, currency);
      out.Balance = fromMinor(total - used, currency);
      if (current?.LinkedTxn !== undefined) out.LinkedTxn = current.LinkedTxn;
    } else if (entity === 'RefundReceipt') {
      const account = refValue(f.DepositToAccountRef);
      if (account === undefined) throw requiredParam('DepositToAccountRef');
      const acc = this.get(realm, 'Account', account);
      if (!acc) throw invalidReference('DepositToAccountRef', account);
      out.DepositToAccountRef = { value: account, name: acc.Name };
      out.Balance = 0;
    }
    return out;
  }

  #payment(realm: Realm, f: Body, current: QboRecord | undefined): Body {
    const customer = this.#customerRef(realm, f);
    const currency = this.#txnCurrency(realm, f, customer);
    const txnDate = this.#txnDate(realm, f, current);
    if (f.TotalAmt === undefined) throw requiredParam('TotalAmt');
    const total = this.#amount(f.TotalAmt, currency, 'TotalAmt');
    if (total < 0) throw businessRule('Payment amount cannot be negative', 'TotalAmt');
    const lines: Body[] = [];
    let applied = 0;
    let credits = 0;
    for (const [i, raw] of ((Array.isArray(f.Line) ? f.Line : []) as unknown[]).entries()) {
      if (!isObject(raw)) throw invalidValue(`Line[${i}]`, 'a line must be an object');
      const amount = this.#amount(raw.Amount, currency, `Line[${i}].Amount`);
      const linked = Array.isArray(raw.LinkedTxn) ? (raw.LinkedTxn as unknown[]) : [];
      if (linked.length !== 1 || !isObject(linked[0])) {
        throw invalidValue(
          `Line[${i}].LinkedTxn`,
          'each payment line links exactly one transaction',
        );
      }
      const link = linked[0];
      const txnId = String(link.TxnId ?? '');
      // An invoice line receives money; a credit memo line spends the memo's credit on the
      // payment's invoices (a zero-total payment applies a credit memo to an invoice).
      const type = link.TxnType;
      if (type !== 'Invoice' && type !== 'CreditMemo') {
        throw invalidValue(
          `Line[${i}].LinkedTxn.TxnType`,
          `the emulator links payments to invoices and credit memos only, not ${String(type)}`,
        );
      }
      const doc = this.get(realm, type, txnId);
      if (!doc) throw invalidReference('LinkedTxn.TxnId', txnId);
      const what = type === 'Invoice' ? 'invoice' : 'credit memo';
      if (refValue(doc.CustomerRef) !== customer.Id) {
        throw businessRule(`${what} ${txnId} belongs to another customer`, `Line[${i}].LinkedTxn`);
      }
      if (refValue(doc.CurrencyRef) !== currency) {
        throw businessRule(`${what} ${txnId} is in another currency`, `Line[${i}].LinkedTxn`);
      }
      const open =
        (toMinor(Number(doc.TotalAmt), currency) ?? 0) - this.#appliedTo(realm, txnId, current?.Id);
      if (amount > open) {
        throw businessRule(
          `the payment line (${fromMinor(amount, currency)}) is more than ${what} ${txnId}'s open ${type === 'Invoice' ? 'balance' : 'credit'} (${fromMinor(open, currency)})`,
          `Line[${i}].Amount`,
        );
      }
      if (type === 'Invoice') applied += amount;
      else credits += amount;
      lines.push({
        Amount: fromMinor(amount, currency),
        LinkedTxn: [{ TxnId: txnId, TxnType: type }],
      });
    }
    if (credits > applied) {
      throw businessRule('the credit memos apply more than the invoices take', 'Line');
    }
    applied -= credits;
    if (applied > total)
      throw businessRule('the lines apply more than the payment total', 'TotalAmt');
    const rate = this.#exchangeRate(realm, f, currency);
    return {
      ...f,
      CustomerRef: { value: customer.Id, name: customer.DisplayName },
      CurrencyRef: { value: currency, name: CURRENCY_NAMES[currency] ?? currency },
      ExchangeRate: Number(rate),
      TxnDate: txnDate,
      TotalAmt: fromMinor(total, currency),
      UnappliedAmt: fromMinor(total - applied, currency),
      Line: lines,
    };
  }

  /** After a payment write: every invoice it (or its previous version) touches gets its new balance. */
  #relink(realm: Realm, payment: QboRecord, previous: QboRecord | undefined): void {
    const ids = new Set<string>();
    for (const p of [payment, previous]) {
      for (const line of (p?.Line as Body[] | undefined) ?? []) {
        for (const link of (line.LinkedTxn as Body[] | undefined) ?? [])
          ids.add(String(link.TxnId));
      }
    }
    for (const id of ids) {
      const memo = this.get(realm, 'CreditMemo', id);
      if (memo) {
        const currency = String(refValue(memo.CurrencyRef));
        const left = (toMinor(Number(memo.TotalAmt), currency) ?? 0) - this.#appliedTo(realm, id);
        const links = this.all(realm, 'Payment')
          .filter((p) => this.#paymentLinks(p).has(id))
          .map((p) => ({ TxnId: p.Id, TxnType: 'Payment' }));
        this.#store(realm, 'CreditMemo', memo, {
          ...memo,
          RemainingCredit: fromMinor(left, currency),
          Balance: fromMinor(left, currency),
          LinkedTxn: links,
        });
        continue;
      }
      const invoice = this.get(realm, 'Invoice', id);
      if (!invoice) continue;
      const currency = String(refValue(invoice.CurrencyRef));
      const total = toMinor(Number(invoice.TotalAmt), currency) ?? 0;
      const balance = total - this.#appliedTo(realm, id);
      const links = this.all(realm, 'Payment')
        .filter((p) => this.#paymentLinks(p).has(id))
        .map((p) => ({ TxnId: p.Id, TxnType: 'Payment' }));
      const updated: Body = { ...invoice, Balance: fromMinor(balance, currency), LinkedTxn: links };
      if (currency !== realm.homeCurrency) {
        updated.HomeBalance = fromMinor(
          convertMinor(balance, currency, String(invoice.ExchangeRate), realm.homeCurrency),
          realm.homeCurrency,
        );
      }
      // Applying a payment changes the invoice: a new SyncToken, a CDC change.
      this.#store(realm, 'Invoice', invoice, updated);
    }
  }

  #paymentLinks(p: QboRecord): Map<string, number> {
    const out = new Map<string, number>();
    const currency = String(refValue(p.CurrencyRef));
    for (const line of (p.Line as Body[] | undefined) ?? []) {
      for (const link of (line.LinkedTxn as Body[] | undefined) ?? []) {
        const id = String(link.TxnId);
        out.set(id, (out.get(id) ?? 0) + (toMinor(Number(line.Amount), currency) ?? 0));
      }
    }
    return out;
  }

  /** Minor units applied to an invoice by every payment (but `exceptPayment`). */
  #appliedTo(realm: Realm, invoiceId: string, exceptPayment?: string): number {
    let sum = 0;
    for (const p of this.all(realm, 'Payment')) {
      if (p.Id === exceptPayment) continue;
      sum += this.#paymentLinks(p).get(invoiceId) ?? 0;
    }
    return sum;
  }

  #customerRef(realm: Realm, f: Body): QboRecord {
    const id = refValue(f.CustomerRef);
    if (id === undefined) throw requiredParam('CustomerRef');
    const customer = this.get(realm, 'Customer', id);
    if (!customer || customer.Active === false) throw invalidReference('CustomerRef', id);
    return customer;
  }

  #txnCurrency(realm: Realm, f: Body, customer: QboRecord): string {
    const customerCurrency = refValue(customer.CurrencyRef) ?? realm.homeCurrency;
    const currency = refValue(f.CurrencyRef) ?? customerCurrency;
    this.#assertCurrency(realm, currency);
    if (currency !== customerCurrency) {
      throw businessRule(
        `The transaction currency (${currency}) must match the customer's currency (${customerCurrency}).`,
        'CurrencyRef',
      );
    }
    return currency;
  }

  #exchangeRate(realm: Realm, f: Body, currency: string): string {
    if (currency === realm.homeCurrency) {
      if (f.ExchangeRate !== undefined && Number(f.ExchangeRate) !== 1) {
        throw invalidValue('ExchangeRate', 'a home-currency transaction has exchange rate 1');
      }
      return '1';
    }
    if (f.ExchangeRate === undefined) return this.rate(realm, currency);
    if (typeof f.ExchangeRate !== 'number' || !(f.ExchangeRate > 0)) {
      throw invalidValue('ExchangeRate', 'ExchangeRate must be a positive number');
    }
    return String(f.ExchangeRate);
  }

  #assertCurrency(realm: Realm, currency: string): void {
    if (!(currency in CURRENCY_DECIMALS))
      throw invalidValue('CurrencyRef', `unknown currency ${currency}`);
    if (currency !== realm.homeCurrency && !realm.multiCurrencyEnabled) {
      throw businessRule(
        `Multicurrency is off in this company: only ${realm.homeCurrency} can be used.`,
        'CurrencyRef',
      );
    }
  }

  #txnDate(realm: Realm, f: Body, current: QboRecord | undefined): string {
    const date =
      f.TxnDate === undefined
        ? ((current?.TxnDate as string | undefined) ?? localDate(this.#now()))
        : f.TxnDate;
    if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      throw invalidValue('TxnDate', 'TxnDate must be a date (yyyy-MM-dd)');
    }
    const close = realm.bookClose;
    if (close?.password !== undefined) {
      if (date <= close.date) throw accountPeriodClosed(date, close.date);
      const was = current?.TxnDate as string | undefined;
      if (was !== undefined && was <= close.date) throw accountPeriodClosed(was, close.date);
    }
    return date;
  }

  #docNumber(realm: Realm, entity: EntityName, f: Body, current: QboRecord | undefined): string {
    let doc = f.DocNumber;
    if (doc === undefined || doc === '') {
      doc = (current?.DocNumber as string | undefined) ?? String(realm.nextDocNumber++);
    }
    if (typeof doc !== 'string') throw invalidValue('DocNumber', 'DocNumber must be a string');
    if (doc.length > 21) throw stringLength('DocNumber', 21, doc.length);
    const clash = this.all(realm, entity).find((t) => t.Id !== current?.Id && t.DocNumber === doc);
    if (clash) throw duplicateDocNumber(doc);
    return doc;
  }

  #amount(value: unknown, currency: string, element: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw requiredParam(element);
    const minor = toMinor(value, currency);
    if (minor === undefined) {
      throw invalidValue(
        element,
        `${value} has more decimals than ${currency} allows (${CURRENCY_DECIMALS[currency] ?? 2})`,
      );
    }
    return minor;
  }

  #hasTransactions(realm: Realm, customerId: string): boolean {
    return [...TRANSACTIONS].some((e) =>
      this.all(realm, e).some((t) => refValue(t.CustomerRef) === customerId),
    );
  }

  #customerBalance(realm: Realm, customerId: string | undefined, currency: string): number {
    if (customerId === undefined) return 0;
    let sum = 0;
    for (const inv of this.all(realm, 'Invoice')) {
      if (refValue(inv.CustomerRef) === customerId)
        sum += toMinor(Number(inv.Balance), currency) ?? 0;
    }
    return sum;
  }
}
