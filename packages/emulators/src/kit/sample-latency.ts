import type { LatencySpec } from './fault-config.ts';
import type { Rng } from './rng.ts';

/** 2.326 is the standard normal's 99th percentile. */
const Z99 = 2.326;

/**
 * Draws one value (ms) from a latency distribution; `undefined` is 0. `normal` is log-normal
 * with the given median and 99th percentile (skewed right, like real latency), capped at 10×p99.
 */
export function sampleLatency(rng: Rng, spec: LatencySpec | undefined): number {
  if (!spec) return 0;
  switch (spec.kind) {
    case 'fixed':
      return spec.ms;
    case 'uniform':
      return spec.min + rng.next() * (spec.max - spec.min);
    case 'normal': {
      if (spec.p50 === 0) return 0;
      const sigma = Math.log(spec.p99 / spec.p50) / Z99;
      const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
      return Math.min(spec.p50 * Math.exp(sigma * z), spec.p99 * 10);
    }
  }
}
