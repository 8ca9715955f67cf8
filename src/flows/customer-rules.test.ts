import { describe, expect, it } from 'vitest';
import {
  matchKeyOf,
  matchRuleKeys,
  normalizeDomain,
  normalizeName,
  regionOf,
} from './customer-rules.ts';
import type { FlowRules } from './deps.ts';

const rules: FlowRules = {
  regions: {
    NA: { subsidiary: '1', currency: 'USD', countries: ['US', 'CA'] },
    UK: { subsidiary: '2', currency: 'GBP', countries: ['GB'] },
    EU: { subsidiary: '3', currency: 'EUR', countries: ['DE', 'FR'] },
  },
  defaultRegion: 'NA',
  ownership: {},
  matchRules: [['taxId'], ['domain'], ['normalizedName', 'country']],
  usageSources: [],
};

describe('customer match rules', () => {
  it('normalises names, legal suffixes, accents and punctuation away', () => {
    expect(normalizeName('ACME, Inc.')).toBe('acme');
    expect(normalizeName('Acme Inc')).toBe('acme');
    expect(normalizeName('Müller & Söhne GmbH')).toBe('muller and sohne');
    expect(normalizeName('Co')).toBe('co');
    expect(normalizeDomain('https://www.Acme.com/pricing')).toBe('acme.com');
  });

  it('matches on any complete rule and never on missing fields', () => {
    const keys = (account: Parameters<typeof matchKeyOf>[0]) =>
      new Set(matchRuleKeys(matchKeyOf(account), rules.matchRules).map((k) => k.key));
    const shared = (a: Set<string>, b: Set<string>) => [...a].filter((k) => b.has(k));
    const a = keys({ name: 'Acme GmbH', domain: 'acme.de', billingAddress: { country: 'DE' } });
    const b = keys({ name: 'ACME', billingAddress: { country: 'DE' } });
    const c = keys({ name: 'Acme', billingAddress: { country: 'FR' } });
    const d = keys({ name: 'Other', domain: 'www.acme.de' });
    expect(shared(a, b)).toEqual(['normalizedName+country=acme|DE']);
    expect(shared(a, c)).toEqual([]);
    expect(shared(a, d)).toEqual(['domain=acme.de']);
    expect([...keys({ name: 'X' })]).toEqual([]);
  });

  it('places an account by CRM region, then by billing country, then the default', () => {
    expect(regionOf({ region: 'UK' }, rules).code).toBe('UK');
    expect(regionOf({ billingAddress: { country: 'FR' } }, rules)).toEqual({
      code: 'EU',
      rule: rules.regions.EU,
    });
    expect(regionOf({ region: 'APAC', billingAddress: { country: 'JP' } }, rules).code).toBe('NA');
  });
});
