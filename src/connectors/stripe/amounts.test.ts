import { describe, expect, it } from 'vitest';
import { money } from '../../model/money.ts';
import { ValidationError } from '../../model/revsync-error.ts';
import { fromStripeAmount, stripeExponent, toStripeAmount } from './amounts.ts';

describe('Stripe amounts ↔ Money', () => {
  it('keeps currencies whose exponents agree', () => {
    expect(fromStripeAmount(4999, 'usd')).toEqual(money(4999, 'USD'));
    expect(fromStripeAmount(500, 'jpy')).toEqual(money(500, 'JPY'));
    expect(fromStripeAmount(1230, 'bhd')).toEqual(money(1230, 'BHD'));
    expect(toStripeAmount(money(123_456, 'HUF'))).toEqual({ amount: 123_456, currency: 'huf' });
    expect(toStripeAmount(money(500, 'TWD'))).toEqual({ amount: 500, currency: 'twd' });
  });

  it('converts ISK and UGX (two-decimal in Stripe, zero-decimal in ISO)', () => {
    expect(stripeExponent('ISK')).toBe(2);
    expect(toStripeAmount(money(500, 'ISK'))).toEqual({ amount: 50_000, currency: 'isk' });
    expect(fromStripeAmount(50_000, 'isk')).toEqual(money(500, 'ISK'));
    expect(toStripeAmount(money(3700, 'UGX'))).toEqual({ amount: 370_000, currency: 'ugx' });
    expect(fromStripeAmount(370_000, 'UGX')).toEqual(money(3700, 'UGX'));
    // A legacy fractional króna cannot be an ISO amount: refused, not rounded.
    expect(() => fromStripeAmount(50_050, 'isk')).toThrow(ValidationError);
  });

  it('converts MGA (zero-decimal in Stripe, two-decimal in ISO)', () => {
    expect(stripeExponent('MGA')).toBe(0);
    expect(toStripeAmount(money(12_300, 'MGA'))).toEqual({ amount: 123, currency: 'mga' });
    expect(fromStripeAmount(123, 'mga')).toEqual(money(12_300, 'MGA'));
    expect(() => toStripeAmount(money(12_345, 'MGA'))).toThrow(ValidationError);
  });

  it('round-trips negatives (credits)', () => {
    expect(fromStripeAmount(-50_000, 'isk')).toEqual(money(-500, 'ISK'));
    expect(toStripeAmount(money(-500, 'ISK'))).toEqual({ amount: -50_000, currency: 'isk' });
  });
});
