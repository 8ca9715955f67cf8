import { describe, expect, it } from 'vitest';
import {
  addDecimal,
  decimalFromNumber,
  divideDecimal,
  formatDecimal,
  minorUnitsToJson,
  multiplyDecimal,
  parseDecimal,
  roundDecimal,
  toMinorUnits,
} from './decimal.ts';

const d = (text: string) => {
  const v = parseDecimal(text);
  if (!v) throw new Error(`not a decimal: ${text}`);
  return v;
};

describe('decimal', () => {
  it('reads JSON numbers as the decimals they were written as', () => {
    expect(formatDecimal(decimalFromNumber(123.45)!)).toBe('123.45');
    expect(formatDecimal(decimalFromNumber(0.1)!)).toBe('0.1');
    expect(formatDecimal(decimalFromNumber(1e-7)!)).toBe('0.0000001');
    expect(formatDecimal(decimalFromNumber(1e21)!)).toBe('1000000000000000000000');
    expect(decimalFromNumber(Number.NaN)).toBeUndefined();
    expect(parseDecimal('12a')).toBeUndefined();
    expect(formatDecimal(d('-0.50'))).toBe('-0.5');
  });

  it('adds without float drift', () => {
    let sum = d('0');
    for (let i = 0; i < 10; i++) sum = addDecimal(sum, decimalFromNumber(0.1)!);
    expect(formatDecimal(sum)).toBe('1');
  });

  it('converts to minor units only when the currency has enough decimals', () => {
    expect(toMinorUnits(d('123.45'), 2)).toBe(12345);
    expect(toMinorUnits(d('123.4'), 2)).toBe(12340);
    expect(toMinorUnits(d('1.005'), 2)).toBeUndefined();
    expect(toMinorUnits(d('1000'), 0)).toBe(1000);
    expect(toMinorUnits(d('1000.5'), 0)).toBeUndefined();
    expect(toMinorUnits(d('1.230'), 2)).toBe(123);
    expect(minorUnitsToJson(12345, 2)).toBe(123.45);
    expect(minorUnitsToJson(-5, 2)).toBe(-0.05);
  });

  it('rounds half away from zero and divides exactly', () => {
    expect(formatDecimal(roundDecimal(d('2.345'), 2))).toBe('2.35');
    expect(formatDecimal(roundDecimal(d('-2.345'), 2))).toBe('-2.35');
    expect(formatDecimal(roundDecimal(multiplyDecimal(d('3'), d('33.333')), 2))).toBe('100');
    expect(formatDecimal(divideDecimal(d('10'), d('3'), 4)!)).toBe('3.3333');
    expect(formatDecimal(divideDecimal(d('-2'), d('3'), 2)!)).toBe('-0.67');
    expect(divideDecimal(d('1'), d('0'), 2)).toBeUndefined();
  });
});
