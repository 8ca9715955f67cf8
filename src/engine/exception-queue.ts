import { ConflictError, NotFoundError, ValidationError } from '../model/revsync-error.ts';
import { newId } from '../model/ids.ts';
import type { ExceptionFilter, ExceptionRecord } from '../store/exception-repository.ts';
import type { RunRecord } from '../store/run-repository.ts';
import type { Store, Transaction } from '../store/store.ts';
import type { Database } from '../store/schema.ts';
import { inboxRow } from '../store/inbox.ts';
import type { Clock } from './clock.ts';
import { jsonDiff } from './json-diff.ts';

/** Who is acting; recorded in the audit log. */
export interface Actor {
  actor: string;
  /**
   * The approved change request this action carries out, recorded in its audit entry (in the
   * same transaction), so a request whose execution was cut short can tell it already ran.
   */
  changeRequest?: string;
}

/** The audit details that name the change request an action carries out, if any. */
function byRequest(who: Actor): Record<string, unknown> {
  return who.changeRequest === undefined ? {} : { changeRequest: who.changeRequest };
}

/**
 * The exception queue and the operator's actions on it: retry, skip with a reason,
 * edit-and-resubmit (the change is audited), and replay of one run or of every run of an
 * entity key. Every action is one transaction together with its audit entry.
 */
export class ExceptionQueue {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #wake: () => void;

  constructor(store: Store, clock: Clock, wake: () => void) {
    this.#store = store;
    this.#clock = clock;
    this.#wake = wake;
  }

  list(filter: ExceptionFilter = {}): Promise<ExceptionRecord[]> {
    return this.#store.exceptions.list(this.#store.db, filter);
  }

  async get(id: string): Promise<ExceptionRecord> {
    const found = await this.#store.exceptions.get(this.#store.db, id);
    if (!found) throw new NotFoundError(`no exception ${id}`);
    return found;
  }

