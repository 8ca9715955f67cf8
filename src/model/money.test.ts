import { describe, expect, it } from 'vitest';
import { CurrencyMismatchError, ModelError } from './errors.ts';
import {
  abs,
  add,
  allocate,
  compare,
  equals,
  fromDecimalString,
  isNegative,
  isZero,
  money,
  MoneySchema,
  multiplyByRate,
  negate,
  prorate,
  subtract,
  sum,
  toDecimalString,
  zero,
  type Money,
} from './money.ts';
import { ROUNDING_MODES, type RoundingMode } from './rounding.ts';
import { seededRandom } from './seeded-random.ts';

const usd = (amount: number): Money => money(amount, 'USD');
const eur = (amount: number): Money => money(amount, 'EUR');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof ModelError ? error.code : 'not a ModelError';
  }
  return undefined;
}

describe('money()', () => {
  it('makes integer minor-unit amounts', () => {
    expect(money(1234, 'USD')).toEqual({ amount: 1234, currency: 'USD' });
    expect(money(5n, 'JPY')).toEqual({ amount: 5, currency: 'JPY' });
    expect(Object.is(money(-0, 'USD').amount, 0)).toBe(true);
  });

  it('rejects floats, non-finite and unsafe amounts and unknown currencies', () => {
    expect(codeOf(() => money(12.34, 'USD'))).toBe('invalid_money');
    expect(codeOf(() => money(Number.NaN, 'USD'))).toBe('invalid_money');
    expect(codeOf(() => money(Number.POSITIVE_INFINITY, 'USD'))).toBe('invalid_money');
    expect(codeOf(() => money(2 ** 53, 'USD'))).toBe('invalid_money');
    expect(codeOf(() => money(2n ** 53n, 'USD'))).toBe('money_overflow');
    expect(codeOf(() => money(1, 'usd' as never))).toBe('unknown_currency');
  });
});

describe('arithmetic', () => {
  it('adds, subtracts, negates, sums', () => {
    expect(add(usd(150), usd(-50))).toEqual(usd(100));
    expect(subtract(usd(150), usd(200))).toEqual(usd(-50));
    expect(negate(usd(7))).toEqual(usd(-7));
    expect(Object.is(negate(usd(0)).amount, 0)).toBe(true);
    expect(abs(usd(-7))).toEqual(usd(7));
    expect(sum([usd(1), usd(2), usd(3)], 'USD')).toEqual(usd(6));
    expect(sum([], 'EUR')).toEqual(zero('EUR'));
  });

  it('compares', () => {
    expect(compare(usd(1), usd(2))).toBe(-1);
    expect(compare(usd(2), usd(2))).toBe(0);
    expect(compare(usd(3), usd(2))).toBe(1);
    expect(equals(usd(2), usd(2))).toBe(true);
    expect(equals(usd(2), usd(3))).toBe(false);
    expect(isZero(usd(0))).toBe(true);
    expect(isZero(usd(1))).toBe(false);
    expect(isNegative(usd(-1))).toBe(true);
  });

  it('throws a typed CurrencyMismatchError when currencies differ', () => {
    const ops: [string, () => unknown][] = [
      ['add', () => add(usd(1), eur(1))],
      ['subtract', () => subtract(usd(1), eur(1))],
      ['compare', () => compare(usd(1), eur(1))],
      ['equals', () => equals(usd(1), eur(1))],
      ['sum', () => sum([usd(1), eur(1)], 'USD')],
    ];
    for (const [name, op] of ops) {
      expect(op, name).toThrow(CurrencyMismatchError);
      expect(codeOf(op), name).toBe('currency_mismatch');
    }
  });

  it('refuses to leave the safe-integer range', () => {
    const max = usd(Number.MAX_SAFE_INTEGER);
    expect(codeOf(() => add(max, usd(1)))).toBe('money_overflow');
    expect(codeOf(() => subtract(negate(max), usd(1)))).toBe('money_overflow');
    // an intermediate overflow that comes back into range is fine: sum uses BigInt
    expect(sum([max, usd(1), usd(-2)], 'USD')).toEqual(usd(Number.MAX_SAFE_INTEGER - 1));
  });

  it('rejects hand-made Money with a float amount', () => {
    expect(codeOf(() => add({ amount: 1.5, currency: 'USD' }, usd(1)))).toBe('invalid_money');
  });
});

