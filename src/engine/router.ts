import { sql } from 'kysely';
import { InvalidEventError, coerceError, type RevsyncError } from '../model/revsync-error.ts';
import { newId, stableId } from '../model/ids.ts';
import {
  CANONICAL_SCHEMA_VERSION,
  isCanonicalEventType,
  parseCanonicalData,
} from '../model/canonical-events.ts';
import { upcasters as defaultUpcasters, type UpcasterRegistry } from '../model/upcasters.ts';
import type { NewCanonicalEvent } from '../store/canonical-event-repository.ts';
import type { InboxRecord } from '../store/inbox-repository.ts';
import type { NewRun } from '../store/run-repository.ts';
import type { Store } from '../store/store.ts';
import type { Transaction } from '../store/store.ts';
import type { Database } from '../store/schema.ts';
import type { Clock } from './clock.ts';
import { PRIORITIES, type Flow, type TriggerEvent } from './flow.ts';

/** Signal keys an event raises; by default `${type}:${subject}` when it has a subject. */
export type SignalKeys = (event: TriggerEvent) => string[];

export const defaultSignalKeys: SignalKeys = (event) =>
  event.subject ? [`${event.type}:${event.subject}`] : [];

/** One canonical event as a normaliser returns it (the envelope is added by the router). */
export interface NormalisedEvent {
  type: string;
  subject?: string;
  data?: unknown;
  /** Overrides the inbox event's entity key. */
  entitykey?: string;
  /**
   * The schema version `data` was written with; omitted means the current one (a normaliser
   * maps vendor data into today's shape). Older data is upcast before flows see it.
   */
  schemaversion?: number;
}

/**
 * The normalise stage: what an inbox (vendor) event means as canonical events. Throwing makes the
 * event poison. The default passes each event through as its own canonical event (events that
 * are canonical already, such as revsync's own usage events and the engine's tests).
 */
export type Normalise = (event: TriggerEvent) => NormalisedEvent[];

export const passThrough: Normalise = (event) => [
  {
    type: event.type,
    ...(event.subject !== undefined && { subject: event.subject }),
    data: event.data ?? null,
    // An event stored without a version marker was written before versions existed: v1.
    schemaversion: event.schemaversion ?? 1,
  },
];

// One router at a time on PostgreSQL, so runs of one entity key get sequence numbers in inbox order.
const ROUTER_LOCK = 7_420_001;

/** What routing one batch writes after its events are normalised, in inbox order. */
interface BatchWrites {
  logged: NewCanonicalEvent[];
  runs: NewRun[];
  signals: { key: string; payload: unknown }[];
  routed: number[];
}

export interface RouteResult {
  events: InboxRecord[];
  poisoned: { event: InboxRecord; error: RevsyncError }[];
  runsCreated: number;
  signals: string[];
  /** Waiting runs the batch's signals woke (now queued). */
  woken: number;
}

/**
 * Moves accepted events from the inbox into runs: for each event, in inbox order, one run per
 * flow that subscribes to its type, and the signals it raises. An event no flow can take (no
 * entity key, input rejected) is poison: it is marked failed and queued as an exception, never
 * retried in a loop. Everything for a batch commits together.
 */
export class Router {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #byType = new Map<string, Flow[]>();
  readonly #signalKeys: SignalKeys;
  readonly #normalise: Normalise;
  readonly #upcasters: UpcasterRegistry;

  constructor(
    store: Store,
    clock: Clock,
    options: { signalKeys?: SignalKeys; normalise?: Normalise; upcasters?: UpcasterRegistry } = {},
  ) {
    this.#store = store;
    this.#clock = clock;
    this.#upcasters = options.upcasters ?? defaultUpcasters;
    this.#signalKeys = options.signalKeys ?? defaultSignalKeys;
    this.#normalise = options.normalise ?? passThrough;
  }

