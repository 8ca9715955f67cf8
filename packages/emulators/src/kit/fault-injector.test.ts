import { describe, expect, it } from 'vitest';
import { createClock } from './clock.ts';
import { FaultConfigError, parseFaultConfig, type FaultConfigInput } from './fault-config.ts';
import { createFaultInjector } from './fault-injector.ts';
import { createRng } from './rng.ts';
import { sampleLatency } from './sample-latency.ts';

const injector = (config: FaultConfigInput | 'none' | 'light' | 'heavy', seed = 1, start = 0) => {
  const clock = createClock({ start, frozen: true });
  return { clock, faults: createFaultInjector({ rng: createRng(seed), clock, config }) };
};
const kinds = (config: FaultConfigInput, seed: number, n = 200) => {
  const { faults } = injector(config, seed);
  return [...Array(n)].map(() => faults.decide('POST', '/v1/customers').action?.kind ?? 'pass');
};

describe('createFaultInjector', () => {
  const noisy: FaultConfigInput = {
    rules: [
      { error: { p: 0.1 }, rateLimitBurst: { p: 0.02, length: 3 }, hang: { p: 0.01, ms: 5 } },
    ],
  };

  it('gives the same fault sequence for the same seed', () => {
    const a = kinds(noisy, 9);
    expect(a).toEqual(kinds(noisy, 9));
    expect(a).not.toEqual(kinds(noisy, 10));
    expect(new Set(a)).toEqual(new Set(['pass', 'error', 'rate_limited', 'hang']));
  });

  it('answers a burst of N consecutive 429s with Retry-After', () => {
    const { faults } = injector({
      rules: [{ rateLimitBurst: { p: 1, length: 3, retryAfterSeconds: 2 } }],
    });
    const first = faults.decide('GET', '/x').action;
    expect(first).toEqual({ kind: 'rate_limited', status: 429, retryAfterSeconds: 2 });
    // p = 1 restarts a burst at once; with p = 0 only the rest of the burst remains.
    const { faults: f2 } = injector({ rules: [{ rateLimitBurst: { p: 0.5, length: 3 } }] }, 4);
    const seq = [...Array(60)].map(() => f2.decide('GET', '/x').action?.kind ?? 'pass');
    const runs = seq
      .join(',')
      .split('pass')
      .filter((r) => r !== '' && r !== ',');
    for (const run of runs) {
      const n = run.split(',').filter(Boolean).length;
      expect(n % 3).toBe(0); // bursts come in whole multiples of their length
    }
    expect(runs.length).toBeGreaterThan(0);
  });

  it('holds an outage window in clock time, absolute or relative', () => {
    const { clock, faults } = injector(
      { rules: [{ match: '/v1/*', outage: { afterMs: 1_000, forMs: 2_500 } }] },
      1,
      10_000,
    );
    expect(faults.config().rules[0]?.outage).toEqual({
      from: 11_000,
      to: 13_500,
      mode: 'unavailable',
    });
    expect(faults.decide('GET', '/v1/a').action).toBeUndefined();
    clock.advance(1_000);
    expect(faults.decide('GET', '/v1/a').action).toEqual({
      kind: 'outage',
      status: 503,
      mode: 'unavailable',
      retryAfterSeconds: 3,
    });
    expect(faults.decide('GET', '/v2/a').action).toBeUndefined();
    clock.advance(2_500);
    expect(faults.decide('GET', '/v1/a').action).toBeUndefined();

    faults.set({ rules: [{ outage: { from: 0, to: 20_000, mode: 'reset' } }] });
    expect(faults.decide('GET', '/v1/a').action).toMatchObject({ kind: 'outage', mode: 'reset' });
  });

  it('matches by method, glob and regex', () => {
    const { faults } = injector({
      rules: [
        { match: 'POST|PUT /v1/customers*', error: { p: 1, statuses: [502] } },
        { match: 're:^/services/data/v\\d+\\.\\d+/query', error: { p: 1, statuses: [503] } },
      ],
    });
    expect(faults.decide('POST', '/v1/customers/cus_1').action).toEqual({
      kind: 'error',
      status: 502,
    });
    expect(faults.decide('GET', '/v1/customers/cus_1').action).toBeUndefined();
    expect(faults.decide('GET', '/services/data/v59.0/query').action).toMatchObject({
      status: 503,
    });
    expect(faults.decide('GET', '/services/data/v59.0/sobjects').action).toBeUndefined();
  });

  it('adds the latency of every matching rule', () => {
    const { faults } = injector({
      rules: [
        { latency: { kind: 'fixed', ms: 5 } },
        { match: '/slow*', latency: { kind: 'fixed', ms: 20 } },
      ],
    });
    expect(faults.decide('GET', '/slow/x').latencyMs).toBe(25);
    expect(faults.decide('GET', '/fast').latencyMs).toBe(5);
  });

  it('patches rules and webhook faults, and resets bursts', () => {
    const { faults } = injector({ webhooks: { duplicate: 0.5 } });
    faults.patch({ webhooks: { reorder: { p: 0.2, windowMs: 100 } } });
    expect(faults.webhooks()).toEqual({ duplicate: 0.5, reorder: { p: 0.2, windowMs: 100 } });
    faults.patch({ rules: [{ rateLimitBurst: { p: 1, length: 5 } }] });
    expect(faults.decide('GET', '/x').action?.kind).toBe('rate_limited');
    faults.patch({ rules: [{ rateLimitBurst: { p: 0, length: 5 } }] });
    expect(faults.decide('GET', '/x').action).toBeUndefined();
  });
});

