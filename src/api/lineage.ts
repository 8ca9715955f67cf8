import type { z } from 'zod';
import type { Store } from '../store/store.ts';
import { iso } from './schemas/common.ts';
import { LINEAGE_KINDS, type LineageItem } from './schemas/records.ts';

type Item = z.output<typeof LineageItem>;
type Kind = Item['kind'];

// Ties at the same millisecond follow the order things happen in; a run's steps share one rank
// and keep the order they are pushed in (by time, then position, a failure before its retry).
const KIND_ORDER = new Map<Kind, number>(
  LINEAGE_KINDS.map((k, i) => [
    k,
    k === 'step.completed' ? LINEAGE_KINDS.indexOf('step.failed') : i,
  ]),
);

/**
 * The lineage timeline of an entity key: its inbox events (received, routed or failed), the
 * canonical events they meant, its runs
 * (created, started, finished), their steps (each failed attempt and the completion) and the
 * exceptions opened and closed for it — oldest first, each with its correlation id so one
 * business change can be followed across systems. Reads the newest `limit` events and runs.
 */
export async function buildLineage(
  store: Store,
  entityKey: string,
  options: { limit?: number } = {},
): Promise<Item[]> {
  const limit = options.limit ?? 100;
  const db = store.db;
  const [events, canonical, runs, exceptions] = await Promise.all([
    store.inbox.listForEntity(db, entityKey, { limit }),
    store.events.listForEntity(db, entityKey, { limit }),
    store.runs.list(db, { entityKey, limit }),
    store.exceptions.list(db, { entityKey, limit }),
  ]);
  const runIds = runs.map((r) => r.id);
  const [steps, attempts] = await Promise.all([
    store.steps.listForRuns(db, runIds),
    store.steps.listFailedAttemptsForRuns(db, runIds),
  ]);
  const runsById = new Map(runs.map((r) => [r.id, r]));
  const items: Item[] = [];
  const push = (atMs: number, kind: Kind, fields: Partial<Item> & { title: string }) =>
    items.push({
      at: iso(atMs),
      atMs,
      kind,
      correlationId: null,
      causationId: null,
      eventId: null,
      runId: null,
      flow: null,
      step: null,
      exceptionId: null,
      status: null,
      ...fields,
    });

  for (const e of events) {
    const base = {
      correlationId: e.correlationId,
      causationId: e.causationId,
      eventId: e.eventId,
      status: e.status,
    };
    push(e.receivedAt, 'event.received', { ...base, title: `${e.type} received from ${e.source}` });
    if (e.routedAt !== null) {
      push(e.routedAt, 'event.routed', { ...base, title: `${e.type} routed` });
    }
    if (e.status === 'failed') {
      push(e.receivedAt, 'event.failed', {
        ...base,
        title: `${e.type} could not be routed: ${e.error?.message ?? 'unknown reason'}`,
      });
    }
  }

  for (const c of canonical) {
    push(c.createdAt, 'event.normalised', {
      correlationId: c.correlationId,
      causationId: c.inboxEventId,
      eventId: c.eventId,
      status: null,
      title: `${c.vendorType} from ${c.source} means ${c.type}${c.subject ? ` (${c.subject})` : ''}`,
    });
  }

  for (const r of runs) {
    const base = {
      correlationId: r.correlationId,
      causationId: r.causationId,
      eventId: r.triggerEventId,
      runId: r.id,
      flow: r.flow,
      status: r.status,
    };
    const replay = r.replayOf ? ` (replay of ${r.replayOf})` : '';
    push(r.createdAt, 'run.created', { ...base, title: `${r.flow}: run created${replay}` });
    if (r.startedAt !== null)
      push(r.startedAt, 'run.started', { ...base, title: `${r.flow}: started` });
    if (
      r.completedAt !== null &&
      (r.status === 'completed' || r.status === 'skipped' || r.status === 'cancelled')
    ) {
      push(r.completedAt, `run.${r.status}`, { ...base, title: `${r.flow}: ${r.status}` });
    }
  }

  const position = new Map(steps.map((s) => [`${s.runId}/${s.name}`, s.position]));
  const stepMoments = [
    ...steps
      .filter((s) => s.status === 'completed' && s.completedAt !== null)
      .map((s) => ({
        at: s.completedAt!,
        runId: s.runId,
        name: s.name,
        failed: null,
        attempts: s.attempts,
      })),
    ...attempts.map((a) => ({
      at: a.at,
      runId: a.runId,
      name: a.stepName,
      failed: a,
      attempts: a.attempt,
    })),
  ].sort(
    (a, b) =>
      a.at - b.at ||
      (position.get(`${a.runId}/${a.name}`) ?? Infinity) -
        (position.get(`${b.runId}/${b.name}`) ?? Infinity) ||
      (a.failed ? 0 : 1) - (b.failed ? 0 : 1),
  );
  for (const m of stepMoments) {
    const run = runsById.get(m.runId);
    const flow = run?.flow ?? 'run';
    const base = {
      correlationId: run?.correlationId ?? null,
      causationId: m.runId,
      runId: m.runId,
      flow: run?.flow ?? null,
      step: m.name,
    };
    if (m.failed) {
      push(m.at, 'step.failed', {
        ...base,
        status: m.failed.error.code,
        title: `${flow}: step ${m.name} failed (attempt ${m.failed.attempt}): ${m.failed.error.code}: ${m.failed.error.message}`,
      });
    } else {
      push(m.at, 'step.completed', {
        ...base,
        status: 'completed',
        title: `${flow}: step ${m.name} completed${m.attempts > 1 ? ` after ${m.attempts} attempts` : ''}`,
      });
    }
  }

  for (const x of exceptions) {
    const base = {
      correlationId: x.correlationId,
      runId: x.runId,
      flow: x.flow,
      step: x.stepName,
      exceptionId: x.id,
    };
    push(x.createdAt, 'exception.opened', {
      ...base,
      status: 'open',
      title: `${x.flow ?? 'event'}: parked in the exception queue: ${x.errorCode}: ${x.message}`,
    });
    if (x.resolution) {
      const reason = x.resolution.reason ? ` (${x.resolution.reason})` : '';
      push(x.resolution.at, 'exception.closed', {
        ...base,
        status: x.status,
        title: `exception ${x.status} by ${x.resolution.actor}${reason}`,
      });
    }
  }

  return items.sort(
    (a, b) => a.atMs - b.atMs || (KIND_ORDER.get(a.kind) ?? 0) - (KIND_ORDER.get(b.kind) ?? 0),
  );
}