  register(flow: Flow): void {
    for (const type of flow.triggers) {
      const list = this.#byType.get(type) ?? [];
      if (list.some((f) => f.name === flow.name)) continue;
      list.push(flow);
      this.#byType.set(type, list);
    }
  }

  /** Routes up to `limit` unrouted events. */
  async routeBatch(limit: number): Promise<RouteResult> {
    const store = this.#store;
    return store.grouped(async (trx) => {
      const result: RouteResult = {
        events: [],
        poisoned: [],
        runsCreated: 0,
        signals: [],
        woken: 0,
      };
      if (store.dialect === 'postgres') {
        const { rows } = await sql<{
          locked: boolean;
        }>`select pg_try_advisory_xact_lock(${ROUTER_LOCK}) as locked`.execute(trx);
        if (!rows[0]?.locked) return result;
      }
      const events = await store.inbox.listUnrouted(trx, limit);
      // What the batch writes goes in a few multi-row statements, in inbox order: nothing in
      // the batch reads it back (new runs are queued, so waking waiters cannot touch them).
      const writes: BatchWrites = { logged: [], runs: [], signals: [], routed: [] };
      const at = this.#clock.now();
      for (const event of events) await this.#route(trx, event, at, result, writes);
      await store.events.insertMany(trx, writes.logged);
      await store.runs.insertMany(trx, writes.runs);
      await store.signals.raiseMany(trx, writes.signals, at);
      result.signals = writes.signals.map((s) => s.key);
      result.woken = await store.runs.wakeWaitingMany(trx, result.signals, at);
      await store.inbox.markRouted(trx, writes.routed, at);
      result.runsCreated = writes.runs.length;
      result.events = events;
      return result;
    });
  }

