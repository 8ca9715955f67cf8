import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.ts';
import type { CircuitState } from '../gateway/circuit-breaker.ts';
import { PRIORITY_ORDER } from '../gateway/lanes.ts';
import type { OutboundGateway } from '../gateway/outbound-gateway.ts';
import { RUN_STATUSES } from '../model/states.ts';
import type { Store } from '../store/store.ts';

/** The part of `BusinessViews` the metrics need (row counts per view). */
export interface ViewCounter {
  listViews(): { name: string }[];
  view(name: string, params: Record<string, string>): Promise<{ rows: unknown[] }>;
  count?(name: string): Promise<number>;
}

export interface RevsyncMetricsOptions {
  engine: Engine;
  store: Store;
  gateway?: OutboundGateway;
  views?: ViewCounter;
  log?: Logger;
  /** Include Node.js process metrics (default true). */
  processMetrics?: boolean;
  /** How long business-view row counts are cached (default 30 s). */
  viewCountTtlMs?: number;
}

/** Circuit states as gauge values. */
export const CIRCUIT_STATE_VALUE: Record<CircuitState, number> = {
  closed: 0,
  half_open: 1,
  open: 2,
};

const STEP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const RUN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400];
const CALL_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Prometheus metrics of one revsync process, in a registry of its own: counters and histograms
 * fed by the engine's events and the outbound gateway's call and circuit listeners, and gauges
 * read from the store, the gateway and the business views when {@link scrape} is called.
 */
export class RevsyncMetrics {
  readonly registry = new Registry();
  readonly #store: Store;
  readonly #gateway: OutboundGateway | undefined;
  readonly #views: ViewCounter | undefined;
  readonly #log: Logger | undefined;
  readonly #viewCountTtlMs: number;
  readonly #viewCounts = new Map<string, { count: number; at: number }>();
  readonly #unsubscribe: (() => void)[] = [];

  readonly #queueDepth: Gauge<'status'>;
  readonly #openExceptions: Gauge;
  readonly #inboxBacklog: Gauge;
  readonly #storeUp: Gauge;
  readonly #circuitState: Gauge<'connection' | 'system'>;
  readonly #inFlight: Gauge<'connection' | 'system'>;
  readonly #queued: Gauge<'connection' | 'system' | 'lane'>;
  readonly #vendorUsage: Gauge<'connection' | 'system'>;
  readonly #viewRows: Gauge<'view'>;
  readonly #reconDiscrepancies: Gauge<'class' | 'period' | 'subsidiary'>;
  readonly #reconLastRun: Gauge;
  /** Discrepancies per subsidiary and class of a stored recon run (a finished run never changes). */
  readonly #reconCounts = new Map<string, Map<string, Map<string, number>>>();

