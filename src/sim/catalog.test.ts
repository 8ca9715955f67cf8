import { describe, expect, it } from 'vitest';
import { CATALOG, SIM_REGIONS, simRegions } from './catalog.ts';

describe('simRegions', () => {
  it('gives the default regions themselves for the default currencies (seeds replay)', () => {
    expect(simRegions()).toBe(SIM_REGIONS);
    expect(simRegions(['eur', 'USD', 'GBP'])).toBe(SIM_REGIONS);
  });

  it('adds Japan for JPY and scales the weights to one', () => {
    const regions = simRegions(['USD', 'GBP', 'JPY']);
    expect(regions.map((r) => `${r.region}:${r.currency}`)).toEqual(['NA:USD', 'UK:GBP', 'JP:JPY']);
    expect(regions.reduce((s, r) => s + r.weight, 0)).toBeCloseTo(1, 10);
    expect(CATALOG.every((p) => Number.isInteger(p.price.JPY))).toBe(true);
  });

  it('refuses a currency no region sells in', () => {
    expect(() => simRegions(['USD', 'CHF'])).toThrow(/CHF/);
    expect(() => simRegions([])).toThrow(RangeError);
  });
});
