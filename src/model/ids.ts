import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ModelError } from './errors.ts';
import type { RandomSource } from './seeded-random.ts';

/** Crockford base32: no I, L, O or U, so ids survive being read aloud or typed. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_LENGTH = 10;
const RANDOM_LENGTH = 16;
const MAX_TIME = 2 ** 48 - 1;
const PREFIX = /^[a-z][a-z0-9]{1,15}$/;
// 48 bits of time in 10 base32 characters leave the first character at most 7.
const ULID_PATTERN = '[0-7][0-9A-HJKMNP-TV-Z]{25}';
const ID = new RegExp(`^([a-z][a-z0-9]{1,15})_(${ULID_PATTERN})$`);

/** The id prefix of every canonical kind of object. */
export const ID_PREFIXES = {
  customer: 'cus',
  contact: 'ctc',
  product: 'prd',
  price: 'prc',
  contract: 'ctr',
  contract_line: 'ctl',
  subscription: 'sub',
  subscription_item: 'sbi',
  invoice: 'inv',
  invoice_line: 'inl',
  credit_note: 'crn',
  credit_note_line: 'cnl',
  payment: 'pay',
  usage_record: 'usg',
  revenue_schedule: 'rvs',
  journal_entry: 'jrn',
  event: 'evt',
} as const;

/** A kind of canonical object that has an id. */
export type IdKind = keyof typeof ID_PREFIXES;

/** Options for {@link newId}: a fixed clock and a seeded random source make ids replayable. */
export interface NewIdOptions {
  /** Creation time (epoch milliseconds or a Date); defaults to `Date.now()`. */
  now?: number | Date;
  /** Random source in `[0, 1)`; defaults to `crypto.getRandomValues`. */
  random?: RandomSource;
}

/**
 * A new canonical id: `<prefix>_<ULID>`, e.g. `cus_01J9Z8Q4V7E2K5M3N6P8R0S2T4`. The ULID is
 * 48 bits of millisecond time then 80 random bits in Crockford base32, so ids sort by creation
 * time as plain strings. Ids made in the same millisecond are in random order; use
 * {@link createIdFactory} when that order matters.
 *
 * @throws ModelError `invalid_id` for a bad prefix or a time outside the 48-bit range.
 */
export function newId(prefix: string, options: NewIdOptions = {}): string {
  checkPrefix(prefix);
  const time = encodeTime(timeOf(options.now));
  if (options.random === undefined) return `${prefix}_${time}${pooledRandomPart()}`;
  return `${prefix}_${time}${randomDigits(options.random)
    .map((d) => ALPHABET[d])
    .join('')}`;
}

// Random bytes drawn from the system generator 4 KiB at a time rather than 16 bytes per id (ids
// are made on every webhook); each byte is still used once.
const POOL = new Uint8Array(4096);
let poolAt = POOL.length;

/** 16 base32 digits from the pool (each from the low 5 bits of one byte: 256 is 8 × 32). */
function pooledRandomPart(): string {
  if (poolAt + RANDOM_LENGTH > POOL.length) {
    crypto.getRandomValues(POOL);
    poolAt = 0;
  }
  let out = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) out += ALPHABET[POOL[poolAt++]! & 31];
  return out;
}

/**
 * The canonical id of something revsync first met in another system: derived from a stable key
 * (e.g. `salesforce:Account:001…`), so the same outside object always maps to the same canonical
 * id, whichever process or replay computes it. The ULID time part is `at` (default 0), the rest
 * comes from a SHA-256 of the key.
 */
export function stableId(prefix: string, key: string, at: number | Date = 0): string {
  checkPrefix(prefix);
  const digest = createHash('sha256').update(key).digest();
  const digits = Array.from(digest.subarray(0, RANDOM_LENGTH), (b) => b & 31);
  return `${prefix}_${encodeTime(timeOf(at))}${digits.map((d) => ALPHABET[d]).join('')}`;
}

/**
 * A generator of strictly increasing ids (the ULID "monotonic" rule): within one millisecond,
 * or if the clock steps back, the random part of the previous id is incremented instead of
 * drawn afresh. One counter is shared by all prefixes.
 */
