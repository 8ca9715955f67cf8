import { refView, type RecordType } from './record-type.ts';
import type { Account, Currency, NetsuiteState, Subsidiary } from './state.ts';

const base = (id: string, now: number) => ({ id, createdMs: now, lastModifiedMs: now, custom: {} });

const CURRENCIES: [symbol: string, name: string, display: string, digits: number, rate: string][] =
  [
    ['USD', 'US Dollar', '$', 2, '1'],
    ['GBP', 'British pound', '£', 2, '1.27'],
    ['CAD', 'Canadian Dollar', 'CA$', 2, '0.73'],
    ['EUR', 'Euro', '€', 2, '1.08'],
    ['JPY', 'Japanese Yen', '¥', 0, '0.0067'],
    ['AUD', 'Australian Dollar', 'A$', 2, '0.66'],
  ];

/** Seeded currencies: 1 USD, 2 GBP, 3 CAD, 4 EUR, 5 JPY (no decimals), 6 AUD. */
export function seedCurrencies(now: number): Currency[] {
  return CURRENCIES.map(([symbol, name, displaySymbol, currencyPrecision, exchangeRate], i) => ({
    ...base(String(i + 1), now),
    type: 'currency',
    name,
    symbol,
    displaySymbol,
    currencyPrecision,
    isBaseCurrency: symbol === 'USD',
    exchangeRate,
    isInactive: false,
  }));
}

const SUBSIDIARIES: [name: string, legalName: string, country: string, currency: string][] = [
  ['Parent Company', 'Revsync Demo Inc.', 'US', '1'],
  ['UK', 'Revsync Demo Ltd', 'GB', '2'],
  ['EU', 'Revsync Demo Europe B.V.', 'NL', '4'],
  ['Japan', 'Revsync Demo K.K.', 'JP', '5'],
  ['Australia', 'Revsync Demo Pty Ltd', 'AU', '6'],
  ['Canada', 'Revsync Demo Canada Inc.', 'CA', '3'],
];

/**
 * Seeded OneWorld subsidiaries with their base currencies: 1 Parent Company (US, USD),
 * 2 UK (GBP), 3 EU (EUR), 4 Japan (JPY), 5 Australia (AUD), 6 Canada (CAD).
 */
export function seedSubsidiaries(now: number): Subsidiary[] {
  return SUBSIDIARIES.map(([name, legalName, country, currency], i) => ({
    ...base(String(i + 1), now),
    type: 'subsidiary',
    name,
    legalName,
    country,
    currency,
    ...(i > 0 && { parent: '1' }),
    isInactive: false,
  }));
}

const ACCOUNT_TYPES: Record<string, string> = {
  Bank: 'Bank',
  AcctRec: 'Accounts Receivable',
  OthCurrAsset: 'Other Current Asset',
  OthCurrLiab: 'Other Current Liability',
  DeferRevenue: 'Deferred Revenue',
  Income: 'Income',
  Expense: 'Expense',
};

const ACCOUNTS: [number: string, name: string, type: string][] = [
  ['1000', 'Checking', 'Bank'],
  ['1100', 'Accounts Receivable', 'AcctRec'],
  ['1200', 'Undeposited Funds', 'OthCurrAsset'],
  ['2200', 'Sales Tax Payable', 'OthCurrLiab'],
  ['2400', 'Deferred Revenue', 'DeferRevenue'],
  ['4000', 'Subscription Revenue', 'Income'],
  ['4100', 'Services Revenue', 'Income'],
  ['6000', 'Operating Expenses', 'Expense'],
  ['6100', 'Merchant Processing Fees', 'Expense'],
];

/**
 * A small seeded chart of accounts (ids 1–9) for journal lines, item income accounts and
 * deposits (1 Checking is the default bank account, 9 the processor's fees).
 */
export function seedAccounts(now: number): Account[] {
  return ACCOUNTS.map(([acctNumber, acctName, acctType], i) => ({
    ...base(String(i + 1), now),
    type: 'account',
    acctNumber,
    acctName,
    acctType,
    isInactive: false,
  }));
}

/** The currency record of an id that the caller has already validated. */
export function currencyOf(state: NetsuiteState, id: string): Currency {
  const c = state.get('currency', id);
  if (!c) throw new Error(`unknown currency ${id}`);
  return c;
}

/** Read-only `currency` records. */
export const currencyType: RecordType<'currency'> = {
  name: 'currency',
  label: 'Currency',
  readOnly: true,
  sublists: [],
  view: (c) => ({
    name: c.name,
    symbol: c.symbol,
    displaySymbol: c.displaySymbol,
    currencyPrecision: c.currencyPrecision,
    isBaseCurrency: c.isBaseCurrency,
    exchangeRate: Number(c.exchangeRate),
    isInactive: c.isInactive,
  }),
};

/** Read-only `subsidiary` records. */
export const subsidiaryType: RecordType<'subsidiary'> = {
  name: 'subsidiary',
  label: 'Subsidiary',
  readOnly: true,
  sublists: [],
  view: (s, ctx) => ({
    name: s.name,
    legalName: s.legalName,
    country: s.country,
    currency: refView(ctx, 'currency', s.currency),
    ...(s.parent !== undefined && { parent: refView(ctx, 'subsidiary', s.parent) }),
    isElimination: false,
    isInactive: s.isInactive,
  }),
};

/** Read-only `account` records (the chart of accounts). */
export const accountType: RecordType<'account'> = {
  name: 'account',
  label: 'Account',
  readOnly: true,
  sublists: [],
  view: (a) => ({
    acctNumber: a.acctNumber,
    acctName: a.acctName,
    acctType: { id: a.acctType, refName: ACCOUNT_TYPES[a.acctType] ?? a.acctType },
    isInactive: a.isInactive,
  }),
};
