import { CircuitOpenError, coerceError, type RevsyncError } from '../model/revsync-error.ts';
import {
  CircuitBreaker,
  type CircuitOptions,
  type CircuitSnapshot,
  type CircuitState,
} from './circuit-breaker.ts';
import { Governor, type GovernorLimits, type GovernorState } from './governor.ts';
import type { Lane } from './lanes.ts';

/** One API account's settings. */
export interface ConnectionSettings {
  /** The vendor, e.g. `netsuite`. */
  system: string;
  limits?: GovernorLimits;
  circuit?: CircuitOptions;
}

/** A finished outbound call, for metrics and logs. */
export interface CallRecord {
  connection: string;
  system: string;
  operation: string;
  lane: Lane;
  durationMs: number;
  /** `ok`, or the error code. */
  outcome: 'ok' | RevsyncError['code'];
}

/** Health of one connection, as the API and dashboard show it. */
export interface ConnectionHealth {
  name: string;
  system: string;
  circuit: CircuitSnapshot;
  governor: GovernorState;
  /** Usage the vendor itself reported (e.g. Salesforce `Sforce-Limit-Info`), if any. */
  reportedUsage: { used: number; limit: number; at: number } | null;
  calls: number;
  failures: number;
  lastError: { code: string; message: string; at: number } | null;
}

export interface CallOptions {
  /** Name of the vendor operation (`invoice.upsert`), for metrics. */
  operation: string;
  lane?: Lane;
  signal?: AbortSignal;
}

/**
 * One API account behind the gateway: every call to it from any flow passes its governor (rate,
 * concurrency, Retry-After, lanes) and its circuit breaker.
 */
export class OutboundConnection {
  readonly name: string;
  readonly system: string;
  readonly governor: Governor;
  readonly circuit: CircuitBreaker;
  #reportedUsage: ConnectionHealth['reportedUsage'] = null;
  #calls = 0;
  #failures = 0;
  #lastError: ConnectionHealth['lastError'] = null;
  readonly #now: () => number;
  readonly #onCall: (record: CallRecord) => void;

  constructor(
    name: string,
    settings: ConnectionSettings,
    options: {
      now?: () => number;
      onCall?: (record: CallRecord) => void;
      onCircuit?: (name: string, from: CircuitState, to: CircuitState) => void;
    } = {},
  ) {
    this.name = name;
    this.system = settings.system;
    this.#now = options.now ?? Date.now;
    this.#onCall = options.onCall ?? (() => {});
    this.governor = new Governor(settings.limits, { now: this.#now });
    this.circuit = new CircuitBreaker(settings.circuit, { now: this.#now });
    if (options.onCircuit) this.circuit.onChange((from, to) => options.onCircuit!(name, from, to));
  }

  /**
   * Runs `fn` when the circuit and the governor allow it. An open circuit throws
   * {@link CircuitOpenError} at once (the engine defers the run without using up an attempt);
   * a rate-limit answer pauses the whole account for its `retryAfterMs`.
   */
  async call<T>(
    options: CallOptions,
    fn: (signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    const lane = options.lane ?? 'normal';
    const decision = this.circuit.decide();
    if (!decision.allowed) {
      throw new CircuitOpenError(
        `${this.name} is unavailable (circuit open); next probe in ${decision.retryAfterMs} ms`,
        {
          retryAfterMs: decision.retryAfterMs,
          system: this.system,
        },
      );
    }
    let release: () => void;
    try {
      release = await this.governor.acquire(lane, options.signal);
    } catch (caught) {
      if (decision.probe) this.circuit.recordSuccess();
      throw coerceError(caught);
    }
    const started = this.#now();
    this.#calls += 1;
    try {
      const result = await fn(options.signal);
      this.circuit.recordSuccess();
      this.#record(options, lane, started, 'ok');
      return result;
    } catch (caught) {
      const error = coerceError(caught);
      if (error.code === 'rate_limited') {
        this.governor.pause(error.retryAfterMs ?? 1_000);
        this.circuit.recordSuccess();
      } else if (error.code === 'transient' || error.code === 'timeout') {
        this.circuit.recordFailure();
      } else {
        // The system answered; the request was wrong. That says nothing against its health.
        this.circuit.recordSuccess();
      }
      this.#failures += 1;
      this.#lastError = { code: error.code, message: error.message, at: this.#now() };
      this.#record(options, lane, started, error.code);
      throw error;
    } finally {
      release();
    }
  }

  /** Records the usage the vendor reported in a response header. */
  reportUsage(used: number, limit: number): void {
    this.#reportedUsage = { used, limit, at: this.#now() };
  }

  health(): ConnectionHealth {
    return {
      name: this.name,
      system: this.system,
      circuit: this.circuit.snapshot(),
      governor: this.governor.state(),
      reportedUsage: this.#reportedUsage,
      calls: this.#calls,
      failures: this.#failures,
      lastError: this.#lastError,
    };
  }

  #record(options: CallOptions, lane: Lane, started: number, outcome: CallRecord['outcome']): void {
    this.#onCall({
      connection: this.name,
      system: this.system,
      operation: options.operation,
      lane,
      durationMs: this.#now() - started,
      outcome,
    });
  }
}

/**
 * The outbound gateway: one {@link OutboundConnection} per API account, shared by every flow
 * that uses that account, so limits hold for the account as a whole.
 */
export class OutboundGateway {
  readonly #connections = new Map<string, OutboundConnection>();
  readonly #now: () => number;
  readonly #callListeners = new Set<(record: CallRecord) => void>();
  readonly #circuitListeners = new Set<
    (name: string, from: CircuitState, to: CircuitState) => void
  >();

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** The connection named `name`, created with `settings` on first use. */
  connection(name: string, settings: ConnectionSettings): OutboundConnection {
    let conn = this.#connections.get(name);
    if (!conn) {
      conn = new OutboundConnection(name, settings, {
        now: this.#now,
        onCall: (r) => this.#callListeners.forEach((l) => l(r)),
        onCircuit: (n, from, to) => this.#circuitListeners.forEach((l) => l(n, from, to)),
      });
      this.#connections.set(name, conn);
    } else if (settings.limits) {
      conn.governor.setLimits(settings.limits);
    }
    return conn;
  }

  connections(): OutboundConnection[] {
    return [...this.#connections.values()];
  }

  onCall(listener: (record: CallRecord) => void): () => void {
    this.#callListeners.add(listener);
    return () => this.#callListeners.delete(listener);
  }

  onCircuitChange(
    listener: (name: string, from: CircuitState, to: CircuitState) => void,
  ): () => void {
    this.#circuitListeners.add(listener);
    return () => this.#circuitListeners.delete(listener);
  }
}
