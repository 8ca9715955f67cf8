/**
 * Lifecycle of runs, inbox events and exceptions, as data. Each table maps a state to the states
 * it may move to; {@link assertTransition} and the stores' single transition functions consult
 * it, so no code sets a status field by hand.
 */

/** A flow run's lifecycle. */
export const RUN_TRANSITIONS = {
  /** Waiting for its turn: due time reached and every earlier run of its entity key finished. */
  queued: ['running', 'skipped', 'cancelled'],
  /** Claimed by a worker holding a lease. `running → running` is a takeover of an expired lease. */
  running: ['running', 'queued', 'waiting', 'completed', 'parked'],
  /** Waiting for a signal (or its timeout). Holds back later runs of the same entity key. */
  waiting: ['queued', 'running', 'skipped', 'cancelled'],
  /** In the exception queue until an operator retries, edits and resubmits, or skips it. */
  parked: ['queued', 'skipped', 'cancelled'],
  completed: [],
  skipped: [],
  cancelled: [],
} as const satisfies Record<string, readonly string[]>;

export type RunStatus = keyof typeof RUN_TRANSITIONS;
export const RUN_STATUSES = Object.keys(RUN_TRANSITIONS) as RunStatus[];
/** Statuses that still hold the entity key (later runs of that key wait behind them). */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'waiting', 'parked'];
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['completed', 'skipped', 'cancelled'];

/** An inbox event's lifecycle. */
export const INBOX_TRANSITIONS = {
  received: ['routed', 'failed'],
  routed: [],
  /** Could not be routed (poison); its exception holds the reason. Replay sends it back. */
  failed: ['received'],
} as const satisfies Record<string, readonly string[]>;

export type InboxStatus = keyof typeof INBOX_TRANSITIONS;

/** An exception-queue entry's lifecycle. Each parking of a run opens a new entry. */
export const EXCEPTION_TRANSITIONS = {
  open: ['retried', 'resubmitted', 'skipped', 'resolved'],
  /** An operator sent the run back unchanged. */
  retried: [],
  /** An operator edited the run's input and sent it back. */
  resubmitted: [],
  /** An operator gave up on the run, with a reason. */
  skipped: [],
  /** Closed without operator action (e.g. a replayed event routed successfully). */
  resolved: [],
} as const satisfies Record<string, readonly string[]>;

export type ExceptionStatus = keyof typeof EXCEPTION_TRANSITIONS;

type Table = Record<string, readonly string[]>;

/** The states from which `to` can be reached. */
export function sourcesOf<T extends Table>(table: T, to: keyof T & string): (keyof T & string)[] {
  return Object.entries(table)
    .filter(([, targets]) => targets.includes(to))
    .map(([from]) => from as keyof T & string);
}

/** Throws unless `from → to` is in the table. */
export function assertTransition<T extends Table>(
  table: T,
  from: keyof T & string,
  to: keyof T & string,
  what = 'state',
): void {
  if (!table[from]?.includes(to)) {
    throw new Error(`invalid ${what} transition ${from} → ${to}`);
  }
}

/**
 * Change requests (four-eyes approvals): a protected operator action waits as `pending` until
 * enough approvers approve it (`approved`), then runs (`executed`, or `failed` when the engine
 * refused it, e.g. the exception was closed meanwhile). A pending request can be `rejected` or
 * run out of time (`expired`).
 */
export const CHANGE_REQUEST_TRANSITIONS = {
  pending: ['approved', 'rejected', 'expired'],
  approved: ['executed', 'failed'],
  rejected: [],
  expired: [],
  executed: [],
  failed: [],
} as const satisfies Record<string, readonly string[]>;

export type ChangeRequestStatus = keyof typeof CHANGE_REQUEST_TRANSITIONS;
export const CHANGE_REQUEST_STATUSES = Object.keys(
  CHANGE_REQUEST_TRANSITIONS,
) as ChangeRequestStatus[];

/**
 * A stored reconciliation run: `running` while it reads; `clean` (no discrepancies),
 * `discrepancies` (some found) or `failed` (it could not finish: a connector error, a crash).
 */
export const RECON_RUN_TRANSITIONS = {
  running: ['clean', 'discrepancies', 'failed'],
  clean: [],
  discrepancies: [],
  failed: [],
} as const satisfies Record<string, readonly string[]>;

export type ReconRunStatus = keyof typeof RECON_RUN_TRANSITIONS;
export const RECON_RUN_STATUSES = Object.keys(RECON_RUN_TRANSITIONS) as ReconRunStatus[];
