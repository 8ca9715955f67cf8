import type { Clock } from './clock.ts';
import {
  parseFaultConfig,
  type FaultConfig,
  type FaultConfigInput,
  type FaultPreset,
  type FaultRule,
  type LatencySpec,
  type WebhookFaults,
} from './fault-config.ts';
import type { Rng } from './rng.ts';
import { sampleLatency } from './sample-latency.ts';

/** What an injected fault does to one request. */
export type FaultAction =
  | { kind: 'error'; status: number }
  | { kind: 'rate_limited'; status: 429; retryAfterSeconds: number }
  | { kind: 'hang'; ms?: number }
  | { kind: 'outage'; status: 503; mode: 'unavailable' | 'reset'; retryAfterSeconds: number };

/** The injector's verdict on one request: wait `latencyMs`, then apply `action` if any. */
export interface FaultDecision {
  latencyMs: number;
  action?: FaultAction;
}

/** Seeded, reconfigurable request and webhook fault injection. */
export interface FaultInjector {
  /** The active configuration (relative outage windows resolved to clock ms). */
  config(): FaultConfig;
  /** Replaces the configuration. @throws FaultConfigError */
  set(input: FaultConfigInput | FaultPreset | { preset: FaultPreset }): FaultConfig;
  /** Replaces `rules` if given and merges `webhooks` field by field. @throws FaultConfigError */
  patch(partial: FaultConfigInput): FaultConfig;
  /** Decides the fate of one request. Draws from the rng, so call it once per request. */
  decide(method: string, path: string): FaultDecision;
  /** The webhook delivery faults in force. */
  webhooks(): WebhookFaults;
  /** Forgets burst state (for `/_emulator/reset`). */
  reset(): void;
}

/** Options for {@link createFaultInjector}. */
export interface FaultInjectorOptions {
  rng: Rng;
  clock: Clock;
  config?: FaultConfigInput | FaultPreset;
}

interface CompiledRule {
  rule: FaultRule;
  methods: Set<string> | undefined;
  pattern: RegExp;
  burstLeft: number;
}

function compileMatch(match: string): { methods: Set<string> | undefined; pattern: RegExp } {
  const m = /^([A-Z|*]+)\s+(.*)$/.exec(match);
  const methodPart = m?.[1];
  const methods =
    methodPart && methodPart !== '*' ? new Set(methodPart.split('|').filter(Boolean)) : undefined;
  const body = m ? (m[2] as string) : match;
  if (body.startsWith('re:')) return { methods, pattern: new RegExp(body.slice(3)) };
  const source = body
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return { methods, pattern: new RegExp(`^${source}$`) };
}

/**
 * Creates a fault injector. All randomness comes from `rng`, so the same seed and the same
 * request sequence give the same faults. Paths under `/_emulator/` are never faulted (the
 * server does not ask).
 */
export function createFaultInjector(options: FaultInjectorOptions): FaultInjector {
  const { rng, clock } = options;
  let current: FaultConfig = parseFaultConfig({});
  let compiled: CompiledRule[] = [];

  const resolve = (config: FaultConfig): FaultConfig => {
    const now = clock.now();
    const rules = config.rules.map((rule) => {
      const o = rule.outage;
      if (!o || o.forMs === undefined) return rule;
      const from = now + (o.afterMs ?? 0);
      return { ...rule, outage: { from, to: from + o.forMs, mode: o.mode } };
    });
    return { ...config, rules };
  };

  const install = (config: FaultConfig): FaultConfig => {
    current = resolve(config);
    compiled = current.rules.map((rule) => ({ rule, ...compileMatch(rule.match), burstLeft: 0 }));
    return current;
  };

  const sample = (spec: LatencySpec | undefined): number => sampleLatency(rng, spec);

  const decideRule = (c: CompiledRule, now: number): FaultAction | undefined => {
    const { rule } = c;
    const o = rule.outage;
    if (o && now >= (o.from ?? 0) && o.to !== undefined && now < o.to) {
      const retryAfterSeconds = Math.max(1, Math.ceil((o.to - now) / 1000));
      return { kind: 'outage', status: 503, mode: o.mode, retryAfterSeconds };
    }
    const burst = rule.rateLimitBurst;
    if (burst) {
      if (c.burstLeft > 0 || rng.chance(burst.p)) {
        c.burstLeft = (c.burstLeft > 0 ? c.burstLeft : burst.length) - 1;
        return { kind: 'rate_limited', status: 429, retryAfterSeconds: burst.retryAfterSeconds };
      }
    }
    if (rule.hang && rng.chance(rule.hang.p)) {
      return rule.hang.ms === undefined ? { kind: 'hang' } : { kind: 'hang', ms: rule.hang.ms };
    }
    if (rule.error && rng.chance(rule.error.p)) {
      return { kind: 'error', status: rng.pick(rule.error.statuses) };
    }
    return undefined;
  };

  install(parseFaultConfig(options.config ?? {}));

  return {
    config: () => current,
    set: (input) => install(parseFaultConfig(input)),
    patch(partial) {
      const merged = {
        rules: partial.rules ?? current.rules,
        webhooks: { ...current.webhooks, ...partial.webhooks },
      };
      return install(parseFaultConfig(merged));
    },
    decide(method, path) {
      const now = clock.now();
      const upper = method.toUpperCase();
      let latencyMs = 0;
      for (const c of compiled) {
        if (c.methods && !c.methods.has(upper)) continue;
        if (!c.pattern.test(path)) continue;
        latencyMs += sample(c.rule.latency);
        const action = decideRule(c, now);
        if (action) return { latencyMs, action };
      }
      return { latencyMs };
    },
    webhooks: () => current.webhooks,
    reset() {
      for (const c of compiled) c.burstLeft = 0;
    },
  };
}