describe('parseFaultConfig', () => {
  it('resolves presets', () => {
    expect(parseFaultConfig('none')).toEqual({ rules: [], webhooks: { duplicate: 0 } });
    const heavy = parseFaultConfig({ preset: 'heavy' });
    expect(heavy.webhooks.duplicate).toBe(0.1);
    expect(heavy.rules.some((r) => r.outage)).toBe(true);
    expect(parseFaultConfig('light').rules).toHaveLength(1);
  });

  it.each([
    [{ rules: [{ errorRate: 0.1 }] }, /rules\.0: Unrecognized key: "errorRate"/],
    [{ rules: [{ error: { p: 1.5 } }] }, /rules\.0\.error\.p: .*<=1/],
    [{ rules: [{ match: 'v1/customers' }] }, /rules\.0\.match: match must be/],
    [{ rules: [{ match: 're:([' }] }, /bad regular expression/],
    [{ rules: [{ latency: { kind: 'uniform', min: 10, max: 5 } }] }, /max must be ≥ min/],
    [{ rules: [{ outage: { afterMs: 5 } }] }, /either \{from\?, to\}/],
    [{ webhooks: { duplicate: -1 } }, /webhooks\.duplicate/],
    ['medium', /unknown preset 'medium'/],
  ])('explains what is wrong with %j', (input, message) => {
    expect(() => parseFaultConfig(input)).toThrow(FaultConfigError);
    expect(() => parseFaultConfig(input)).toThrow(message);
  });
});

describe('sampleLatency', () => {
  it('draws from fixed, uniform and log-normal distributions', () => {
    const rng = createRng('lat');
    expect(sampleLatency(rng, undefined)).toBe(0);
    expect(sampleLatency(rng, { kind: 'fixed', ms: 7 })).toBe(7);
    for (let i = 0; i < 200; i++) {
      const u = sampleLatency(rng, { kind: 'uniform', min: 5, max: 50 });
      expect(u >= 5 && u <= 50).toBe(true);
    }
    const xs = [...Array(4000)]
      .map(() => sampleLatency(rng, { kind: 'normal', p50: 20, p99: 200 }))
      .sort((a, b) => a - b);
    const median = xs[2000] as number;
    const p99 = xs[3960] as number;
    expect(median).toBeGreaterThan(16);
    expect(median).toBeLessThan(24);
    expect(p99).toBeGreaterThan(120);
    expect(p99).toBeLessThan(320);
  });
});
