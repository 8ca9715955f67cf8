/**
 * An exact decimal number: `units / 10^scale`. NetSuite sends and expects money as JSON
 * decimals (`"amount": 123.45`); the emulator turns them into exact values at once and never
 * does arithmetic on binary floats.
 */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

function normalize(d: Decimal): Decimal {
  let { units, scale } = d;
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  return { units, scale };
}

/** Parses `"123.45"`, `"-0.5"`, `"1e-7"`; `undefined` when the text is not a plain number. */
export function parseDecimal(text: string): Decimal | undefined {
  const m = DECIMAL_TEXT.exec(text.trim());
  if (!m) return undefined;
  const whole = m[2] ?? '';
  const fraction = m[3] ?? '';
  if (whole === '' && fraction === '') return undefined;
  let digits = whole + fraction;
  let scale = fraction.length - Number(m[4] ?? '0');
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  const units = BigInt(digits === '' ? '0' : digits);
  return normalize({ units: m[1] === '-' ? -units : units, scale });
}

/**
 * A JSON number as the decimal it was written as. `String(n)` is the shortest text that reads
 * back as `n`, so `123.45` becomes exactly 123.45 for any value of up to 15 significant digits.
 */
export function decimalFromNumber(n: number): Decimal | undefined {
  return Number.isFinite(n) ? parseDecimal(String(n)) : undefined;
}

/** A decimal from an integer. */
export function decimalFromInteger(n: number | bigint): Decimal {
  return { units: BigInt(n), scale: 0 };
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [
    a.units * 10n ** BigInt(scale - a.scale),
    b.units * 10n ** BigInt(scale - b.scale),
    scale,
  ];
}

/** `a + b`. */
export function addDecimal(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b);
  return normalize({ units: x + y, scale });
}

/** `a - b`. */
export function subtractDecimal(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b);
  return normalize({ units: x - y, scale });
}

/** `a × b`. */
export function multiplyDecimal(a: Decimal, b: Decimal): Decimal {
  return normalize({ units: a.units * b.units, scale: a.scale + b.scale });
}

/** `a ÷ b` rounded half away from zero to `digits` decimals; `undefined` when `b` is zero. */
export function divideDecimal(a: Decimal, b: Decimal, digits: number): Decimal | undefined {
  if (b.units === 0n) return undefined;
  // a/b = (a.units / b.units) × 10^(b.scale − a.scale); scale the numerator to keep `digits`.
  const shift = digits + b.scale - a.scale;
  let num = a.units;
  let den = b.units;
  if (shift >= 0) num *= 10n ** BigInt(shift);
  else den *= 10n ** BigInt(-shift);
  const negative = num < 0n !== den < 0n;
  const n = num < 0n ? -num : num;
  const d = den < 0n ? -den : den;
  let q = n / d;
  if ((n % d) * 2n >= d) q += 1n;
  return normalize({ units: negative ? -q : q, scale: digits });
}

/** Negative, zero or positive as `a` is less than, equal to or greater than `b`. */
export function compareDecimal(a: Decimal, b: Decimal): number {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Rounds half away from zero to `digits` decimals. */
export function roundDecimal(d: Decimal, digits: number): Decimal {
  if (d.scale <= digits) return d;
  const divisor = 10n ** BigInt(d.scale - digits);
  const negative = d.units < 0n;
  const abs = negative ? -d.units : d.units;
  let q = abs / divisor;
  if ((abs % divisor) * 2n >= divisor) q += 1n;
  return normalize({ units: negative ? -q : q, scale: digits });
}

/** Plain decimal text without trailing zeros: `123.45`, `-0.5`, `100`. */
export function formatDecimal(d: Decimal): string {
  const negative = d.units < 0n;
  let digits = (negative ? -d.units : d.units).toString();
  if (d.scale > 0) {
    digits = digits.padStart(d.scale + 1, '0');
    digits = `${digits.slice(0, -d.scale)}.${digits.slice(-d.scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

/**
 * The amount in integer minor units of a currency with `digits` decimals, or `undefined` when it
 * has more decimals than the currency allows or does not fit a safe integer.
 */
export function toMinorUnits(d: Decimal, digits: number): number | undefined {
  const n = normalize(d);
  if (n.scale > digits) return undefined;
  const units = n.units * 10n ** BigInt(digits - n.scale);
  const asNumber = Number(units);
  return Number.isSafeInteger(asNumber) ? asNumber : undefined;
}

/** Integer minor units back to a decimal. */
export function fromMinorUnits(minor: number, digits: number): Decimal {
  return normalize({ units: BigInt(minor), scale: digits });
}

/** Integer minor units as the JSON number NetSuite would send (`12345`, 2 → `123.45`). */
export function minorUnitsToJson(minor: number, digits: number): number {
  return Number(formatDecimal(fromMinorUnits(minor, digits)));
}
