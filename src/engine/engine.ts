import type { UpcasterRegistry } from '../model/upcasters.ts';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { coerceError } from '../model/revsync-error.ts';
import { newId } from '../model/ids.ts';
import { Inbox } from '../store/inbox.ts';
import type { RunRecord } from '../store/run-repository.ts';
import type { Store } from '../store/store.ts';
import { systemClock, type Clock } from './clock.ts';
import type { EngineEvents } from './engine-events.ts';
import { ExceptionQueue } from './exception-queue.ts';
import type { Flow } from './flow.ts';
import { createLogger } from './logger.ts';
import type { RetryPolicy } from './retry-policy.ts';
import { Router, type Normalise, type SignalKeys } from './router.ts';
import {
  applyOutcome,
  executeRun,
  type ExecutionOutcome,
  type ExecutorEnv,
} from './run-executor.ts';
import { TypedEvents } from './typed-events.ts';

export interface EngineOptions {
  store: Store;
  flows?: Flow[];
  /** Identifies this worker in leases; default `host:pid:random`. */
  workerId?: string;
  /** Runs executed at once by this worker (default 32). */
  concurrency?: number;
  /** How long a claim holds without a heartbeat (default 30 s). */
  leaseMs?: number;
  /**
   * The fallback poll: how often an idle worker looks for work it was not told about (default
   * 1 s). Work is normally dispatched without it: inbox appends, signals, replays, finished runs
   * and this worker's own retry, sleep and wait deadlines wake the worker at once, and on
   * PostgreSQL other processes' appends and routed runs wake it through `LISTEN/NOTIFY`.
   */
  pollIntervalMs?: number;
  /** Per-attempt step timeout unless the step sets one (default 60 s). */
  stepTimeoutMs?: number;
  /** Events routed per transaction (default 200). */
  routeBatchSize?: number;
  clock?: Clock;
  logger?: Logger;
  /** Source of randomness for retry jitter (default Math.random). */
  random?: () => number;
  signalKeys?: SignalKeys;
  /**
   * The normalise stage: what each inbox event means as canonical events, which flows trigger
   * on (default: every event is its own canonical event).
   */
  normalise?: Normalise;
  /**
   * Upcasters applied to stored event data older than the code's schema version (default: the
   * repository's, `src/model/upcasters.ts`).
   */
  upcasters?: UpcasterRegistry;
  /** Retry policy of steps whose flow and call set none (default: see DEFAULT_RETRY_POLICY). */
  defaultRetry?: RetryPolicy;
}

/**
 * The durable flow engine: routes inbox events to flows, claims runs (per-key ordered, leased),
 * executes them with checkpointed steps, retries with backoff, parks what cannot succeed in the
 * exception queue, and resumes everything after a crash. Several engines may share one
 * PostgreSQL database; on SQLite one process owns the file.
 */
export class Engine {
  readonly store: Store;
  readonly inbox: Inbox;
  readonly exceptions: ExceptionQueue;
  readonly events = new TypedEvents<EngineEvents>();
  readonly workerId: string;
  readonly log: Logger;

  readonly #flows = new Map<string, Flow>();
  readonly #router: Router;
  readonly #env: ExecutorEnv;
  readonly #concurrency: number;
  readonly #pollIntervalMs: number;
  readonly #routeBatchSize: number;
  readonly #active = new Map<number, { controller: AbortController; done: Promise<void> }>();
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #pendingWake = false;
  /** Runs this worker finished executing (any outcome), for {@link runUntilIdle}. */
  #finished = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  #sweep: NodeJS.Timeout | undefined;
  /** Due times (clock ms) of this worker's delayed runs, ascending; the timer wakes at the first. */
  #dueTimes: number[] = [];
  #dueTimer: { at: number; timer: NodeJS.Timeout } | undefined;
  #unlisten: (() => void) | undefined;
  /** Why the loop woke, for benchmarks: `notified` (told), `timer` (own due time), `poll`. */
  readonly wakes = { notified: 0, timer: 0, poll: 0 };

