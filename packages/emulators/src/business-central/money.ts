/** Currency precision: BC rounds amounts to the currency's "Amount Rounding Precision". */

const DECIMALS: Readonly<Record<string, number>> = {
  JPY: 0,
  KRW: 0,
  ISK: 0,
  HUF: 2,
  BHD: 3,
  KWD: 3,
  JOD: 3,
  OMR: 3,
  TND: 3,
};

export function decimalsOf(currency: string): number {
  return DECIMALS[currency.toUpperCase()] ?? 2;
}

/** A JSON decimal (BC sends amounts as numbers) to minor units, half away from zero. */
export function toMinor(value: number, currency: string): number {
  const scaled = value * 10 ** decimalsOf(currency);
  // Strip binary noise (1.005 * 100 = 100.49999…) before rounding.
  const clean = Number(scaled.toFixed(6));
  return Math.sign(clean) * Math.round(Math.abs(clean));
}

/** Minor units back to the JSON decimal. */
export function fromMinor(minor: number, currency: string): number {
  const d = decimalsOf(currency);
  return Number((minor / 10 ** d).toFixed(d));
}

/** `minor` × `percent` / 100, rounded half away from zero in minor units. */
export function percentOf(minor: number, percent: number): number {
  const raw = Number(((minor * percent) / 100).toFixed(6));
  return Math.sign(raw) * Math.round(Math.abs(raw));
}
