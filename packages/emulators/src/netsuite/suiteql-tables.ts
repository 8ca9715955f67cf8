import { creditMemoStatus } from './credit-memos.ts';
import { PAYMENT_STATUS } from './customer-payments.ts';
import { decimalFromInteger, fromMinorUnits, parseDecimal, type Decimal } from './decimal.ts';
import { invoiceStatus } from './invoices.ts';
import { SUITEQL_ITEM_TYPE } from './items.ts';
import { customerName, refNameOf } from './record-type.ts';
import { currencyOf } from './reference-data.ts';
import type { JsonObject, NetsuiteState, RecordTypeName, Transaction } from './state.ts';
import { amountDue, periodName } from './transaction-common.ts';

/** A number in a SuiteQL row. */
export interface SqlNumber {
  kind: 'number';
  value: Decimal;
}

/** A date (`hasTime: false`) or date-time in a SuiteQL row; UTC. */
export interface SqlDate {
  kind: 'date';
  ms: number;
  hasTime: boolean;
}

/** A SuiteQL value. Booleans are `'T'`/`'F'` text, as in NetSuite. */
export type SqlValue = null | string | SqlNumber | SqlDate;

/** One row: lowercase column name → value. */
export type Row = Record<string, SqlValue>;

/** A SuiteQL table over the emulator's records. */
export interface SuiteqlTable {
  /** Columns in `SELECT *` order. */
  columns: readonly string[];
  /** Custom-field prefixes whose columns exist even where no record sets them. */
  customPrefixes: readonly string[];
  rows(state: NetsuiteState): Row[];
  /** `BUILTIN.DF(column)`: the display text of a column's value. */
  display: Record<string, (row: Row, state: NetsuiteState) => string | null>;
}

const num = (n: number | bigint): SqlNumber => ({ kind: 'number', value: decimalFromInteger(n) });
const id = (text: string | undefined): SqlValue =>
  text === undefined
    ? null
    : { kind: 'number', value: parseDecimal(text) ?? decimalFromInteger(0) };
const money = (minor: number, digits: number): SqlNumber => ({
  kind: 'number',
  value: fromMinorUnits(minor, digits),
});
const decimalText = (text: string | undefined): SqlValue =>
  text === undefined
    ? null
    : { kind: 'number', value: parseDecimal(text) ?? decimalFromInteger(0) };
const bool = (b: boolean): string => (b ? 'T' : 'F');
const text = (s: string | undefined): SqlValue => (s === undefined || s === '' ? null : s);
const dateTime = (ms: number): SqlDate => ({ kind: 'date', ms, hasTime: true });
const dateOnly = (ymd: string | undefined): SqlValue =>
  ymd === undefined ? null : { kind: 'date', ms: Date.parse(`${ymd}T00:00:00Z`), hasTime: false };

function customColumns(custom: JsonObject): Row {
  const row: Row = {};
  for (const [k, v] of Object.entries(custom)) {
    const key = k.toLowerCase();
    if (v === null) row[key] = null;
    else if (typeof v === 'number') row[key] = decimalText(String(v));
    else if (typeof v === 'boolean') row[key] = bool(v);
    else if (typeof v === 'string') row[key] = v;
    else row[key] = JSON.stringify(v);
  }
  return row;
}

function refDisplay(type: RecordTypeName | readonly RecordTypeName[], column: string) {
  const types = typeof type === 'string' ? [type] : type;
  return (row: Row, state: NetsuiteState): string | null => {
    const v = row[column];
    if (v === null || v === undefined || typeof v === 'string' || v.kind !== 'number') return null;
    const key = String(v.value.units);
    for (const t of types) {
      const record = state.get(t, key);
      if (record) return refNameOf(record);
    }
    return null;
  };
}

const ITEM_TYPES: readonly RecordTypeName[] = ['noninventorysaleitem', 'serviceitem'];

const customer: SuiteqlTable = {
  columns: [
    'id',
    'entityid',
    'companyname',
    'altname',
    'isperson',
    'firstname',
    'lastname',
    'email',
    'phone',
    'comments',
    'subsidiary',
    'currency',
    'externalid',
    'isinactive',
    'datecreated',
    'lastmodifieddate',
  ],
  customPrefixes: ['custentity'],
  rows: (state) =>
    state.list('customer').map((c) => ({
      id: id(c.id),
      entityid: c.entityId,
      companyname: text(c.companyName),
      altname: customerName(c),
      isperson: bool(c.isPerson),
      firstname: text(c.firstName),
      lastname: text(c.lastName),
      email: text(c.email),
      phone: text(c.phone),
      comments: text(c.comments),
      subsidiary: id(c.subsidiary),
      currency: id(c.currency),
      externalid: text(c.externalId),
      isinactive: bool(c.isInactive),
      datecreated: dateTime(c.createdMs),
      lastmodifieddate: dateTime(c.lastModifiedMs),
      ...customColumns(c.custom),
    })),
  display: {
    subsidiary: refDisplay('subsidiary', 'subsidiary'),
    currency: refDisplay('currency', 'currency'),
  },
};