describe('decimal strings', () => {
  it.each([
    ['12.34', 'USD', 1234],
    ['12.3', 'USD', 1230],
    ['12', 'USD', 1200],
    ['0.01', 'USD', 1],
    ['-0.05', 'USD', -5],
    ['-12.34', 'USD', -1234],
    ['12.340', 'USD', 1234],
    ['007.50', 'EUR', 750],
    ['100', 'JPY', 100],
    ['100.00', 'JPY', 100],
    ['-1500', 'KRW', -1500],
    ['1.234', 'BHD', 1234],
    ['0.001', 'KWD', 1],
    ['-7.5', 'JOD', -7500],
    ['1.0001', 'CLF', 10001],
    ['90071992547409.91', 'USD', Number.MAX_SAFE_INTEGER],
  ] as const)('fromDecimalString(%s, %s) = %i', (text, currency, amount) => {
    expect(fromDecimalString(text, currency)).toEqual(money(amount, currency));
  });

  it('never yields -0', () => {
    expect(Object.is(fromDecimalString('-0.00', 'USD').amount, 0)).toBe(true);
  });

  it.each([
    ['12.345', 'USD'],
    ['0.001', 'USD'],
    ['100.5', 'JPY'],
    ['1.2345', 'BHD'],
  ] as const)('rejects %s %s: too many decimals for the currency', (text, currency) => {
    expect(() => fromDecimalString(text, currency)).toThrow(/decimal place/);
    expect(codeOf(() => fromDecimalString(text, currency))).toBe('invalid_decimal');
  });

  it.each(['', ' 1', '1 ', '1,00', '1e3', '+1', '.5', '5.', 'abc', '--1', '0x10', '1.2.3', 'NaN'])(
    'rejects malformed input %j',
    (text) => {
      expect(codeOf(() => fromDecimalString(text, 'USD'))).toBe('invalid_decimal');
    },
  );

  it('rejects non-strings and amounts beyond the safe range', () => {
    expect(codeOf(() => fromDecimalString(12.34 as never, 'USD'))).toBe('invalid_decimal');
    expect(codeOf(() => fromDecimalString('90071992547409.92', 'USD'))).toBe('money_overflow');
    expect(codeOf(() => fromDecimalString('1', 'ABC' as never))).toBe('unknown_currency');
  });

  it.each([
    [1234, 'USD', '12.34'],
    [-5, 'USD', '-0.05'],
    [0, 'USD', '0.00'],
    [100, 'USD', '1.00'],
    [100, 'JPY', '100'],
    [-100, 'JPY', '-100'],
    [1, 'BHD', '0.001'],
    [1234567, 'KWD', '1234.567'],
    [10001, 'CLF', '1.0001'],
  ] as const)('toDecimalString(%i %s) = %s', (amount, currency, text) => {
    expect(toDecimalString(money(amount, currency))).toBe(text);
  });

  it('round-trips random amounts in every exponent', () => {
    const random = seededRandom(42);
    for (const currency of ['USD', 'JPY', 'BHD', 'CLF'] as const) {
      for (let i = 0; i < 500; i++) {
        const amount = Math.floor((random() - 0.5) * 2 * Number.MAX_SAFE_INTEGER);
        const m = money(amount, currency);
        expect(fromDecimalString(toDecimalString(m), currency)).toEqual(m);
      }
    }
  });
});

describe('multiplyByRate', () => {
  it('applies a tax rate exactly', () => {
    expect(multiplyByRate(usd(10000), '0.0825', 'half-up')).toEqual(usd(825));
    expect(multiplyByRate(usd(1999), '0.19', 'half-even')).toEqual(usd(380)); // 379.81
    expect(multiplyByRate(usd(1234), '1', 'down')).toEqual(usd(1234));
    expect(multiplyByRate(usd(1234), '0', 'up')).toEqual(usd(0));
  });

  it('rounds with the named mode', () => {
    // 1 cent × 0.5 = 0.5 cents; 3 cents × 0.5 = 1.5 cents
    const cases: [number, Record<RoundingMode, number>][] = [
      [1, { 'half-even': 0, 'half-up': 1, down: 0, up: 1 }],
      [3, { 'half-even': 2, 'half-up': 2, down: 1, up: 2 }],
      [-3, { 'half-even': -2, 'half-up': -2, down: -1, up: -2 }],
    ];
    for (const [amount, expected] of cases) {
      for (const mode of ROUNDING_MODES) {
        expect(multiplyByRate(usd(amount), '0.5', mode).amount, `${amount} ${mode}`).toBe(
          expected[mode],
        );
      }
    }
  });

  it('converts with an FX rate without float error', () => {
    // 123.45 × 1.08711 = 134.2037295 → float math would give 13420.372949999999
    expect(multiplyByRate(usd(12345), '1.08711', 'half-even')).toEqual(usd(13420));
    expect(multiplyByRate(usd(12345), '-1.5', 'half-up')).toEqual(usd(-18518)); // −18517.5
  });

  it('rejects malformed rates', () => {
    expect(codeOf(() => multiplyByRate(usd(1), '8.25%', 'half-up'))).toBe('invalid_decimal');
    expect(codeOf(() => multiplyByRate(usd(1), '1e-2', 'half-up'))).toBe('invalid_decimal');
  });
});

