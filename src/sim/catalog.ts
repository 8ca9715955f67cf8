/** The simulated company's price list: three products, priced per region currency (minor units). */
export interface CatalogProduct {
  code: string;
  name: string;
  interval: 'month' | 'year';
  /** Seats are bought by quantity; flat products always have quantity 1. */
  perSeat: boolean;
  price: Record<'USD' | 'GBP' | 'EUR', number>;
}

export const CATALOG: CatalogProduct[] = [
  {
    code: 'PLAT',
    name: 'Platform seat',
    interval: 'month',
    perSeat: true,
    price: { USD: 4_900, GBP: 3_900, EUR: 4_500 },
  },
  {
    code: 'API',
    name: 'API add-on',
    interval: 'month',
    perSeat: false,
    price: { USD: 19_900, GBP: 15_900, EUR: 17_900 },
  },
  {
    code: 'SUP',
    name: 'Premium support',
    interval: 'month',
    perSeat: false,
    price: { USD: 24_900, GBP: 19_900, EUR: 22_900 },
  },
];

/** Annual deals bill every product yearly at ten months' price (two months free). */
export function annualPrice(product: CatalogProduct, currency: 'USD' | 'GBP' | 'EUR'): number {
  return product.price[currency] * 10;
}

/** Regions as the simulation spreads customers over them (matches the demo configuration). */
export const SIM_REGIONS = [
  { region: 'NA', currency: 'USD' as const, countries: ['US', 'US', 'US', 'CA'], weight: 0.45 },
  { region: 'UK', currency: 'GBP' as const, countries: ['GB'], weight: 0.25 },
  { region: 'EU', currency: 'EUR' as const, countries: ['DE', 'FR', 'NL'], weight: 0.3 },
];

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
