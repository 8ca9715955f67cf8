/** A seeded, deterministic random source. Never use `Math.random` in an emulator. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** True with probability `p` (p ≤ 0 never draws true, p ≥ 1 always). */
  chance(p: number): boolean;
  /** `n` lowercase hex characters. */
  hex(n: number): string;
  /** `n` characters of [0-9A-Za-z], as in Stripe and Salesforce ids. */
  base62(n: number): string;
  /** Fisher–Yates shuffle into a new array. */
  shuffle<T>(items: readonly T[]): T[];
  /**
   * An independent stream derived from this rng's seed and `label` only, so the streams
   * of two subsystems do not depend on how much either has drawn.
   */
  fork(label: string): Rng;
  /** The seed string this stream was derived from (for state dumps and replays). */
  readonly seed: string;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** cyrb128: spreads a string over four 32-bit words to seed sfc32. */
function hashSeed(str: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/**
 * Creates a seeded random source (sfc32 seeded through cyrb128).
 * The same seed always yields the same sequence, on every platform.
 */
export function createRng(seed: number | string): Rng {
  const seedStr = String(seed);
  let [a, b, c, d] = hashSeed(seedStr);
  // Warm up so that similar seeds diverge at once.
  const sfc32 = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) sfc32();

  const rng: Rng = {
    seed: seedStr,
    next: sfc32,
    int(min, max) {
      if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
        throw new RangeError(`rng.int: bad range [${min}, ${max}]`);
      }
      return min + Math.floor(sfc32() * (max - min + 1));
    },
    pick(items) {
      if (items.length === 0) throw new RangeError('rng.pick: empty array');
      return items[Math.floor(sfc32() * items.length)] as (typeof items)[number];
    },
    chance(p) {
      if (p <= 0) return false;
      if (p >= 1) return true;
      return sfc32() < p;
    },
    hex(n) {
      let out = '';
      for (let i = 0; i < n; i++) out += Math.floor(sfc32() * 16).toString(16);
      return out;
    },
    base62(n) {
      let out = '';
      for (let i = 0; i < n; i++) out += BASE62[Math.floor(sfc32() * 62)];
      return out;
    },
    shuffle(items) {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(sfc32() * (i + 1));
        [out[i], out[j]] = [out[j] as (typeof out)[number], out[i] as (typeof out)[number]];
      }
      return out;
    },
    fork(label) {
      return createRng(`${seedStr}/${label}`);
    },
  };
  return rng;
}
