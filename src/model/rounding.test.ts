import { describe, expect, it } from 'vitest';
import { ModelError } from './errors.ts';
import { divideAndRound, ROUNDING_MODES, type RoundingMode } from './rounding.ts';

// numerator/10 → expected result per mode
const TABLE: [bigint, Record<RoundingMode, bigint>][] = [
  [25n, { 'half-even': 2n, 'half-up': 3n, down: 2n, up: 3n }],
  [35n, { 'half-even': 4n, 'half-up': 4n, down: 3n, up: 4n }],
  [24n, { 'half-even': 2n, 'half-up': 2n, down: 2n, up: 3n }],
  [26n, { 'half-even': 3n, 'half-up': 3n, down: 2n, up: 3n }],
  [20n, { 'half-even': 2n, 'half-up': 2n, down: 2n, up: 2n }],
  [5n, { 'half-even': 0n, 'half-up': 1n, down: 0n, up: 1n }],
  [15n, { 'half-even': 2n, 'half-up': 2n, down: 1n, up: 2n }],
  [-25n, { 'half-even': -2n, 'half-up': -3n, down: -2n, up: -3n }],
  [-35n, { 'half-even': -4n, 'half-up': -4n, down: -3n, up: -4n }],
  [-24n, { 'half-even': -2n, 'half-up': -2n, down: -2n, up: -3n }],
  [-26n, { 'half-even': -3n, 'half-up': -3n, down: -2n, up: -3n }],
  [-5n, { 'half-even': 0n, 'half-up': -1n, down: 0n, up: -1n }],
  [0n, { 'half-even': 0n, 'half-up': 0n, down: 0n, up: 0n }],
];

describe('divideAndRound', () => {
  for (const [numerator, expected] of TABLE) {
    for (const mode of ROUNDING_MODES) {
      it(`${numerator}/10 ${mode} → ${expected[mode]}`, () => {
        expect(divideAndRound(numerator, 10n, mode)).toBe(expected[mode]);
      });
    }
  }

  it('handles a negative denominator like a negative numerator', () => {
    for (const mode of ROUNDING_MODES) {
      expect(divideAndRound(25n, -10n, mode)).toBe(divideAndRound(-25n, 10n, mode));
    }
  });

  it('is symmetric around zero in every mode', () => {
    for (const mode of ROUNDING_MODES) {
      for (let n = -50n; n <= 50n; n++) {
        expect(divideAndRound(-n, 7n, mode) === -divideAndRound(n, 7n, mode)).toBe(true);
      }
    }
  });

  it('works beyond the safe-integer range', () => {
    const big = 10n ** 30n + 5n;
    expect(divideAndRound(big, 10n, 'half-even')).toBe(10n ** 29n);
    expect(divideAndRound(big, 10n, 'half-up')).toBe(10n ** 29n + 1n);
  });

  it('rejects division by zero and unknown modes', () => {
    expect(() => divideAndRound(1n, 0n, 'down')).toThrow(ModelError);
    expect(() => divideAndRound(1n, 3n, 'nearest' as RoundingMode)).toThrow(/unknown rounding/);
  });
});
