import { type Logger } from 'pino';
import { createRng } from '@revsync/emulators/kit';
import type { Role } from '../connectors/definition.ts';
import { startEnvironment, type FaultLevel, type Stack } from './environment.ts';
import { checkInvariants, type InvariantReport } from './invariants.ts';
import { ReconUnsupportedError, runReconciliation } from '../app/reconciliation.ts';
import { matchedCount, type Discrepancy, type DiscrepancyClass } from '../recon/index.ts';
import { runScenario, type ScenarioTally } from './scenario.ts';
import type { CloseBlocker } from '../app/close-readiness.ts';

export type { FaultLevel } from './environment.ts';

export interface SimulateOptions {
  seed: number;
  customers: number;
  faults: FaultLevel;
  /** The systems (default: the registry's default stack). */
  stack?: Partial<Stack>;
  /** Use running emulators, by role, instead of starting them (state stays inspectable afterwards). */
  urls?: Partial<Record<Role, string>>;
  /** Store for revsync (default: a temporary SQLite file). */
  storeUrl?: string;
  /** Progress lines (to stderr in the CLI); `counts` for phases with a known size. */
  progress?: (message: string, counts?: { done: number; total: number }) => void;
  logger?: Logger;
  /** Longest wait for revsync to go quiet after each phase (default 10 min). */
  settleTimeoutMs?: number;
  /** The currencies customers buy in (default USD, GBP, EUR; JPY adds a Japan region). */
  currencies?: readonly string[];
}

export interface SimulationResult {
  seed: number;
  customers: number;
  faults: FaultLevel;
  stack: Stack;
  durationMs: number;
  tally: ScenarioTally;
  /** Canonical events the normalise stage produced, by type. */
  canonicalEvents: Record<string, number>;
  runs: Record<string, Record<string, number>>;
  openExceptions: { flow: string | null; code: string; message: string; count: number }[];
  connections: {
    name: string;
    calls: number;
    failures: number;
    circuitOpens: number;
    lastError: string | null;
  }[];
  invariants: InvariantReport;
  /** The reconciliation the run ends with: billing against the ERP through the connectors. */
  reconciliation: SimulationReconciliation;
  /** Close readiness of every simulated period, per subsidiary. */
  close: SimulationClose[];
  passed: boolean;
}

/** The simulation's reconciliation, over every period with documents. */
export interface SimulationReconciliation {
  /** Set when a connector of the stack cannot list documents yet: nothing was reconciled. */
  unsupported?: string;
  periods: string[];
  matched: number;
  /** Subscriptions whose status and MRR were compared with the CRM (absent: not compared). */
  subscriptionsCompared?: number;
  /** Payouts checked against their ERP deposits, and how many tied exactly. */
  payouts: { checked: number; matched: number; unsupported?: string };
  inFlight: number;
  summary: Partial<Record<DiscrepancyClass, number>>;
  /** The first 50 discrepancies (all of them are counted in `summary`). */
  discrepancies: Discrepancy[];
}

/** One period's close status as the simulation reports it. */
export interface SimulationClose {
  period: string;
  subsidiaries: { subsidiary: string; ready: boolean; blockers: CloseBlocker[] }[];
  /**
   * Blockers the scenario leaves on purpose: the possible duplicate accounts it creates wait for
   * a person to merge them (they do not pass the simulation's close unless expected).
   */
  expected: number;
}

const USAGE_RECHECK_MS = 1_000;

/**
 * A close blocker the scenario leaves on purpose: the possible-duplicate conflict of an account
 * it created as a duplicate, or the deal of that account waiting for the merge.
 */
function isScenarioDuplicate(b: { kind: string; message: string }): boolean {
  if (b.kind === 'sync_conflict') return b.message.startsWith('possible duplicate');
  return (
    b.kind === 'open_exception' && /duplicates customer \S+: merge the accounts/.test(b.message)
  );
}

/**
 * `revsync simulate`: drives a whole simulated business through revsync against the emulators —
 * with faults if asked — waits until revsync is quiet after each phase, then checks the
 * invariants by reading the emulators through their APIs. Everything runs in this process.
 */