  /**
   * Normalises one inbox event into canonical events and adds to `writes` (written with the
   * batch) those events, a run per subscribed flow of each and the signals they raise, in
   * order. An event that cannot be normalised or that a flow cannot take is poison: failed and
   * queued as an exception at once, nothing else of it kept.
   */
  async #route(
    trx: Transaction<Database>,
    event: InboxRecord,
    at: number,
    result: RouteResult,
    writes: BatchWrites,
  ): Promise<void> {
    const store = this.#store;
    const vendor = toTriggerEvent(event);
    const canonical: TriggerEvent[] = [];
    const planned: { flow: Flow; entityKey: string; input: unknown; trigger: TriggerEvent }[] = [];
    let flowName: string | null = null;
    try {
      const normalised = this.#normalise(vendor);
      normalised.forEach((n, i) =>
        canonical.push(toCanonicalTrigger(vendor, n, i, this.#upcasters)),
      );
      for (const trigger of canonical) {
        for (const flow of this.#byType.get(trigger.type) ?? []) {
          flowName = flow.name;
          if (flow.filter && !flow.filter(trigger)) continue;
          const entityKey = flow.entityKey
            ? flow.entityKey(trigger)
            : (trigger.entitykey ?? trigger.subject);
          if (!entityKey) throw new Error('the event has no entity key (entitykey or subject)');
          const input = flow.input ? flow.input(trigger) : (trigger.data ?? null);
          planned.push({ flow, entityKey, input, trigger });
        }
      }
    } catch (caught) {
      const error = new InvalidEventError(
        flowName
          ? `flow ${flowName} cannot take event ${event.type} ${event.sourceEventId} from ${event.source}: ${coerceError(caught).message}`
          : `event ${event.type} ${event.sourceEventId} from ${event.source} cannot be normalised: ${coerceError(caught).message}`,
        { cause: caught },
      );
      await store.inbox.transition(trx, event.seq, 'failed', { at, error: error.toJSON() });
      await store.exceptions.open(trx, {
        id: newId('exc'),
        kind: 'event',
        runId: null,
        eventSeq: event.seq,
        flow: flowName,
        entityKey: event.entityKey,
        stepName: null,
        error: error.toJSON(),
        attempts: event.attempts + 1,
        lastInput: event.envelope,
        correlationId: event.correlationId,
        createdAt: at,
      });
      result.poisoned.push({ event, error });
      return;
    }
    for (const c of canonical) writes.logged.push(toCanonicalRecord(event, c, at));
    for (const plan of planned) {
      writes.runs.push({
        id: newId('run'),
        flow: plan.flow.name,
        flowVersion: plan.flow.version,
        entityKey: plan.entityKey,
        priority: PRIORITIES[plan.flow.priority],
        input: plan.input,
        triggerEventId: plan.trigger.eventId,
        correlationId: event.correlationId,
        causationId: plan.trigger.eventId,
        availableAt: at,
        createdAt: at,
      });
    }
    for (const trigger of canonical) {
      for (const key of this.#signalKeys(trigger)) {
        writes.signals.push({
          key,
          payload: { eventId: trigger.eventId, type: trigger.type, data: trigger.data ?? null },
        });
      }
    }
    writes.routed.push(event.seq);
    // A replayed poison event that now routes closes its exception.
    const open =
      event.attempts > 0 ? await store.exceptions.openForEvent(trx, event.seq) : undefined;
    if (open) {
      await store.exceptions.transition(trx, open.id, 'resolved', {
        action: 'resolved',
        actor: 'router',
        at,
      });
    }
  }
}

/**
 * A normalised event as flows see it: the vendor event's envelope (correlation, entity key,
 * time) around the canonical type, subject and data (upcast from the version it was written
 * with to the current one, then checked against the type's schema), with a deterministic id so
 * routing the same inbox event again names the same canonical events.
 */
function toCanonicalTrigger(
  vendor: TriggerEvent,
  n: NormalisedEvent,
  index: number,
  upcasters: UpcasterRegistry,
): TriggerEvent {
  const upcast = upcasters.upcast(
    n.type,
    n.data,
    n.schemaversion ?? upcasters.currentVersion(n.type),
  );
  const data = isCanonicalEventType(n.type)
    ? parseCanonicalData(n.type, upcast.value)
    : upcast.value;
  const eventId = stableId('evt', `${vendor.eventId}:${index}`);
  const entitykey = n.entitykey ?? vendor.entitykey;
  return {
    id: eventId,
    source: vendor.source,
    type: n.type,
    ...(n.subject !== undefined && { subject: n.subject }),
    ...(vendor.time !== undefined && { time: vendor.time }),
    data: data ?? null,
    ...(entitykey !== undefined && { entitykey }),
    ...(vendor.correlationid !== undefined && { correlationid: vendor.correlationid }),
    causationid: vendor.eventId,
    schemaversion: upcast.version,
    vendoreventid: vendor.id,
    eventId,
  };
}

function toCanonicalRecord(inbox: InboxRecord, c: TriggerEvent, at: number): NewCanonicalEvent {
  const time = c.time !== undefined ? Date.parse(c.time) : NaN;
  return {
    eventId: c.eventId,
    inboxSeq: inbox.seq,
    inboxEventId: inbox.eventId,
    source: inbox.source,
    vendorEventId: inbox.sourceEventId,
    vendorType: inbox.type,
    type: c.type,
    subject: c.subject ?? null,
    entityKey: c.entitykey ?? null,
    correlationId: inbox.correlationId,
    schemaVersion: c.schemaversion ?? CANONICAL_SCHEMA_VERSION,
    data: c.data ?? null,
    time: Number.isFinite(time) ? time : null,
    createdAt: at,
  };
}

/** The inbox entry as the flow's trigger event. */
export function toTriggerEvent(event: InboxRecord): TriggerEvent {
  const env = event.envelope as Partial<TriggerEvent>;
  return {
    ...env,
    id: event.sourceEventId,
    source: event.source,
    type: event.type,
    ...(event.subject !== null && { subject: event.subject }),
    ...(event.entityKey !== null && { entitykey: event.entityKey }),
    correlationid: event.correlationId,
    ...(event.causationId !== null && { causationid: event.causationId }),
    eventId: event.eventId,
  };
}
