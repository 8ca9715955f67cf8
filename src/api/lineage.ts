import type { z } from 'zod';
import type { Store } from '../store/store.ts';
import { iso } from './schemas/common.ts';
import { LINEAGE_KINDS, type LineageItem } from './schemas/records.ts';

type Item = z.output<typeof LineageItem>;
type Kind = Item['kind'];

const KIND_ORDER = new Map<Kind, number>(LINEAGE_KINDS.map((k, i) => [k, i]));

/**
 * The lineage timeline of an entity key: its inbox events (received, routed or failed), its runs
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
  const [events, runs, exceptions] = await Promise.all([
    store.inbox.listForEntity(db, entityKey, { limit }),
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

  for (const s of steps) {
    const run = runsById.get(s.runId);
    if (s.completedAt === null || s.status !== 'completed') continue;
    push(s.completedAt, 'step.completed', {
      correlationId: run?.correlationId ?? null,
      causationId: s.runId,
      runId: s.runId,
      flow: run?.flow ?? null,
      step: s.name,
      status: s.status,
      title: `${run?.flow ?? 'run'}: step ${s.name} completed${s.attempts > 1 ? ` after ${s.attempts} attempts` : ''}`,
    });
  }

  for (const a of attempts) {
    const run = runsById.get(a.runId);
    push(a.at, 'step.failed', {
      correlationId: run?.correlationId ?? null,
      causationId: a.runId,
      runId: a.runId,
      flow: run?.flow ?? null,
      step: a.stepName,
      status: a.error.code,
      title: `${run?.flow ?? 'run'}: step ${a.stepName} failed (attempt ${a.attempt}): ${a.error.code}: ${a.error.message}`,
    });
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