/** The seeded `1200 Undeposited Funds` account, where customer payments wait for a deposit. */
const UNDEPOSITED_FUNDS = '3';

const TYPE_CODE: Record<Transaction['type'], [code: string, label: string]> = {
  invoice: ['CustInvc', 'Invoice'],
  creditmemo: ['CustCred', 'Credit Memo'],
  customerpayment: ['CustPymt', 'Payment'],
  journalentry: ['Journal', 'Journal'],
  deposit: ['Deposit', 'Deposit'],
};

function transactions(state: NetsuiteState): Transaction[] {
  return [
    ...state.list('invoice'),
    ...state.list('creditmemo'),
    ...state.list('customerpayment'),
    ...state.list('journalentry'),
    ...state.list('deposit'),
  ].sort((a, b) => Number(a.id) - Number(b.id));
}

function statusOf(t: Transaction, state: NetsuiteState): { id: string; refName: string } {
  switch (t.type) {
    case 'invoice':
      return invoiceStatus(state, t);
    case 'creditmemo':
      return creditMemoStatus(t);
    case 'customerpayment':
      return PAYMENT_STATUS;
    default:
      return { id: 'B', refName: 'Approved for Posting' };
  }
}

const transaction: SuiteqlTable = {
  columns: [
    'id',
    'tranid',
    'type',
    'recordtype',
    'trandate',
    'duedate',
    'entity',
    'currency',
    'exchangerate',
    'foreigntotal',
    'taxtotal',
    'foreignamountpaid',
    'foreignamountremaining',
    'status',
    'memo',
    'createdfrom',
    'externalid',
    'posting',
    'voided',
    'createddate',
    'lastmodifieddate',
  ],
  customPrefixes: ['custbody'],
  rows: (state) =>
    transactions(state).map((t) => {
      const currency = currencyOf(state, t.currency);
      const digits = currency.currencyPrecision;
      const row: Row = {
        id: id(t.id),
        tranid: t.tranId,
        type: TYPE_CODE[t.type][0],
        recordtype: t.type,
        trandate: dateOnly(t.tranDate),
        duedate: null,
        entity: null,
        currency: id(t.currency),
        exchangerate: decimalText(currency.exchangeRate),
        foreigntotal: null,
        taxtotal: null,
        foreignamountpaid: null,
        foreignamountremaining: null,
        status: statusOf(t, state).id,
        memo: text(t.memo),
        createdfrom: null,
        externalid: text(t.externalId),
        posting: 'T',
        voided: 'F',
        createddate: dateTime(t.createdMs),
        lastmodifieddate: dateTime(t.lastModifiedMs),
      };
      if (t.type === 'invoice') {
        const due = amountDue(state, t);
        Object.assign(row, {
          duedate: dateOnly(t.dueDate),
          entity: id(t.entity),
          foreigntotal: money(t.total, digits),
          taxtotal: money(t.taxTotal, digits),
          foreignamountpaid: money(t.total - due, digits),
          foreignamountremaining: money(due, digits),
        });
      } else if (t.type === 'creditmemo') {
        const applied = t.apply.reduce((s, a) => s + a.amount, 0);
        Object.assign(row, {
          entity: id(t.entity),
          foreigntotal: money(-t.total, digits),
          taxtotal: money(-t.taxTotal, digits),
          foreignamountremaining: money(-(t.total - applied), digits),
          createdfrom: id(t.createdFrom),
        });
      } else if (t.type === 'customerpayment') {
        const applied = t.apply.reduce((s, a) => s + a.amount, 0);
        Object.assign(row, {
          entity: id(t.customer),
          foreigntotal: money(t.payment, digits),
          foreignamountremaining: money(t.payment - applied, digits),
        });
      } else if (t.type === 'deposit') {
        row['foreigntotal'] = money(t.total, digits);
      } else {
        row['foreigntotal'] = money(
          t.lines.reduce((s, l) => s + l.debit, 0),
          digits,
        );
      }
      return { ...row, ...customColumns(t.custom) };
    }),
  display: {
    entity: refDisplay('customer', 'entity'),
    currency: refDisplay('currency', 'currency'),
    createdfrom: refDisplay('invoice', 'createdfrom'),
    type: (row) => {
      const found = Object.values(TYPE_CODE).find(([code]) => code === row['type']);
      return found ? found[1] : null;
    },
    status: (row, state) => {
      const tid = row['id'];
      if (!tid || typeof tid === 'string' || tid.kind !== 'number') return null;
      const key = String(tid.value.units);
      const t =
        state.get('invoice', key) ??
        state.get('creditmemo', key) ??
        state.get('customerpayment', key) ??
        state.get('journalentry', key) ??
        state.get('deposit', key);
      return t ? `${TYPE_CODE[t.type][1]} : ${statusOf(t, state).refName}` : null;
    },
  },
};

