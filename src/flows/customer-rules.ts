import type { Role } from '../connectors/definition.ts';
import type { CrmAccount } from '../connectors/ports.ts';
import type { FlowRules, RegionRule } from './deps.ts';

const LEGAL_SUFFIXES = new Set([
  'inc',
  'incorporated',
  'llc',
  'ltd',
  'limited',
  'plc',
  'gmbh',
  'ag',
  'sa',
  'sas',
  'sarl',
  'bv',
  'nv',
  'srl',
  'spa',
  'corp',
  'corporation',
  'co',
  'company',
  'kg',
  'oy',
  'ab',
  'as',
  'aps',
  'pty',
  'kk',
]);

/** `ACME, Inc.` and `Acme Inc` and `acme` all normalise to `acme`. */
export function normalizeName(name: string): string {
  const words = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter(Boolean);
  while (words.length > 1 && LEGAL_SUFFIXES.has(words[words.length - 1]!)) words.pop();
  return words.join(' ');
}

/** Lowercase domain without scheme, `www.` or path. */
export function normalizeDomain(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const host = value
    .trim()
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/^www\./, '')
    .split(/[/?#]/)[0];
  return host || undefined;
}

/** Tax ids compare without spaces, dots or dashes, uppercased. */
export function normalizeTaxId(value: string | undefined): string | undefined {
  const cleaned = value?.replace(/[\s.-]/g, '').toUpperCase();
  return cleaned || undefined;
}

/** The facts match rules compare. */
export interface MatchKey {
  normalizedName: string;
  domain?: string;
  taxId?: string;
  country?: string;
}

export function matchKeyOf(
  account: Pick<CrmAccount, 'name' | 'domain' | 'taxId' | 'billingAddress'>,
): MatchKey {
  const key: MatchKey = { normalizedName: normalizeName(account.name) };
  const domain = normalizeDomain(account.domain);
  if (domain) key.domain = domain;
  const taxId = normalizeTaxId(account.taxId?.value);
  if (taxId) key.taxId = taxId;
  if (account.billingAddress?.country) key.country = account.billingAddress.country.toUpperCase();
  return key;
}

/**
 * The keys a customer claims under the match rules: one per rule whose fields are all known
 * (`domain=acme.com`, `normalizedName+country=acme|DE`). Two customers sharing any key are the
 * same customer; a missing field never matches.
 */
export function matchRuleKeys(
  key: MatchKey,
  rules: FlowRules['matchRules'],
): { rule: FlowRules['matchRules'][number]; key: string }[] {
  const out: { rule: FlowRules['matchRules'][number]; key: string }[] = [];
  for (const rule of rules) {
    const values = rule.map((field) => key[field]);
    if (values.some((v) => v === undefined)) continue;
    out.push({ rule, key: `${rule.join('+')}=${values.join('|')}` });
  }
  return out;
}

/** The region of an account: its CRM region if configured, else by billing country, else the default. */
export function regionOf(
  account: Pick<CrmAccount, 'region' | 'billingAddress'>,
  rules: FlowRules,
): { code: string; rule: RegionRule } {
  if (account.region && rules.regions[account.region]) {
    return { code: account.region, rule: rules.regions[account.region]! };
  }
  const country = account.billingAddress?.country?.toUpperCase();
  if (country) {
    for (const [code, rule] of Object.entries(rules.regions)) {
      if (rule.countries?.includes(country)) return { code, rule };
    }
  }
  return { code: rules.defaultRegion, rule: rules.regions[rules.defaultRegion]! };
}

/**
 * Default field ownership of a canonical customer, by role (overridable in configuration):
 * the CRM owns the commercial fields, the ERP the accounting ones.
 */
export const DEFAULT_CUSTOMER_OWNERSHIP: Record<string, Role> = {
  name: 'crm',
  legalName: 'crm',
  email: 'crm',
  domain: 'crm',
  taxId: 'crm',
  billingAddress: 'crm',
  region: 'crm',
  currency: 'erp',
  subsidiary: 'erp',
};