  constructor(options: RevsyncMetricsOptions) {
    this.#store = options.store;
    this.#gateway = options.gateway;
    this.#views = options.views;
    this.#log = options.log;
    this.#viewCountTtlMs = options.viewCountTtlMs ?? 30_000;
    const registers = [this.registry];
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });

    const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Gauge<L>({ name, help, labelNames, registers });
    const histogram = <L extends string>(
      name: string,
      help: string,
      labelNames: L[],
      buckets: number[],
    ) => new Histogram<L>({ name, help, labelNames, buckets, registers });

    const routed = counter('revsync_inbox_events_routed_total', 'Inbox events routed to flows.', [
      'type',
    ]);
    const poisoned = counter(
      'revsync_inbox_events_poisoned_total',
      'Inbox events no flow could take (queued as exceptions).',
      ['type'],
    );
    const claimed = counter('revsync_runs_claimed_total', 'Runs claimed by a worker.', ['flow']);
    const outcomes = counter(
      'revsync_run_outcomes_total',
      'What each run execution ended in: completed, retrying, deferred, waiting, parked, abandoned.',
      ['flow', 'outcome'],
    );
    const retries = counter(
      'revsync_run_retries_total',
      'Failed step attempts that will be retried.',
      ['flow', 'step', 'code'],
    );
    const parked = counter('revsync_runs_parked_total', 'Runs parked in the exception queue.', [
      'flow',
      'code',
    ]);
    const stepOutcomes = counter('revsync_step_outcomes_total', 'Step attempts by outcome.', [
      'flow',
      'step',
      'outcome',
    ]);
    const stepDuration = histogram(
      'revsync_step_duration_seconds',
      'Duration of step attempts.',
      ['flow', 'step', 'outcome'],
      STEP_BUCKETS,
    );
    const runLatency = histogram(
      'revsync_run_latency_seconds',
      'Time from a run being created to it completing.',
      ['flow'],
      RUN_BUCKETS,
    );
    const signals = counter('revsync_signals_raised_total', 'Signals raised.', []);

    const events = options.engine.events;
    this.#unsubscribe.push(
      events.on('event.routed', ({ event }) => routed.inc({ type: event.type })),
      events.on('event.poisoned', ({ event }) => poisoned.inc({ type: event.type })),
      events.on('run.claimed', ({ run }) => claimed.inc({ flow: run.flow })),
      events.on('run.completed', ({ run, durationMs }) => {
        outcomes.inc({ flow: run.flow, outcome: 'completed' });
        runLatency.observe({ flow: run.flow }, durationMs / 1000);
      }),
      events.on('run.retrying', ({ run, step, error }) => {
        outcomes.inc({ flow: run.flow, outcome: 'retrying' });
        retries.inc({ flow: run.flow, step, code: error.code });
      }),
      events.on('run.deferred', ({ run }) => outcomes.inc({ flow: run.flow, outcome: 'deferred' })),
      events.on('run.waiting', ({ run }) => outcomes.inc({ flow: run.flow, outcome: 'waiting' })),
      events.on('run.parked', ({ run, error }) => {
        outcomes.inc({ flow: run.flow, outcome: 'parked' });
        parked.inc({ flow: run.flow, code: error.code });
      }),
      events.on('run.abandoned', ({ run }) =>
        outcomes.inc({ flow: run.flow, outcome: 'abandoned' }),
      ),
      events.on('step.completed', ({ run, step, durationMs }) => {
        stepOutcomes.inc({ flow: run.flow, step, outcome: 'completed' });
        stepDuration.observe({ flow: run.flow, step, outcome: 'completed' }, durationMs / 1000);
      }),
      events.on('step.failed', ({ run, step, durationMs }) => {
        stepOutcomes.inc({ flow: run.flow, step, outcome: 'failed' });
        stepDuration.observe({ flow: run.flow, step, outcome: 'failed' }, durationMs / 1000);
      }),
      events.on('signal.raised', () => signals.inc()),
    );

    const calls = counter(
      'revsync_connection_calls_total',
      'Outbound calls by connection, operation and outcome (ok or the error code).',
      ['connection', 'system', 'operation', 'outcome'],
    );
    const callDuration = histogram(
      'revsync_connection_call_duration_seconds',
      'Duration of outbound calls.',
      ['connection', 'system', 'operation'],
      CALL_BUCKETS,
    );
    const circuitChanges = counter(
      'revsync_connection_circuit_transitions_total',
      'Circuit breaker state changes.',
      ['connection', 'from', 'to'],
    );
    if (this.#gateway) {
      this.#unsubscribe.push(
        this.#gateway.onCall((call) => {
          const labels = {
            connection: call.connection,
            system: call.system,
            operation: call.operation,
          };
          calls.inc({ ...labels, outcome: call.outcome });
          callDuration.observe(labels, call.durationMs / 1000);
        }),
        this.#gateway.onCircuitChange((connection, from, to) =>
          circuitChanges.inc({ connection, from, to }),
        ),
      );
    }

    this.#queueDepth = gauge('revsync_run_queue_depth', 'Runs in each status now.', ['status']);
    this.#openExceptions = gauge('revsync_exceptions_open', 'Open exceptions in the queue.', []);
    this.#inboxBacklog = gauge(
      'revsync_inbox_backlog_events',
      'Accepted events not yet routed.',
      [],
    );
    this.#storeUp = gauge('revsync_store_up', '1 when the store answered the last scrape.', []);
    this.#circuitState = gauge(
      'revsync_connection_circuit_state',
      'Circuit state per connection: 0 closed, 1 half-open, 2 open.',
      ['connection', 'system'],
    );
    this.#inFlight = gauge(
      'revsync_connection_in_flight_requests',
      'Outbound requests in flight per connection.',
      ['connection', 'system'],
    );
    this.#queued = gauge(
      'revsync_connection_queued_requests',
      'Outbound requests waiting for the governor, per lane.',
      ['connection', 'system', 'lane'],
    );
    this.#vendorUsage = gauge(
      'revsync_connection_vendor_usage_ratio',
      'API usage the vendor reported, as a fraction of its limit.',
      ['connection', 'system'],
    );
    this.#viewRows = gauge(
      'revsync_business_view_rows',
      'Rows in each business view (e.g. invoices awaiting ERP posting).',
      ['view'],
    );
    this.#reconDiscrepancies = gauge(
      'revsync_recon_discrepancies',
      'Discrepancies the latest stored reconciliation of each period found, per class and ERP subsidiary (subsidiary "" when unknown).',
      ['class', 'period', 'subsidiary'],
    );
    this.#reconLastRun = gauge(
      'revsync_recon_last_run_timestamp_seconds',
      'When the latest stored reconciliation finished (Unix seconds); 0 before the first.',
      [],
    );
  }

  /** The registry's exposition format content type. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Reads the gauges from the store, gateway and views, then renders every metric. */
  async scrape(now = Date.now()): Promise<string> {
    await this.#collectStore();
    await this.#collectRecon();
    this.#collectGateway();
    await this.#collectViews(now);
    return this.registry.metrics();
  }

  /** Stops listening to the engine and the gateway. */
  dispose(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  async #collectStore(): Promise<void> {
    try {
      const db = this.#store.db;
      const [runs, inbox, open] = await Promise.all([
        this.#store.runs.countByStatus(db),
        this.#store.inbox.countByStatus(db),
        this.#store.exceptions.countOpen(db),
      ]);
      for (const status of RUN_STATUSES) this.#queueDepth.set({ status }, runs[status] ?? 0);
      this.#inboxBacklog.set(inbox.received ?? 0);
      this.#openExceptions.set(open);
      this.#storeUp.set(1);
    } catch (caught) {
      this.#storeUp.set(0);
      this.#log?.warn({ err: caught }, 'metrics: the store did not answer');
    }
  }

  /** The gauges of the latest stored reconciliation of each period (at most 24 periods). */
  async #collectRecon(): Promise<void> {
    try {
      const { db, reconRuns } = this.#store;
      const latest = await reconRuns.latestPerPeriod(db, 24);
      this.#reconDiscrepancies.reset();
      const keep = new Set<string>();
      for (const run of latest) {
        keep.add(run.id);
        let counts = this.#reconCounts.get(run.id);
        if (!counts) {
          counts = new Map();
          const items = await reconRuns.items(db, run.id, {
            kind: 'discrepancy',
            limit: 1_000_000,
          });
          for (const item of items) {
            const subsidiary = item.subsidiary ?? run.subsidiary ?? '';
            const ofSub = counts.get(subsidiary) ?? new Map<string, number>();
            ofSub.set(item.class ?? '', (ofSub.get(item.class ?? '') ?? 0) + 1);
            counts.set(subsidiary, ofSub);
          }
          this.#reconCounts.set(run.id, counts);
        }
        // Every class of the period is a series (0 when clean), so a rule on it can clear.
        const whole = run.subsidiary ?? '';
        for (const cls of Object.keys(run.summary)) {
          if (!counts.get(whole)?.has(cls))
            this.#reconDiscrepancies.set({ class: cls, period: run.period, subsidiary: whole }, 0);
        }
        for (const [subsidiary, ofSub] of counts) {
          for (const [cls, n] of ofSub)
            this.#reconDiscrepancies.set({ class: cls, period: run.period, subsidiary }, n);
        }
      }
      for (const id of this.#reconCounts.keys()) if (!keep.has(id)) this.#reconCounts.delete(id);
      const finished = latest.map((r) => r.finishedAt ?? 0);
      if (finished.length > 0) this.#reconLastRun.set(Math.max(...finished) / 1000);
    } catch (caught) {
      this.#log?.warn({ err: caught }, 'metrics: stored reconciliation runs could not be read');
    }
  }

  #collectGateway(): void {
    if (!this.#gateway) return;
    for (const conn of this.#gateway.connections()) {
      const h = conn.health();
      const labels = { connection: h.name, system: h.system };
      this.#circuitState.set(labels, CIRCUIT_STATE_VALUE[h.circuit.state]);
      this.#inFlight.set(labels, h.governor.inFlight);
      for (const lane of PRIORITY_ORDER) {
        this.#queued.set({ ...labels, lane }, h.governor.queued[lane] ?? 0);
      }
      if (h.reportedUsage && h.reportedUsage.limit > 0) {
        this.#vendorUsage.set(labels, h.reportedUsage.used / h.reportedUsage.limit);
      }
    }
  }

  async #collectViews(now: number): Promise<void> {
    if (!this.#views) return;
    for (const { name } of this.#views.listViews()) {
      const cached = this.#viewCounts.get(name);
      if (cached && now - cached.at < this.#viewCountTtlMs) {
        this.#viewRows.set({ view: name }, cached.count);
        continue;
      }
      try {
        const count = this.#views.count
          ? await this.#views.count(name)
          : (await this.#views.view(name, {})).rows.length;
        this.#viewCounts.set(name, { count, at: now });
        this.#viewRows.set({ view: name }, count);
      } catch (caught) {
        this.#log?.warn({ err: caught, view: name }, 'metrics: business view failed');
      }
    }
  }
}