const transactionline: SuiteqlTable = {
  columns: [
    'id',
    'transaction',
    'linesequencenumber',
    'mainline',
    'taxline',
    'item',
    'quantity',
    'rate',
    'foreignamount',
    'memo',
    'entity',
    'subsidiary',
    'account',
    'debitforeignamount',
    'creditforeignamount',
    'revrecstartdate',
    'revrecenddate',
  ],
  customPrefixes: ['custcol'],
  rows(state) {
    const rows: Row[] = [];
    for (const t of transactions(state)) {
      const digits = currencyOf(state, t.currency).currencyPrecision;
      const common: Row = {
        transaction: id(t.id),
        taxline: 'F',
        item: null,
        quantity: null,
        rate: null,
        memo: null,
        entity: null,
        subsidiary: id(t.subsidiary),
        account: null,
        debitforeignamount: null,
        creditforeignamount: null,
        revrecstartdate: null,
        revrecenddate: null,
      };
      if (t.type === 'journalentry') {
        for (const l of t.lines) {
          rows.push({
            ...common,
            id: num(l.line),
            linesequencenumber: num(l.line),
            mainline: 'F',
            foreignamount: money(l.debit - l.credit, digits),
            memo: text(l.memo),
            entity: id(l.entity),
            account: id(l.account),
            debitforeignamount: l.debit > 0 ? money(l.debit, digits) : null,
            creditforeignamount: l.credit > 0 ? money(l.credit, digits) : null,
          });
        }
        continue;
      }
      if (t.type === 'deposit') {
        // The main line books the total to the bank; then payments, other money, cash back.
        rows.push({
          ...common,
          id: num(0),
          linesequencenumber: num(0),
          mainline: 'T',
          foreignamount: money(t.total, digits),
          memo: text(t.memo),
          account: id(t.account),
        });
        let n = 0;
        for (const l of t.payments)
          rows.push({
            ...common,
            id: num(++n),
            linesequencenumber: num(n),
            mainline: 'F',
            foreignamount: money(l.amount, digits),
            memo: text(l.memo),
            entity: id(state.get('customerpayment', l.doc)?.customer),
            account: id(UNDEPOSITED_FUNDS),
          });
        for (const l of t.other)
          rows.push({
            ...common,
            id: num(++n),
            linesequencenumber: num(n),
            mainline: 'F',
            foreignamount: money(l.amount, digits),
            memo: text(l.memo),
            entity: id(l.entity),
            account: id(l.account),
          });
        for (const l of t.cashBack)
          rows.push({
            ...common,
            id: num(++n),
            linesequencenumber: num(n),
            mainline: 'F',
            foreignamount: money(-l.amount, digits),
            memo: text(l.memo),
            account: id(l.account),
          });
        continue;
      }
      const entity = t.type === 'customerpayment' ? t.customer : t.entity;
      const total = t.type === 'customerpayment' ? t.payment : t.total;
      rows.push({
        ...common,
        id: num(0),
        linesequencenumber: num(0),
        mainline: 'T',
        foreignamount: money(total, digits),
        memo: text(t.memo),
        entity: id(entity),
      });
      if (t.type === 'customerpayment') continue;
      for (const l of t.lines) {
        rows.push({
          ...common,
          id: num(l.line),
          linesequencenumber: num(l.line),
          mainline: 'F',
          item: id(l.item),
          quantity: decimalText(l.quantity),
          rate: decimalText(l.rate),
          foreignamount: money(l.amount, digits),
          memo: text(l.description),
          entity: id(entity),
          revrecstartdate: dateOnly(l.revRecStartDate),
          revrecenddate: dateOnly(l.revRecEndDate),
          ...customColumns(l.custom),
        });
      }
    }
    return rows;
  },
  display: {
    item: refDisplay(ITEM_TYPES, 'item'),
    entity: refDisplay('customer', 'entity'),
    subsidiary: refDisplay('subsidiary', 'subsidiary'),
    account: refDisplay('account', 'account'),
  },
};