  /** Sends the parked run (or the failed event) back unchanged. */
  async retry(id: string, { actor }: Actor): Promise<ExceptionRecord> {
    return this.#act(id, async (trx, exc, at) => {
      notADiscrepancy(exc, 'retried');
      notAMessage(exc, 'retried');
      if (exc.kind === 'run') {
        const run = await this.#parkedRun(trx, exc);
        await this.#store.runs.transition(
          trx,
          run.seq,
          'queued',
          { at, availableAt: at, attempt: 0, error: null },
          { from: ['parked'] },
        );
      } else {
        await this.#store.inbox.transition(trx, exc.eventSeq!, 'received', { at, error: null });
      }
      await this.#store.exceptions.transition(trx, exc.id, 'retried', {
        action: 'retry',
        actor,
        at,
      });
      await this.#audit(trx, actor, 'exception.retry', exc, {});
    });
  }

  /** Retries many; each result says whether that one worked. */
  async retryMany(
    ids: string[],
    who: Actor,
  ): Promise<{ id: string; ok: boolean; error?: string }[]> {
    const results: { id: string; ok: boolean; error?: string }[] = [];
    for (const id of ids) {
      try {
        await this.retry(id, who);
        results.push({ id, ok: true });
      } catch (caught) {
        results.push({
          id,
          ok: false,
          error: caught instanceof Error ? caught.message : String(caught),
        });
      }
    }
    return results;
  }

  /** Gives up on the run (later runs of its entity key proceed); a reason is required. */
  async skip(id: string, who: Actor & { reason: string }): Promise<ExceptionRecord> {
    const { actor, reason } = who;
    if (!reason?.trim()) throw new ValidationError('skipping needs a reason');
    return this.#act(id, async (trx, exc, at) => {
      if (exc.kind === 'run') {
        const run = await this.#parkedRun(trx, exc);
        await this.#store.runs.transition(
          trx,
          run.seq,
          'skipped',
          { at, completedAt: at },
          { from: ['parked'] },
        );
      }
      await this.#store.exceptions.transition(trx, exc.id, 'skipped', {
        action: 'skip',
        actor,
        at,
        reason,
      });
      await this.#audit(trx, actor, 'exception.skip', exc, { reason, ...byRequest(who) });
    });
  }

  /**
   * Replaces the run's input (or the failed event's data) and sends it back. Steps already done
   * keep their results; the failed step and those after it run with the new input and a new
   * idempotency key. The audit entry lists every changed path with its old and new value.
   */
  async resubmit(
    id: string,
    who: Actor & { input: unknown; reason?: string },
  ): Promise<ExceptionRecord> {
    const { actor, input, reason } = who;
    if (input === undefined) throw new ValidationError('resubmit needs the edited input');
    return this.#act(id, async (trx, exc, at) => {
      notADiscrepancy(exc, 'resubmitted');
      notAMessage(exc, 'resubmitted');
      let before: unknown;
      if (exc.kind === 'run') {
        const run = await this.#parkedRun(trx, exc);
        before = run.input;
        await this.#store.runs.transition(
          trx,
          run.seq,
          'queued',
          {
            at,
            availableAt: at,
            attempt: 0,
            error: null,
            input,
            inputRevision: run.inputRevision + 1,
          },
          { from: ['parked'] },
        );
      } else {
        const event = await this.#store.inbox.getBySeq(trx, exc.eventSeq!);
        if (!event) throw new NotFoundError(`event ${exc.eventSeq} of exception ${exc.id} is gone`);
        before = event.envelope.data;
        await this.#store.inbox.replaceData(trx, event.seq, input);
        await this.#store.inbox.transition(trx, event.seq, 'received', { at, error: null });
      }
      const changes = jsonDiff(before, input);
      await this.#store.exceptions.transition(trx, exc.id, 'resubmitted', {
        action: 'resubmit',
        actor,
        at,
        ...(reason !== undefined && { reason }),
      });
      await this.#audit(trx, actor, 'exception.resubmit', exc, {
        changes,
        ...byRequest(who),
        ...(reason !== undefined && { reason }),
      });
    });
  }

  /**
   * Runs a finished run's flow again on the same input, as a new run at the end of its entity
   * key's queue. Flows write with business external ids, so a replay converges instead of
   * duplicating.
   */
  async replayRun(runId: string, who: Actor): Promise<RunRecord> {
    const { actor } = who;
    const at = this.#clock.now();
    const replay = await this.#store.transaction(async (trx) => {
      const run = await this.#store.runs.getById(trx, runId);
      if (!run) throw new NotFoundError(`no run ${runId}`);
      const created = await this.#replay(trx, run, at);
      await this.#store.audit.record(trx, {
        at,
        actor,
        action: 'run.replay',
        targetType: 'run',
        targetId: run.id,
        details: { replay: created.id, ...byRequest(who) },
      });
      return created;
    });
    this.#wake();
    return replay;
  }

  /** Replays every finished run of an entity key, in their original order. */
  async replayEntity(entityKey: string, who: Actor & { flow?: string }): Promise<RunRecord[]> {
    const { actor, flow } = who;
    const at = this.#clock.now();
    const replays = await this.#store.transaction(async (trx) => {
      const runs = (
        await this.#store.runs.list(trx, {
          entityKey,
          limit: 10_000,
          ...(flow !== undefined && { flow }),
        })
      )
        .filter(
          (r) => r.status === 'completed' || r.status === 'skipped' || r.status === 'cancelled',
        )
        .sort((a, b) => a.seq - b.seq);
      const out: RunRecord[] = [];
      for (const run of runs) out.push(await this.#replay(trx, run, at));
      await this.#store.audit.record(trx, {
        at,
        actor,
        action: 'entity.replay',
        targetType: 'entity',
        targetId: entityKey,
        details: {
          runs: runs.map((r) => r.id),
          replays: out.map((r) => r.id),
          ...byRequest(who),
          ...(flow !== undefined && { flow }),
        },
      });
      return out;
    });
    this.#wake();
    return replays;
  }

  /**
   * Starts an approved reconciliation repair: appends the canonical event that starts the
   * repair's flow run (de-duplicated on its deterministic id, so a second start is a no-op) and
   * audits it as `recon.repair` on the discrepancy's key, in one transaction.
   */
  async startRepair(
    key: string,
    request: Actor & { event: unknown; details?: Record<string, unknown> },
  ): Promise<{ id: string; duplicate: boolean }> {
    const at = this.#clock.now();
    const row = inboxRow(request.event, at);
    const result = await this.#store.transaction(async (trx) => {
      const [appended] = await this.#store.inbox.insertMany(trx, [row]);
      await this.#store.audit.record(trx, {
        at,
        actor: request.actor,
        action: 'recon.repair',
        targetType: 'discrepancy',
        targetId: key,
        details: {
          ...request.details,
          event: { type: row.type, id: appended!.eventId },
          duplicate: appended!.duplicate,
          ...byRequest(request),
        },
      });
      return appended!;
    });
    if (!result.duplicate) this.#wake();
    return { id: result.eventId, duplicate: result.duplicate };
  }

  async #replay(trx: Transaction<Database>, run: RunRecord, at: number): Promise<RunRecord> {
    const id = newId('run');
    await this.#store.runs.insert(trx, {
      id,
      flow: run.flow,
      flowVersion: run.flowVersion,
      entityKey: run.entityKey,
      priority: run.priority,
      input: run.input,
      triggerEventId: run.triggerEventId,
      correlationId: run.correlationId,
      causationId: run.id,
      replayOf: run.id,
      availableAt: at,
      createdAt: at,
    });
    const created = await this.#store.runs.getById(trx, id);
    if (!created) throw new Error(`replay ${id} vanished`);
    return created;
  }

  async #act(
    id: string,
    work: (trx: Transaction<Database>, exc: ExceptionRecord, at: number) => Promise<void>,
  ): Promise<ExceptionRecord> {
    const at = this.#clock.now();
    const updated = await this.#store.transaction(async (trx) => {
      const exc = await this.#store.exceptions.get(trx, id);
      if (!exc) throw new NotFoundError(`no exception ${id}`);
      if (exc.status !== 'open')
        throw new ConflictError(`exception ${id} is already ${exc.status}`);
      await work(trx, exc, at);
      return (await this.#store.exceptions.get(trx, id))!;
    });
    this.#wake();
    return updated;
  }

  async #parkedRun(trx: Transaction<Database>, exc: ExceptionRecord): Promise<RunRecord> {
    const run = exc.runId ? await this.#store.runs.getById(trx, exc.runId) : undefined;
    if (!run) throw new NotFoundError(`run ${exc.runId} of exception ${exc.id} is gone`);
    if (run.status !== 'parked')
      throw new ConflictError(`run ${run.id} is ${run.status}, not parked`);
    return run;
  }

  async #audit(
    trx: Transaction<Database>,
    actor: string,
    action: string,
    exc: ExceptionRecord,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.#store.audit.record(trx, {
      at: this.#clock.now(),
      actor,
      action,
      targetType: 'exception',
      targetId: exc.id,
      details: {
        ...details,
        runId: exc.runId,
        eventSeq: exc.eventSeq,
        flow: exc.flow,
        entityKey: exc.entityKey,
      },
    });
  }
}

/** A discrepancy has no run or event to send back: a person fixes the systems, then skips it. */
function notADiscrepancy(exc: ExceptionRecord, action: string): void {
  if (exc.kind === 'discrepancy')
    throw new ValidationError(
      `exception ${exc.id} is a reconciliation discrepancy and cannot be ${action}: correct the systems and skip it with a reason (the next reconciliation resolves it when the difference is gone)`,
    );
}

/**
 * A dead-lettered stream message was terminated on the stream (it will not come again) and is
 * kept here as evidence: the producer re-publishes a corrected record, then a person skips it.
 */
function notAMessage(exc: ExceptionRecord, action: string): void {
  if (exc.kind === 'message')
    throw new ValidationError(
      `exception ${exc.id} is a dead-lettered stream message and cannot be ${action}: publish a corrected record (a new message) and skip this one with a reason`,
    );
}
