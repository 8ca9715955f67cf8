import { randomBytes } from 'node:crypto';
import { toDecimalString, type Money } from '../../model/money.ts';

// A per-process marker no real string contains, so the swap below touches only our numbers.
const MARKER = `__revsync_decimal_${randomBytes(6).toString('hex')}:`;
const DECIMAL_TEXT = /^-?\d+(?:\.\d+)?$/;
const MARKED = new RegExp(`"${MARKER}(-?\\d+(?:\\.\\d+)?)"`, 'g');

/**
 * A JSON number written with exactly the digits given (`12.30` stays `12.30`), never through a
 * binary float: NetSuite reads amounts as decimals, and `Number('90071992547409.91')` is not.
 */
export class JsonDecimal {
  readonly text: string;

  constructor(text: string) {
    if (!DECIMAL_TEXT.test(text)) throw new TypeError(`not a decimal: ${JSON.stringify(text)}`);
    this.text = text;
  }

  /** `Money` in major units with the currency's decimals (`{1234, USD}` → `12.34`). */
  static of(m: Money): JsonDecimal {
    return new JsonDecimal(toDecimalString(m));
  }

  toJSON(): string {
    return `${MARKER}${this.text}`;
  }
}

/** `JSON.stringify`, with every {@link JsonDecimal} written as a bare JSON number. */
export function stringifyWithDecimals(value: unknown): string {
  return JSON.stringify(value).replace(MARKED, '$1');
}
