/** The currencies the simulated company sells in. */
export type SimCurrency = 'USD' | 'GBP' | 'EUR' | 'JPY';

/** The simulated company's price list: three products, priced per region currency (minor units). */
export interface CatalogProduct {
  code: string;
  name: string;
  interval: 'month' | 'year';
  /** Seats are bought by quantity; flat products always have quantity 1. */
  perSeat: boolean;
  price: Record<SimCurrency, number>;
}

export const CATALOG: CatalogProduct[] = [
  {
    code: 'PLAT',
    name: 'Platform seat',
    interval: 'month',
    perSeat: true,
    price: { USD: 4_900, GBP: 3_900, EUR: 4_500, JPY: 7_400 },
  },
  {
    code: 'API',
    name: 'API add-on',
    interval: 'month',
    perSeat: false,
    price: { USD: 19_900, GBP: 15_900, EUR: 17_900, JPY: 29_800 },
  },
  {
    code: 'SUP',
    name: 'Premium support',
    interval: 'month',
    perSeat: false,
    price: { USD: 24_900, GBP: 19_900, EUR: 22_900, JPY: 37_400 },
  },
];

/** Annual deals bill every product yearly at ten months' price (two months free). */
export function annualPrice(product: CatalogProduct, currency: SimCurrency): number {
  return product.price[currency] * 10;
}

/** A region customers are spread over, with its currency and share of new customers. */
export interface SimRegion {
  region: string;
  currency: SimCurrency;
  countries: string[];
  weight: number;
}

/** Regions as the simulation spreads customers over them (matches the demo configuration). */
export const SIM_REGIONS: readonly SimRegion[] = [
  { region: 'NA', currency: 'USD', countries: ['US', 'US', 'US', 'CA'], weight: 0.45 },
  { region: 'UK', currency: 'GBP', countries: ['GB'], weight: 0.25 },
  { region: 'EU', currency: 'EUR', countries: ['DE', 'FR', 'NL'], weight: 0.3 },
];

/** Japan (yen, no minor unit): in a simulation only when its currency is asked for. */
const JP_REGION: SimRegion = { region: 'JP', currency: 'JPY', countries: ['JP'], weight: 0.3 };

/**
 * The regions of a simulation selling in `currencies` (each region's currency), their weights
 * scaled to sum to one. The default three give {@link SIM_REGIONS} itself, so seeds replay.
 */
export function simRegions(
  currencies: readonly string[] = ['USD', 'GBP', 'EUR'],
): readonly SimRegion[] {
  const wanted = new Set(currencies.map((c) => c.toUpperCase()));
  const all = [...SIM_REGIONS, JP_REGION];
  const unknown = [...wanted].filter((c) => !all.some((r) => r.currency === c));
  if (unknown.length > 0 || wanted.size === 0) {
    throw new RangeError(
      `currencies: ${unknown.join(', ') || 'none'} (choose from ${all.map((r) => r.currency).join(', ')})`,
    );
  }
  const chosen = all.filter((r) => wanted.has(r.currency));
  if (chosen.length === SIM_REGIONS.length && chosen.every((r) => SIM_REGIONS.includes(r))) {
    return SIM_REGIONS;
  }
  const total = chosen.reduce((s, r) => s + r.weight, 0);
  return chosen.map((r) => ({ ...r, weight: r.weight / total }));
}

const ADJECTIVES = [
  'Blue',
  'Bright',
  'North',
  'Silver',
  'Rapid',
  'Quiet',
  'Golden',
  'Prime',
  'Open',
  'Clear',
  'Bold',
  'Urban',
  'Summit',
  'Coastal',
  'Lunar',
];
const NOUNS = [
  'Harbor',
  'Ledger',
  'Forge',
  'Orbit',
  'Canvas',
  'Signal',
  'Meadow',
  'Vector',
  'Beacon',
  'Atlas',
  'Pixel',
  'Anchor',
  'Cedar',
  'Falcon',
  'Quarry',
];
const SUFFIXES: Record<string, string[]> = {
  US: ['Inc.', 'LLC', 'Corp.'],
  CA: ['Inc.', 'Ltd.'],
  GB: ['Ltd', 'PLC'],
  DE: ['GmbH', 'AG'],
  FR: ['SAS', 'SA'],
  NL: ['B.V.', 'N.V.'],
};

/** A deterministic company name and domain for customer `i`. */
export function companyName(i: number, country: string): { name: string; domain: string } {
  const adjective = ADJECTIVES[i % ADJECTIVES.length]!;
  const noun = NOUNS[Math.floor(i / ADJECTIVES.length) % NOUNS.length]!;
  const round = Math.floor(i / (ADJECTIVES.length * NOUNS.length));
  const base = round === 0 ? `${adjective} ${noun}` : `${adjective} ${noun} ${round + 1}`;
  const suffixes = SUFFIXES[country] ?? ['Inc.'];
  const tld =
    country === 'GB'
      ? 'co.uk'
      : country === 'US' || country === 'CA'
        ? 'com'
        : country.toLowerCase();
  return {
    name: `${base} ${suffixes[i % suffixes.length]}`,
    domain: `${base.toLowerCase().replace(/\s+/g, '')}.${tld}`,
  };
}