  constructor(options: EngineOptions) {
    this.store = options.store;
    const clock = options.clock ?? systemClock;
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${newId('wrk').slice(-6)}`;
    this.log = (options.logger ?? createLogger()).child({ worker: this.workerId });
    this.#concurrency = options.concurrency ?? 32;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.#routeBatchSize = options.routeBatchSize ?? 200;
    this.#env = {
      store: this.store,
      clock,
      owner: this.workerId,
      leaseMs: options.leaseMs ?? 30_000,
      log: this.log,
      random: options.random ?? Math.random,
      events: this.events,
      stepTimeoutMs: options.stepTimeoutMs ?? 60_000,
      ...(options.defaultRetry !== undefined && { defaultRetry: options.defaultRetry }),
    };
    this.inbox = new Inbox(this.store, { now: () => clock.now() });
    this.inbox.onAppend(() => this.#announce());
    this.#router = new Router(this.store, clock, {
      ...(options.signalKeys !== undefined && { signalKeys: options.signalKeys }),
      ...(options.normalise !== undefined && { normalise: options.normalise }),
      ...(options.upcasters !== undefined && { upcasters: options.upcasters }),
    });
    this.exceptions = new ExceptionQueue(this.store, clock, () => this.#announce());
    for (const flow of options.flows ?? []) this.register(flow);
  }

  get clock(): Clock {
    return this.#env.clock;
  }

  /** Adds a flow; its trigger events start runs from now on. */
  register(flow: Flow): void {
    const existing = this.#flows.get(flow.name);
    if (existing && existing !== flow)
      throw new Error(`a different flow named ${flow.name} is already registered`);
    this.#flows.set(flow.name, flow);
    this.#router.register(flow);
  }

  flows(): Flow[] {
    return [...this.#flows.values()];
  }

  /** Starts routing and executing in the background. */
  async start(): Promise<void> {
    if (this.#running) return;
    if (this.store.dialect === 'sqlite') {
      // SQLite is one process: runs still marked running belong to a process that is gone.
      const recovered = await this.store.runs.expireAllLeases(this.store.db, this.clock.now());
      if (recovered > 0)
        this.log.info({ recovered }, 'resuming runs interrupted by a previous stop');
    }
    this.#running = true;
    try {
      this.#unlisten = await this.store.work.listen(() => this.#notify());
    } catch (caught) {
      this.log.warn(
        { err: coerceError(caught) },
        'cannot listen for work notifications; polling until the listener connects',
      );
    }
    const beat = Math.max(50, Math.floor(this.#env.leaseMs / 3));
    this.#heartbeat = setInterval(() => void this.#renewLeases(), beat);
    this.#sweep = setInterval(
      () => void this.#wakeSignalled(),
      Math.max(1000, Math.min(this.#pollIntervalMs * 10, 2_000)),
    );
    this.#loop = this.#runLoop();
  }

  /** Stops claiming work and waits for the runs in flight to reach a checkpoint. */
  async stop(): Promise<void> {
    this.#running = false;
    clearInterval(this.#heartbeat);
    clearInterval(this.#sweep);
    this.#unlisten?.();
    this.#unlisten = undefined;
    if (this.#dueTimer) clearTimeout(this.#dueTimer.timer);
    this.#dueTimer = undefined;
    this.#dueTimes = [];
    this.#notify();
    await this.#loop;
    await Promise.all([...this.#active.values()].map((a) => a.done));
    await this.store.commits.drain();
  }

  /** Raises a durable signal and wakes the runs waiting for it. */
  async signal(key: string, payload: unknown): Promise<void> {
    const at = this.clock.now();
    await this.store.grouped(async (trx) => {
      await this.store.signals.raise(trx, key, payload, at);
      await this.store.runs.wakeWaiting(trx, key, at);
    });
    this.events.emit('signal.raised', { key });
    this.#announce();
  }

  /**
   * Routes and executes until nothing is left that can run now (future timers and waits are not
   * awaited). For tests, the simulator and one-shot commands; do not combine with {@link start}.
   */
  async runUntilIdle(options: { maxRounds?: number } = {}): Promise<void> {
    const maxRounds = options.maxRounds ?? 1_000_000;
    for (let round = 0; round < maxRounds; round++) {
      // A run that finishes while the claim query runs can free the next run of its key after
      // the query looked; only a round in which nothing finished proves there is nothing to do.
      const finishedBefore = this.#finished;
      const routed = await this.#routeOnce();
      const claimed = await this.#claimOnce();
      if (
        routed.events === 0 &&
        claimed === 0 &&
        this.#active.size === 0 &&
        this.#finished === finishedBefore
      )
        return;
      if (claimed === 0 && this.#active.size > 0)
        await Promise.race([...this.#active.values()].map((a) => a.done));
    }
    throw new Error(`runUntilIdle: still busy after ${maxRounds} rounds`);
  }

  /** Number of runs this worker is executing right now. */
  get activeRuns(): number {
    return this.#active.size;
  }

  async #runLoop(): Promise<void> {
    while (this.#running) {
      try {
        // Routing and claiming are queued in the same turn, so they share one group commit (the
        // claim runs after the routing in that transaction and sees the runs it created, when
        // they are due by the claim's time): a new run waits for one fsync before it executes,
        // not two.
        const free = this.#concurrency - this.#active.size;
        const [routed, claimed] = await Promise.all([this.#routeOnce(), this.#claimOnce()]);
        // Go round again at once only if this pass may have left work it could not see: a full
        // routing batch, runs the routing made claimable (the claim's time was taken before the
        // routing's, and on PostgreSQL the two may be separate transactions), or a full claim.
        // Anything else that becomes claimable later notifies (appends, finished runs, timers,
        // other processes), and a notification during this pass makes the idle return at once.
        const more =
          routed.events === this.#routeBatchSize ||
          routed.claimable > 0 ||
          (free > 0 && claimed >= free);
        if (!more || this.#active.size >= this.#concurrency) await this.#idle();
      } catch (caught) {
        this.log.error({ err: coerceError(caught) }, 'engine loop failed; retrying');
        await this.#idle();
      }
    }
  }

  #idle(): Promise<void> {
    if (this.#pendingWake) {
      this.#pendingWake = false;
      this.wakes.notified += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (polled: boolean) => {
        clearTimeout(timer);
        this.#wake = undefined;
        if (polled) this.wakes.poll += 1;
        else this.wakes.notified += 1;
        resolve();
      };
      const timer = setTimeout(() => done(true), this.#pollIntervalMs);
      this.#wake = () => done(false);
    });
  }

  /** Wakes this worker's loop (or makes its next idle return at once). */
  #notify(): void {
    if (this.#wake) this.#wake();
    else this.#pendingWake = true;
  }

  /** Wakes this worker and tells the other processes' workers on the database. */
  #announce(): void {
    this.#notify();
    this.store.work.announce();
  }

  /** Wakes the loop at clock time `at` (a retry, sleep or wait deadline of this worker's run). */
  #wakeAt(at: number): void {
    if (!this.#running) return;
    const times = this.#dueTimes;
    let i = times.length;
    while (i > 0 && times[i - 1]! > at) i--;
    times.splice(i, 0, at);
    this.#armDueTimer();
  }

  #armDueTimer(): void {
    const next = this.#dueTimes[0];
    if (next === undefined || !this.#running) return;
    if (this.#dueTimer && this.#dueTimer.at <= next) return;
    if (this.#dueTimer) clearTimeout(this.#dueTimer.timer);
    const timer = setTimeout(
      () => {
        this.#dueTimer = undefined;
        const now = this.clock.now();
        let due = 0;
        while (this.#dueTimes.length > 0 && this.#dueTimes[0]! <= now) {
          this.#dueTimes.shift();
          due += 1;
        }
        if (due > 0) {
          this.wakes.timer += 1;
          this.#notify();
        }
        this.#armDueTimer();
      },
      // +1: the claim compares `available_at <= now`; never wake a millisecond early.
      // (Clamped to what setTimeout takes; an early firing finds nothing due and re-arms.)
      Math.min(Math.max(0, next - this.clock.now()) + 1, 2 ** 31 - 1),
    );
    timer.unref();
    this.#dueTimer = { at: next, timer };
  }

  /** Routes one batch: how many events it took, and how many runs it made claimable. */
  async #routeOnce(): Promise<{ events: number; claimable: number }> {
    const result = await this.#router.routeBatch(this.#routeBatchSize);
    for (const { event, error } of result.poisoned) {
      this.log.warn(
        { eventId: event.eventId, type: event.type, err: error },
        'poison event moved to the exception queue',
      );
      this.events.emit('event.poisoned', { event, error });
    }
    for (const event of result.events)
      this.events.emit('event.routed', { event, runs: result.runsCreated });
    // Other processes' workers may claim the new and woken runs (this one may be full).
    const claimable = result.runsCreated + result.woken;
    if (claimable > 0) this.store.work.announce();
    return { events: result.events.length, claimable };
  }

  async #claimOnce(): Promise<number> {
    const free = this.#concurrency - this.#active.size;
    if (free <= 0) return 0;
    const now = this.clock.now();
    const runs = await this.store.grouped((trx) =>
      this.store.runs.claim(trx, this.store.dialect, {
        owner: this.workerId,
        now,
        leaseMs: this.#env.leaseMs,
        limit: free,
      }),
    );
    for (const run of runs) this.#execute(run);
    return runs.length;
  }

  #execute(run: RunRecord): void {
    const controller = new AbortController();
    const done = (async () => {
      const flow = this.#flows.get(run.flow);
      this.events.emit('run.claimed', { run });
      try {
        if (!flow) {
          // Unknown flow (removed or renamed): keep the run until a worker that knows it claims it.
          await applyOutcome(this.#env, run, {
            kind: 'defer',
            step: run.currentStep ?? '(flow)',
            error: coerceError(
              new Error(`flow ${run.flow} is not registered on worker ${this.workerId}`),
            ),
            delayMs: 5_000,
          });
          return;
        }
        const outcome = await executeRun(this.#env, flow, run, controller.signal);
        const applied = await applyOutcome(this.#env, run, outcome);
        if (applied) this.#scheduleWake(outcome);
        this.#report(run, outcome, applied);
      } catch (caught) {
        this.log.error(
          { runId: run.id, err: coerceError(caught) },
          'run execution failed; its lease will expire',
        );
      } finally {
        this.#active.delete(run.seq);
        this.#finished += 1;
        this.#notify();
      }
    })();
    this.#active.set(run.seq, { controller, done });
  }

  /** A run this worker put off becomes claimable later: wake then rather than at a poll. */
  #scheduleWake(outcome: ExecutionOutcome): void {
    switch (outcome.kind) {
      case 'retry':
      case 'defer':
        this.#wakeAt(this.clock.now() + outcome.delayMs);
        break;
      case 'sleep':
        this.#wakeAt(outcome.wakeAt);
        break;
      case 'wait':
        this.#wakeAt(outcome.deadline);
        break;
      default:
        break;
    }
  }

  #report(run: RunRecord, outcome: ExecutionOutcome, applied: boolean): void {
    const log = this.log.child({
      runId: run.id,
      flow: run.flow,
      correlationId: run.correlationId,
      causationId: run.causationId,
    });
    if (!applied) {
      const reason =
        outcome.kind === 'abandoned' ? outcome.reason : 'lease lost before the outcome was saved';
      log.warn({ reason }, 'run abandoned to its new owner');
      this.events.emit('run.abandoned', { run, reason });
      return;
    }
    switch (outcome.kind) {
      case 'completed':
        log.debug('run completed');
        this.events.emit('run.completed', { run, durationMs: this.clock.now() - run.createdAt });
        break;
      case 'retry':
        log.info(
          {
            step: outcome.step,
            attempt: outcome.attempt,
            delayMs: outcome.delayMs,
            err: outcome.error,
          },
          'step failed; retrying',
        );
        this.events.emit('run.retrying', {
          run,
          step: outcome.step,
          error: outcome.error,
          delayMs: outcome.delayMs,
        });
        break;
      case 'defer':
        log.info(
          { step: outcome.step, delayMs: outcome.delayMs, code: outcome.error.code },
          'step deferred',
        );
        this.events.emit('run.deferred', {
          run,
          step: outcome.step,
          error: outcome.error,
          delayMs: outcome.delayMs,
        });
        break;
      case 'park':
        log.warn(
          { step: outcome.step, err: outcome.error, attempts: outcome.attempts },
          'run parked in the exception queue',
        );
        this.events.emit('run.parked', { run, step: outcome.step, error: outcome.error });
        break;
      case 'wait':
        log.debug({ key: outcome.key }, 'run waiting for a signal');
        this.events.emit('run.waiting', { run, key: outcome.key, deadline: outcome.deadline });
        break;
      case 'sleep':
      case 'abandoned':
        break;
    }
  }

  async #renewLeases(): Promise<void> {
    const seqs = [...this.#active.keys()];
    if (seqs.length === 0) return;
    try {
      const held = new Set(
        await this.store.runs.heartbeat(
          this.store.db,
          this.workerId,
          seqs,
          this.clock.now() + this.#env.leaseMs,
        ),
      );
      for (const seq of seqs) {
        if (!held.has(seq)) this.#active.get(seq)?.controller.abort();
      }
    } catch (caught) {
      this.log.warn({ err: coerceError(caught) }, 'lease heartbeat failed');
    }
  }

  async #wakeSignalled(): Promise<void> {
    try {
      const woken = await this.store.runs.wakeSignalled(this.store.db, this.clock.now());
      if (woken > 0) this.#notify();
    } catch (caught) {
      this.log.warn({ err: coerceError(caught) }, 'signal sweep failed');
    }
  }
}
