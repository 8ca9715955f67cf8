import { describe, expect, it } from 'vitest';
import {
  CURRENCY_CODES,
  CURRENCY_EXPONENTS,
  CurrencyCode,
  currencyExponent,
  isCurrencyCode,
  toCurrencyCode,
} from './currency.ts';
import { ModelError } from './errors.ts';

describe('currency table', () => {
  it('covers at least 150 codes, all three uppercase letters', () => {
    expect(CURRENCY_CODES.length).toBeGreaterThanOrEqual(150);
    for (const code of CURRENCY_CODES) expect(code).toMatch(/^[A-Z]{3}$/);
  });

  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['GBP', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['VND', 0],
    ['CLP', 0],
    ['BHD', 3],
    ['KWD', 3],
    ['JOD', 3],
    ['OMR', 3],
    ['TND', 3],
    ['IQD', 3],
    ['LYD', 3],
    ['CLF', 4],
    ['UYW', 4],
  ])('%s has %i decimals', (code, exponent) => {
    expect(currencyExponent(code)).toBe(exponent);
  });

  it('has only exponents 0 to 4', () => {
    for (const exponent of Object.values(CURRENCY_EXPONENTS)) {
      expect([0, 2, 3, 4]).toContain(exponent);
    }
  });

  it('throws a clear, typed error for unknown or lowercase codes', () => {
    for (const bad of ['XXX', 'usd', 'US', 'XAU', '']) {
      expect(() => currencyExponent(bad)).toThrow(ModelError);
      try {
        currencyExponent(bad);
      } catch (error) {
        expect((error as ModelError).code).toBe('unknown_currency');
        expect((error as Error).message).toContain(JSON.stringify(bad));
      }
    }
  });

  it('normalises vendor spellings with toCurrencyCode', () => {
    expect(toCurrencyCode('usd')).toBe('USD');
    expect(toCurrencyCode(' eur ')).toBe('EUR');
    expect(() => toCurrencyCode('abc')).toThrow(/unknown ISO 4217/);
    expect(isCurrencyCode('JPY')).toBe(true);
    expect(isCurrencyCode('jpy')).toBe(false);
    expect(isCurrencyCode('toString')).toBe(false);
  });
});

describe('CurrencyCode schema', () => {
  it('accepts known uppercase codes', () => {
    expect(CurrencyCode.parse('BHD')).toBe('BHD');
  });

  it('rejects lowercase, wrong length and unknown codes with a readable message', () => {
    expect(CurrencyCode.safeParse('usd').error?.issues[0]?.message).toMatch(/uppercase/);
    expect(CurrencyCode.safeParse('US').error?.issues[0]?.message).toMatch(/uppercase/);
    expect(CurrencyCode.safeParse('QQQ').error?.issues[0]?.message).toMatch(/unknown ISO 4217/);
    expect(CurrencyCode.safeParse(840).success).toBe(false);
  });
});
