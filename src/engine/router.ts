import { sql } from 'kysely';
import { InvalidEventError, coerceError, type RevsyncError } from '../model/revsync-error.ts';
import { newId } from '../model/ids.ts';
import type { InboxRecord } from '../store/inbox-repository.ts';
import type { Store } from '../store/store.ts';
import type { Transaction } from '../store/store.ts';
import type { Database } from '../store/schema.ts';
import type { Clock } from './clock.ts';
import { PRIORITIES, type Flow, type TriggerEvent } from './flow.ts';

/** Signal keys an event raises; by default `${type}:${subject}` when it has a subject. */
export type SignalKeys = (event: TriggerEvent) => string[];

export const defaultSignalKeys: SignalKeys = (event) =>
  event.subject ? [`${event.type}:${event.subject}`] : [];

// One router at a time on PostgreSQL, so runs of one entity key get sequence numbers in inbox order.
const ROUTER_LOCK = 7_420_001;

export interface RouteResult {
  events: InboxRecord[];
  poisoned: { event: InboxRecord; error: RevsyncError }[];
  runsCreated: number;
  signals: string[];
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

  constructor(store: Store, clock: Clock, signalKeys: SignalKeys = defaultSignalKeys) {
    this.#store = store;
    this.#clock = clock;
    this.#signalKeys = signalKeys;
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
      const result: RouteResult = { events: [], poisoned: [], runsCreated: 0, signals: [] };
      if (store.dialect === 'postgres') {
        const { rows } = await sql<{
          locked: boolean;
        }>`select pg_try_advisory_xact_lock(${ROUTER_LOCK}) as locked`.execute(trx);
        if (!rows[0]?.locked) return result;
      }
      const events = await store.inbox.listUnrouted(trx, limit);
      for (const event of events) await this.#route(trx, event, result);
      result.events = events;
      return result;
    });
  }

  async #route(trx: Transaction<Database>, event: InboxRecord, result: RouteResult): Promise<void> {
    const store = this.#store;
    const at = this.#clock.now();
    const trigger = toTriggerEvent(event);
    const planned: { flow: Flow; entityKey: string; input: unknown }[] = [];
    for (const flow of this.#byType.get(event.type) ?? []) {
      try {
        if (flow.filter && !flow.filter(trigger)) continue;
        const entityKey = flow.entityKey
          ? flow.entityKey(trigger)
          : (trigger.entitykey ?? trigger.subject);
        if (!entityKey) throw new Error('the event has no entity key (entitykey or subject)');
        const input = flow.input ? flow.input(trigger) : (trigger.data ?? null);
        planned.push({ flow, entityKey, input });
      } catch (caught) {
        const error = new InvalidEventError(
          `flow ${flow.name} cannot take event ${event.type} ${event.sourceEventId} from ${event.source}: ${coerceError(caught).message}`,
          { cause: caught },
        );
        await store.inbox.transition(trx, event.seq, 'failed', { at, error: error.toJSON() });
        await store.exceptions.open(trx, {
          id: newId('exc'),
          kind: 'event',
          runId: null,
          eventSeq: event.seq,
          flow: flow.name,
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
    }
    for (const plan of planned) {
      await store.runs.insert(trx, {
        id: newId('run'),
        flow: plan.flow.name,
        flowVersion: plan.flow.version,
        entityKey: plan.entityKey,
        priority: PRIORITIES[plan.flow.priority],
        input: plan.input,
        triggerEventId: event.eventId,
        correlationId: event.correlationId,
        causationId: event.eventId,
        availableAt: at,
        createdAt: at,
      });
      result.runsCreated += 1;
    }
    for (const key of this.#signalKeys(trigger)) {
      await store.signals.raise(
        trx,
        key,
        { eventId: event.eventId, type: event.type, data: trigger.data ?? null },
        at,
      );
      await store.runs.wakeWaiting(trx, key, at);
      result.signals.push(key);
    }
    await store.inbox.transition(trx, event.seq, 'routed', { at });
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