export function createIdFactory(
  options: {
    now?: () => number | Date;
    random?: RandomSource;
  } = {},
): (prefix: string) => string {
  let lastTime = -1;
  let lastDigits: number[] = [];
  return (prefix) => {
    checkPrefix(prefix);
    const time = timeOf(options.now?.());
    if (time > lastTime) {
      lastTime = time;
      lastDigits = randomDigits(options.random);
    } else {
      lastDigits = increment(lastDigits);
    }
    return `${prefix}_${encodeTime(lastTime)}${lastDigits.map((d) => ALPHABET[d]).join('')}`;
  };
}

/** The parts of a canonical id. */
export interface ParsedId {
  prefix: string;
  ulid: string;
  /** Creation time encoded in the id. */
  timestamp: Date;
}

/** Splits a canonical id into prefix, ULID and creation time. @throws ModelError `invalid_id` */
export function parseId(id: string): ParsedId {
  const match = typeof id === 'string' ? ID.exec(id) : null;
  if (match === null) {
    throw new ModelError('invalid_id', `not a canonical id: ${JSON.stringify(id)}`);
  }
  const [, prefix = '', ulid = ''] = match;
  let time = 0;
  for (const char of ulid.slice(0, TIME_LENGTH)) time = time * 32 + ALPHABET.indexOf(char);
  return { prefix, ulid, timestamp: new Date(time) };
}

/** True when `value` is a canonical id, optionally with the given prefix. */
export function isId(value: unknown, prefix?: string): value is string {
  if (typeof value !== 'string') return false;
  const match = ID.exec(value);
  return match !== null && (prefix === undefined || match[1] === prefix);
}

/** Zod schema of a canonical id with the given prefix. */
export function idSchema(prefix: string): z.ZodString {
  checkPrefix(prefix);
  return z
    .string()
    .regex(new RegExp(`^${prefix}_${ULID_PATTERN}$`), `must be a canonical ${prefix}_ id`);
}

/** Zod schema of each kind's canonical id, e.g. `idSchemas.customer` accepts `cus_01J…`. */
export const idSchemas = Object.fromEntries(
  Object.entries(ID_PREFIXES).map(([kind, prefix]) => [kind, idSchema(prefix)]),
) as { readonly [K in IdKind]: z.ZodString };

function checkPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new ModelError(
      'invalid_id',
      `id prefix must be 2–16 lowercase letters or digits starting with a letter, got ${JSON.stringify(prefix)}`,
    );
  }
}

function timeOf(now: number | Date | undefined): number {
  const time = now === undefined ? Date.now() : now instanceof Date ? now.getTime() : now;
  if (!Number.isInteger(time) || time < 0 || time > MAX_TIME) {
    throw new ModelError(
      'invalid_id',
      `id time must be epoch milliseconds in 0..2^48−1, got ${time}`,
    );
  }
  return time;
}

function encodeTime(time: number): string {
  let out = '';
  for (let i = 0; i < TIME_LENGTH; i++) {
    out = ALPHABET[time % 32] + out;
    time = Math.floor(time / 32);
  }
  return out;
}

function randomDigits(random: RandomSource | undefined): number[] {
  if (random === undefined) {
    const bytes = crypto.getRandomValues(new Uint8Array(RANDOM_LENGTH));
    return Array.from(bytes, (b) => b & 31); // 256 is a multiple of 32, so this stays uniform
  }
  return Array.from({ length: RANDOM_LENGTH }, () => {
    const r = random();
    if (!(r >= 0 && r < 1)) {
      throw new ModelError('invalid_argument', `random source must return [0, 1), got ${r}`);
    }
    return Math.floor(r * 32);
  });
}

function increment(digits: readonly number[]): number[] {
  const next = [...digits];
  for (let i = next.length - 1; i >= 0; i--) {
    if ((next[i] ?? 0) < 31) {
      next[i] = (next[i] ?? 0) + 1;
      return next;
    }
    next[i] = 0;
  }
  throw new ModelError('invalid_id', 'id factory: random part overflowed within one millisecond');
}

/**
 * The canonical customer id of a CRM account: the same account always maps to the same
 * customer, whichever flow, process or replay computes it.
 */
export function customerIdForAccount(system: string, accountId: string): string {
  return stableId('cus', `${system}:account:${accountId}`);
}

/** The canonical contract id of a won CRM opportunity. */
export function contractIdForOpportunity(system: string, opportunityId: string): string {
  return stableId('ctr', `${system}:opportunity:${opportunityId}`);
}