describe('prorate', () => {
  it('prorates with every rounding mode', () => {
    // 1001 × 1/2 = 500.5
    const expected: Record<RoundingMode, number> = {
      'half-even': 500,
      'half-up': 501,
      down: 500,
      up: 501,
    };
    for (const mode of ROUNDING_MODES) {
      expect(prorate(usd(1001), 1, 2, mode).amount, mode).toBe(expected[mode]);
      expect(prorate(usd(-1001), 1, 2, mode).amount, mode).toBe(-expected[mode]);
    }
    expect(prorate(usd(1000), 15, 30, 'half-up')).toEqual(usd(500));
    expect(prorate(usd(1000), 1n, 3n, 'half-even')).toEqual(usd(333));
    expect(prorate(usd(1000), 2, 3, 'half-even')).toEqual(usd(667));
  });

  it('rejects a non-positive denominator and non-integer ratios', () => {
    expect(codeOf(() => prorate(usd(1), 1, 0, 'down'))).toBe('invalid_argument');
    expect(codeOf(() => prorate(usd(1), 1, -2, 'down'))).toBe('invalid_argument');
    expect(codeOf(() => prorate(usd(1), 0.5, 2, 'down'))).toBe('invalid_argument');
  });
});

describe('allocate', () => {
  it('splits evenly with the leftover going to the earliest parts', () => {
    expect(allocate(usd(100), [1, 1, 1]).map((m) => m.amount)).toEqual([34, 33, 33]);
    expect(allocate(usd(-100), [1, 1, 1]).map((m) => m.amount)).toEqual([-34, -33, -33]);
    expect(allocate(usd(5), [1, 1, 1, 1, 1, 1]).map((m) => m.amount)).toEqual([1, 1, 1, 1, 1, 0]);
  });

  it('gives leftovers to the largest remainders first', () => {
    // exact shares 100 × [3, 7, 5] / 15 = 20, 46.67, 33.33
    expect(allocate(usd(100), [3, 7, 5]).map((m) => m.amount)).toEqual([20, 47, 33]);
    // 1000 over 31 and 28 days: 525.42, 474.58
    expect(allocate(usd(1000), [31n, 28n]).map((m) => m.amount)).toEqual([525, 475]);
  });

  it('gives zero weights zero', () => {
    expect(allocate(usd(10), [0, 1, 0]).map((m) => m.amount)).toEqual([0, 10, 0]);
    expect(allocate(usd(0), [1, 2]).map((m) => m.amount)).toEqual([0, 0]);
  });

  it('rejects empty, negative, fractional and all-zero weights', () => {
    expect(codeOf(() => allocate(usd(1), []))).toBe('invalid_argument');
    expect(codeOf(() => allocate(usd(1), [1, -1]))).toBe('invalid_argument');
    expect(codeOf(() => allocate(usd(1), [0.5, 1]))).toBe('invalid_argument');
    expect(codeOf(() => allocate(usd(1), [0, 0]))).toBe('invalid_argument');
  });

  it('never loses or invents a minor unit (5,000 seeded random cases)', () => {
    const random = seededRandom(20250301);
    const int = (max: number) => Math.floor(random() * max);
    for (let run = 0; run < 5000; run++) {
      const scale = [10, 1000, 1e6, Number.MAX_SAFE_INTEGER][int(4)] ?? 10;
      const amount = int(scale) * (random() < 0.3 ? -1 : 1);
      const weights: (number | bigint)[] = Array.from({ length: 1 + int(12) }, () =>
        random() < 0.15 ? 0 : int([3, 100, 1e9][int(3)] ?? 3),
      );
      if (!weights.some((w) => w !== 0)) weights.push(1);
      if (random() < 0.2) weights[0] = BigInt(weights[0] ?? 0);
      const total = money(amount, 'USD');
      const parts = allocate(total, weights);

      expect(parts).toHaveLength(weights.length);
      expect(sum(parts, 'USD')).toEqual(total);
      const totalWeight = weights.reduce<bigint>((acc, w) => acc + BigInt(w), 0n);
      parts.forEach((part, i) => {
        const weight = BigInt(weights[i] ?? 0);
        const exact = BigInt(Math.abs(amount)) * weight; // share × totalWeight
        const got = BigInt(Math.abs(part.amount)) * totalWeight;
        // every part is its exact share rounded down or up by less than one unit
        expect(got <= exact + totalWeight && got + totalWeight > exact).toBe(true);
        if (weight === 0n) expect(part.amount).toBe(0);
        if (amount !== 0 && part.amount !== 0)
          expect(Math.sign(part.amount)).toBe(Math.sign(amount));
      });
      expect(allocate(total, weights)).toEqual(parts); // deterministic
    }
  });
});

describe('MoneySchema', () => {
  it('accepts integer minor units in a known currency', () => {
    expect(MoneySchema.parse({ amount: -5, currency: 'JPY' })).toEqual({
      amount: -5,
      currency: 'JPY',
    });
  });

  it('rejects floats, unsafe integers, strings and unknown currencies with paths', () => {
    const paths = (value: unknown) =>
      MoneySchema.safeParse(value).error?.issues.map((i) => i.path.join('.'));
    expect(paths({ amount: 12.5, currency: 'USD' })).toEqual(['amount']);
    expect(paths({ amount: 2 ** 53, currency: 'USD' })).toEqual(['amount']);
    expect(paths({ amount: '1250', currency: 'USD' })).toEqual(['amount']);
    expect(paths({ amount: 1, currency: 'usd' })).toEqual(['currency']);
    expect(paths({ amount: 1, currency: 'USD', extra: true })).toBeUndefined();
  });
});
