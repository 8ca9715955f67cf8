import { describe, expect, it } from 'vitest';
import { createClock } from './clock.ts';
import { createRng } from './rng.ts';

describe('createRng', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    const draw = (seed: number | string) => {
      const r = createRng(seed);
      return [r.next(), r.int(1, 6), r.hex(8), r.base62(10), r.pick(['a', 'b', 'c'])];
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).toEqual(draw('42'));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('stays in range', () => {
    const r = createRng(1);
    for (let i = 0; i < 2000; i++) {
      const n = r.int(-2, 2);
      expect(n).toBeGreaterThanOrEqual(-2);
      expect(n).toBeLessThanOrEqual(2);
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
    }
    expect(r.hex(32)).toMatch(/^[0-9a-f]{32}$/);
    expect(r.base62(24)).toMatch(/^[0-9A-Za-z]{24}$/);
    expect(() => r.int(3, 1)).toThrow(RangeError);
    expect(() => r.pick([])).toThrow(RangeError);
  });

  it('hits every value of a small range and honours chance(0) and chance(1)', () => {
    const r = createRng('spread');
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(r.int(0, 9));
    expect(seen.size).toBe(10);
    expect(r.chance(0)).toBe(false);
    expect(r.chance(1)).toBe(true);
  });

  it('forks streams that depend on the seed and label only', () => {
    const a = createRng(7);
    const b = createRng(7);
    b.next();
    b.next();
    expect(a.fork('faults').hex(16)).toBe(b.fork('faults').hex(16));
    expect(a.fork('faults').hex(16)).not.toBe(a.fork('webhooks').hex(16));
    expect(a.fork('x').seed).toBe('7/x');
  });

  it('shuffles without losing elements', () => {
    const items = [1, 2, 3, 4, 5, 6, 7, 8];
    const out = createRng(3).shuffle(items);
    expect([...out].sort()).toEqual(items);
    expect(out).toEqual(createRng(3).shuffle(items));
  });
});

describe('createClock', () => {
  it('follows real time plus an offset', () => {
    let real = 1_000;
    const clock = createClock({ realNow: () => real, start: 50_000 });
    expect(clock.now()).toBe(50_000);
    real += 10;
    expect(clock.now()).toBe(50_010);
    clock.advance(1_000);
    expect(clock.now()).toBe(51_010);
    real += 5;
    expect(clock.now()).toBe(51_015);
    clock.set(2_000_000);
    expect(clock.nowSeconds()).toBe(2_000);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('stands still when frozen', () => {
    let real = 0;
    const clock = createClock({ realNow: () => real, start: 10_000, frozen: true });
    real += 500;
    expect(clock.now()).toBe(10_000);
    expect(clock.advance(2_500)).toBe(12_500);
    expect(clock.frozen).toBe(true);
  });

  it('defaults to the real time', () => {
    const before = Date.now();
    const now = createClock().now();
    expect(now).toBeGreaterThanOrEqual(before);
  });
});
