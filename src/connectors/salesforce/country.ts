/**
 * Salesforce address countries are free text unless the org turned on state and country
 * picklists: `US`, `USA`, `United States`, `Deutschland` all occur. This reads them as ISO 3166-1
 * alpha-2 codes, using the runtime's CLDR region names plus the usual aliases.
 */

const ALIASES: Record<string, string> = {
  uk: 'GB',
  greatbritain: 'GB',
  england: 'GB',
  scotland: 'GB',
  wales: 'GB',
  northernireland: 'GB',
  britain: 'GB',
  usa: 'US',
  us: 'US',
  unitedstatesofamerica: 'US',
  america: 'US',
  deutschland: 'DE',
  holland: 'NL',
  thenetherlands: 'NL',
  espana: 'ES',
  osterreich: 'AT',
  schweiz: 'CH',
  suisse: 'CH',
  italia: 'IT',
  sverige: 'SE',
  norge: 'NO',
  danmark: 'DK',
  suomi: 'FI',
  polska: 'PL',
  nippon: 'JP',
  southkorea: 'KR',
  korea: 'KR',
  czechia: 'CZ',
  czechrepublic: 'CZ',
  uae: 'AE',
  // alpha-3 codes seen most in CRM data
  gbr: 'GB',
  deu: 'DE',
  fra: 'FR',
  can: 'CA',
  aus: 'AU',
  nzl: 'NZ',
  irl: 'IE',
  nld: 'NL',
  bel: 'BE',
  lux: 'LU',
  esp: 'ES',
  prt: 'PT',
  ita: 'IT',
  che: 'CH',
  aut: 'AT',
  swe: 'SE',
  nor: 'NO',
  dnk: 'DK',
  fin: 'FI',
  pol: 'PL',
  jpn: 'JP',
  sgp: 'SG',
  ind: 'IN',
  bra: 'BR',
  mex: 'MX',
  zaf: 'ZA',
  are: 'AE',
  isr: 'IL',
  chn: 'CN',
  hkg: 'HK',
  kor: 'KR',
};

/** Codes CLDR names that are not countries: unions, pseudo-regions, withdrawn codes (DD is "Germany" too). */
const NOT_COUNTRIES = new Set([
  ...['EU', 'EZ', 'UN', 'QO', 'XA', 'XB', 'ZZ'],
  ...['AN', 'BU', 'CS', 'DD', 'FX', 'NT', 'SU', 'TP', 'YU', 'ZR'],
]);

let byName: Map<string, string> | undefined;

function key(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}

function names(): Map<string, string> {
  if (byName) return byName;
  byName = new Map(Object.entries(ALIASES));
  const display = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  for (const a of letters) {
    for (const b of letters) {
      const code = a + b;
      if (NOT_COUNTRIES.has(code)) continue;
      const name = display.of(code);
      if (!name || name === code) continue;
      // aliases win: CLDR also names the reserved UK ("United Kingdom")
      if (!byName.has(code.toLowerCase())) byName.set(code.toLowerCase(), code);
      if (!byName.has(key(name))) byName.set(key(name), code);
    }
  }
  return byName;
}

/**
 * The ISO 3166-1 alpha-2 code of a country written as a code or a name (`'us'`, `'USA'`,
 * `'United Kingdom'`, `'Deutschland'`); `undefined` when it is not recognised.
 */
export function toCountryCode(value: string): string | undefined {
  const k = key(value);
  return k === '' ? undefined : names().get(k);
}