export async function simulate(options: SimulateOptions): Promise<SimulationResult> {
  const started = Date.now();
  const progress = options.progress ?? (() => {});
  const env = await startEnvironment({
    seed: options.seed,
    faults: options.faults,
    usageRecheckMs: USAGE_RECHECK_MS,
    engine: { random: seeded(options.seed) },
    ...(options.stack !== undefined && { stack: options.stack }),
    ...(options.urls !== undefined && { urls: options.urls }),
    ...(options.storeUrl !== undefined && { storeUrl: options.storeUrl }),
    ...(options.logger !== undefined && { logger: options.logger }),
    ...(options.currencies !== undefined && { currencies: options.currencies }),
  });
  try {
    progress(
      `emulators: crm ${env.stack.crm} ${env.urls.crm}, billing ${env.stack.billing} ${env.urls.billing}, erp ${env.stack.erp} ${env.urls.erp}`,
    );
    progress(`revsync listening on ${env.runtime.url} (store ${env.runtime.config.store?.url})`);
    const settleTimeoutMs = options.settleTimeoutMs ?? 10 * 60_000;
    const { tally } = await runScenario(
      {
        rng: createRng(options.seed).fork('scenario'),
        world: env.world,
        usage: env.runtime.usage,
        usageRecheckMs: USAGE_RECHECK_MS,
        progress,
        settle: async (label) => {
          progress(`waiting for revsync to finish: ${label}`);
          const quiet = await env.settle({
            timeoutMs: settleTimeoutMs,
            onWait: (busy) =>
              progress(
                `  … ${Object.entries(busy)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(', ')}`,
              ),
          });
          if (!quiet)
            progress(`revsync did not go quiet after ${label} within ${settleTimeoutMs / 1000} s`);
        },
      },
      options.customers,
    );

    // The books are checked with every fault switched off: reading must not fail.
    await env.clearFaults();
    progress('checking invariants');
    const store = env.runtime.store;
    const invariants = await checkInvariants({
      crm: env.world.crm,
      billing: env.world.billing,
      erp: env.erp,
      store,
    });
    progress('reconciling billing against the ERP');
    const reconciliation: SimulationReconciliation = {
      periods: [],
      matched: 0,
      payouts: { checked: 0, matched: 0 },
      inFlight: 0,
      summary: {},
      discrepancies: [],
    };
    const reports = await runReconciliation({
      billing: env.runtime.connectors.billing.port,
      erp: env.runtime.connectors.erp.port,
      crm: env.runtime.connectors.crm.port,
      store,
    }).catch((caught: unknown) => {
      if (!(caught instanceof ReconUnsupportedError)) throw caught;
      reconciliation.unsupported = caught.message;
      return [];
    });
    reconciliation.periods = reports.map((r) => r.period);
    for (const r of reports) {
      reconciliation.matched += matchedCount(r);
      if (r.subscriptionsCompared !== undefined)
        reconciliation.subscriptionsCompared =
          (reconciliation.subscriptionsCompared ?? 0) + r.subscriptionsCompared;
      reconciliation.payouts.checked += r.payouts?.checked ?? 0;
      reconciliation.payouts.matched += r.payouts?.matched ?? 0;
      if (r.payouts?.unsupported !== undefined)
        reconciliation.payouts.unsupported = r.payouts.unsupported;
      reconciliation.inFlight += r.inFlight.length;
      for (const d of r.discrepancies) {
        reconciliation.summary[d.class] = (reconciliation.summary[d.class] ?? 0) + 1;
        if (reconciliation.discrepancies.length < 50) reconciliation.discrepancies.push(d);
      }
    }
    progress('close readiness of the simulated periods');
    const close: SimulationClose[] = [];
    if (reconciliation.unsupported === undefined) {
      for (const period of reconciliation.periods) {
        const status = await env.runtime.closeStatus({ period });
        // Duplicate accounts are created on purpose and no one merges them: their conflict and
        // the deal parked behind it are blockers a person must clear, so they are expected here;
        // anything else fails the run.
        const expected = new Set(
          status.subsidiaries.flatMap((s) =>
            s.blockers.filter(isScenarioDuplicate).map((b) => b.id),
          ),
        ).size;
        close.push({ period, subsidiaries: status.subsidiaries, expected });
      }
    }
    const closeReady = close.every((c) =>
      c.subsidiaries.every((s) => s.blockers.every(isScenarioDuplicate)),
    );
    const runs: SimulationResult['runs'] = {};
    for (const run of await store.runs.list(store.db, { limit: 1_000_000 })) {
      const flow = (runs[run.flow] ??= {});
      flow[run.status] = (flow[run.status] ?? 0) + 1;
    }
    const grouped = new Map<string, SimulationResult['openExceptions'][number]>();
    for (const e of await store.exceptions.list(store.db, { status: 'open', limit: 100_000 })) {
      const key = `${e.flow}|${e.errorCode}|${e.message.replace(/\b[a-z]{2,4}_[A-Za-z0-9]+\b/g, '…')}`;
      const entry = grouped.get(key) ?? {
        flow: e.flow,
        code: e.errorCode,
        message: e.message,
        count: 0,
      };
      entry.count += 1;
      grouped.set(key, entry);
    }
    const connections = env.gateway.connections().map((c) => {
      const h = c.health();
      return {
        name: h.name,
        calls: h.calls,
        failures: h.failures,
        circuitOpens: h.circuit.opens,
        lastError: h.lastError?.message ?? null,
      };
    });
    return {
      seed: options.seed,
      customers: options.customers,
      faults: options.faults,
      stack: env.stack,
      durationMs: Date.now() - started,
      tally,
      canonicalEvents: await store.events.countByType(store.db),
      runs,
      openExceptions: [...grouped.values()],
      connections,
      invariants,
      reconciliation,
      close,
      passed:
        closeReady &&
        invariants.violations.length === 0 &&
        Object.keys(reconciliation.summary).length === 0 &&
        reconciliation.inFlight === 0,
    };
  } finally {
    await env.close();
  }
}

function seeded(seed: number): () => number {
  const rng = createRng(seed).fork('engine');
  return () => rng.next();
}