const item: SuiteqlTable = {
  columns: [
    'id',
    'itemid',
    'displayname',
    'description',
    'itemtype',
    'incomeaccount',
    'isinactive',
    'externalid',
    'createddate',
    'lastmodifieddate',
  ],
  customPrefixes: ['custitem'],
  rows: (state) =>
    [...state.list('noninventorysaleitem'), ...state.list('serviceitem')]
      .sort((a, b) => Number(a.id) - Number(b.id))
      .map((i) => ({
        id: id(i.id),
        itemid: i.itemId,
        displayname: text(i.displayName),
        description: text(i.salesDescription),
        itemtype: SUITEQL_ITEM_TYPE[i.type],
        incomeaccount: id(i.incomeAccount),
        isinactive: bool(i.isInactive),
        externalid: text(i.externalId),
        createddate: dateTime(i.createdMs),
        lastmodifieddate: dateTime(i.lastModifiedMs),
        ...customColumns(i.custom),
      })),
  display: { incomeaccount: refDisplay('account', 'incomeaccount') },
};

const subsidiary: SuiteqlTable = {
  columns: [
    'id',
    'name',
    'legalname',
    'country',
    'currency',
    'parent',
    'iselimination',
    'isinactive',
  ],
  customPrefixes: [],
  rows: (state) =>
    state.list('subsidiary').map((s) => ({
      id: id(s.id),
      name: s.name,
      legalname: s.legalName,
      country: s.country,
      currency: id(s.currency),
      parent: id(s.parent),
      iselimination: 'F',
      isinactive: bool(s.isInactive),
    })),
  display: {
    currency: refDisplay('currency', 'currency'),
    parent: refDisplay('subsidiary', 'parent'),
  },
};

const currency: SuiteqlTable = {
  columns: [
    'id',
    'name',
    'symbol',
    'displaysymbol',
    'currencyprecision',
    'isbasecurrency',
    'exchangerate',
    'isinactive',
  ],
  customPrefixes: [],
  rows: (state) =>
    state.list('currency').map((c) => ({
      id: id(c.id),
      name: c.name,
      symbol: c.symbol,
      displaysymbol: c.displaySymbol,
      currencyprecision: num(c.currencyPrecision),
      isbasecurrency: bool(c.isBaseCurrency),
      exchangerate: decimalText(c.exchangeRate),
      isinactive: bool(c.isInactive),
    })),
  display: {},
};

const account: SuiteqlTable = {
  columns: ['id', 'acctnumber', 'accountsearchdisplayname', 'fullname', 'accttype', 'isinactive'],
  customPrefixes: [],
  rows: (state) =>
    state.list('account').map((a) => ({
      id: id(a.id),
      acctnumber: a.acctNumber,
      accountsearchdisplayname: `${a.acctNumber} ${a.acctName}`,
      fullname: a.acctName,
      accttype: a.acctType,
      isinactive: bool(a.isInactive),
    })),
  display: {},
};

/**
 * `accountingperiod`: one month period per month from 2020 to 2035 (no quarters or years, no
 * adjustment periods). A period is `closed` and `arlocked` when the emulator's A/R lock
 * (`POST /_emulator/periods`) reaches it.
 */
const accountingperiod: SuiteqlTable = {
  columns: [
    'id',
    'periodname',
    'startdate',
    'enddate',
    'isquarter',
    'isyear',
    'isadjust',
    'closed',
    'arlocked',
    'aplocked',
    'alllocked',
  ],
  customPrefixes: [],
  rows: (state) => {
    const rows: Row[] = [];
    for (let year = 2020, n = 1; year <= 2035; year++) {
      for (let month = 1; month <= 12; month++, n++) {
        const start = `${year}-${String(month).padStart(2, '0')}-01`;
        const end = new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
        const locked =
          state.arLockedThrough !== undefined && start.slice(0, 7) <= state.arLockedThrough;
        rows.push({
          id: num(n),
          periodname: periodName(start),
          startdate: dateOnly(start),
          enddate: dateOnly(end),
          isquarter: 'F',
          isyear: 'F',
          isadjust: 'F',
          closed: bool(locked),
          arlocked: bool(locked),
          aplocked: 'F',
          alllocked: 'F',
        });
      }
    }
    return rows;
  },
  display: {},
};

/** The SuiteQL tables the emulator serves. */
export const SUITEQL_TABLES: Readonly<Record<string, SuiteqlTable>> = {
  customer,
  transaction,
  transactionline,
  item,
  subsidiary,
  currency,
  account,
  accountingperiod,
};
