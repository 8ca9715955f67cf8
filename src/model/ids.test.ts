import { describe, expect, it } from 'vitest';
import { ModelError } from './errors.ts';
import { createIdFactory, ID_PREFIXES, idSchema, idSchemas, isId, newId, parseId } from './ids.ts';
import { seededRandom } from './seeded-random.ts';

const ID = /^cus_[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

describe('newId', () => {
  it('makes a prefixed 26-character Crockford ULID', () => {
    const id = newId('cus');
    expect(id).toMatch(ID);
    expect(isId(id, 'cus')).toBe(true);
    expect(isId(id, 'inv')).toBe(false);
  });

  it('draws a fresh random part for every id, across refills of its random pool', () => {
    const ids = Array.from({ length: 1000 }, () => newId('evt', { now: 0 }));
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^evt_0{10}[0-9A-HJKMNP-TV-Z]{16}$/);
    // Every base32 digit turns up in the random parts (16,000 draws of 32 values).
    expect(new Set(ids.map((id) => id.slice(-16)).join('')).size).toBe(32);
  });

  it('is deterministic given a clock and a seeded random source', () => {
    const make = () => newId('inv', { now: 1_735_689_600_000, random: seededRandom(7) });
    expect(make()).toBe(make());
    expect(newId('inv', { now: 0, random: () => 0 })).toBe('inv_00000000000000000000000000');
    expect(newId('inv', { now: 2 ** 48 - 1, random: () => 0.999 })).toBe(
      'inv_7ZZZZZZZZZZZZZZZZZZZZZZZZZ',
    );
  });

  it('encodes the creation time, recoverable with parseId', () => {
    const now = new Date('2025-03-01T12:34:56.789Z');
    const parsed = parseId(newId('sub', { now }));
    expect(parsed.prefix).toBe('sub');
    expect(parsed.ulid).toHaveLength(26);
    expect(parsed.timestamp.toISOString()).toBe(now.toISOString());
  });

  it('sorts by creation time as plain strings', () => {
    const random = seededRandom(1);
    const times = Array.from({ length: 200 }, (_, i) => 1_700_000_000_000 + i * 997);
    const ids = times.map((now) => newId('evt', { now, random }));
    expect([...ids].sort()).toEqual(ids);
  });

  it('rejects bad prefixes, times and random sources', () => {
    for (const prefix of ['', 'c', 'Cus', 'cus_', '1ab', 'a-b', 'abcdefghijklmnopq']) {
      expect(() => newId(prefix), prefix).toThrow(ModelError);
    }
    expect(() => newId('cus', { now: -1 })).toThrow(/0\.\.2\^48/);
    expect(() => newId('cus', { now: 2 ** 48 })).toThrow(ModelError);
    expect(() => newId('cus', { random: () => 1 })).toThrow(/\[0, 1\)/);
  });
});

describe('createIdFactory', () => {
  it('is strictly increasing within one millisecond and when the clock steps back', () => {
    const clock = [5000, 5000, 5000, 4000, 5000, 6000];
    let tick = 0;
    const next = createIdFactory({ now: () => clock[tick++] ?? 6000, random: seededRandom(3) });
    const ids = clock.map(() => next('evt'));
    for (let i = 1; i < ids.length; i++) {
      expect((ids[i] ?? '') > (ids[i - 1] ?? ''), `${ids[i - 1]} < ${ids[i]}`).toBe(true);
    }
    expect(parseId(ids[3] ?? '').timestamp.getTime()).toBe(5000);
    expect(parseId(ids[5] ?? '').timestamp.getTime()).toBe(6000);
  });

  it('carries the increment across digits', () => {
    const next = createIdFactory({ now: () => 0, random: () => 31 / 32 });
    expect(next('evt')).toBe('evt_0000000000ZZZZZZZZZZZZZZZZ');
    expect(() => next('evt')).toThrow(/overflowed/);
  });
});

describe('id schemas', () => {
  it('has a schema per kind that accepts only its own prefix', () => {
    for (const [kind, prefix] of Object.entries(ID_PREFIXES)) {
      const schema = idSchemas[kind as keyof typeof ID_PREFIXES];
      expect(schema.safeParse(newId(prefix)).success, kind).toBe(true);
      expect(schema.safeParse(newId(prefix === 'cus' ? 'inv' : 'cus')).success, kind).toBe(false);
    }
  });

  it('rejects malformed ids', () => {
    const schema = idSchema('cus');
    for (const bad of [
      'cus_01J',
      'cus_01JQ8Z5X7B000000000000000I', // I is not Crockford
      'cus_81JQ8Z5X7B0000000000000000', // time beyond 48 bits
      'cus_01jq8z5x7b0000000000000000', // lowercase
      'cus-01JQ8Z5X7B0000000000000000',
    ]) {
      expect(schema.safeParse(bad).success, bad).toBe(false);
      expect(isId(bad)).toBe(false);
    }
    expect(() => parseId('nope')).toThrow(/not a canonical id/);
  });
});
