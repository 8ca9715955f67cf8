import { z } from 'zod';
import { NotFoundError, InvalidRequestError } from '../../model/revsync-error.ts';
import { RUN_STATUSES, type RunStatus } from '../../model/states.ts';
import { ApiRecords } from '../api-records.ts';
import { Accepted, defineRoute } from '../route-spec.ts';
import { WaitsForApproval, waitsForApproval } from '../schemas/approvals.ts';
import { CommaList, IdParams, Limit } from '../schemas/common.ts';
import {
  AttemptView,
  CanonicalEventView,
  EventView,
  ExceptionView,
  RunFullView,
  RunView,
  StepView,
} from '../schemas/records.ts';

const RunQuery = z.object({
  status: CommaList.optional().meta({
    description: `Comma-separated statuses: ${RUN_STATUSES.join(', ')}.`,
  }),
  flow: z.string().optional(),
  entityKey: z.string().optional(),
  correlationId: z.string().optional(),
  limit: Limit(500).meta({ description: 'Page size (default 50, at most 500).' }),
  before: z.int().min(1).optional().meta({
    description: 'Runs with a smaller `seq` only: pass the previous page’s `nextBefore`.',
  }),
});

/** Runs: list, detail, replay. */
export const runRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/runs',
    access: 'viewer',
    operationId: 'listRuns',
    tag: 'runs',
    summary: 'List runs, newest first',
    query: RunQuery,
    response: z.object({ runs: z.array(RunView), nextBefore: z.number().int().nullable() }),
    async handler({ api, query }) {
      const statuses = query.status?.map((s) => {
        if (!(RUN_STATUSES as readonly string[]).includes(s)) {
          throw new InvalidRequestError(`unknown run status "${s}"`, {
            details: [{ path: 'querystring.status', message: `one of ${RUN_STATUSES.join(', ')}` }],
          });
        }
        return s as RunStatus;
      });
      const limit = query.limit ?? 50;
      const runs = await api.store.runs.list(api.store.db, {
        ...(statuses && statuses.length > 0 && { status: statuses }),
        ...(query.flow !== undefined && { flow: query.flow }),
        ...(query.entityKey !== undefined && { entityKey: query.entityKey }),
        ...(query.correlationId !== undefined && { correlationId: query.correlationId }),
        ...(query.before !== undefined && { beforeSeq: query.before }),
        limit,
      });
      return {
        runs: runs.map(ApiRecords.toRunView),
        nextBefore: runs.length === limit ? runs[runs.length - 1]!.seq : null,
      };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/runs/:id',
    access: 'viewer',
    operationId: 'getRun',
    tag: 'runs',
    summary: 'A run with its steps, failed attempts, open exception and trigger event',
    params: IdParams,
    errors: [404],
    response: z.object({
      run: RunFullView,
      steps: z.array(StepView),
      failedAttempts: z.array(AttemptView),
      exception: ExceptionView.nullable(),
      /** The vendor event (as received) behind the canonical event that started the run. */
      triggerEvent: EventView.nullable(),
      canonicalEvent: CanonicalEventView.nullable(),
    }),
    async handler({ api, params }) {
      const db = api.store.db;
      const run = await api.store.runs.getById(db, params.id);
      if (!run) throw new NotFoundError(`no run ${params.id}`);
      const [steps, attempts, exception, canonical] = await Promise.all([
        api.store.steps.listForRun(db, run.id),
        api.store.steps.listFailedAttempts(db, run.id),
        api.store.exceptions.openForRun(db, run.id),
        run.triggerEventId ? api.store.events.getByEventId(db, run.triggerEventId) : undefined,
      ]);
      const inboxEventId = canonical?.inboxEventId ?? run.triggerEventId;
      const trigger = inboxEventId
        ? await api.store.inbox.getByEventId(db, inboxEventId)
        : undefined;
      return {
        run: ApiRecords.toRunFullView(run),
        steps: steps.map(ApiRecords.toStepView),
        failedAttempts: attempts.map(ApiRecords.toAttemptView),
        exception: exception ? ApiRecords.toExceptionView(exception) : null,
        triggerEvent: trigger ? ApiRecords.toEventView(trigger) : null,
        canonicalEvent: canonical ? ApiRecords.toCanonicalEventView(canonical) : null,
      };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/runs/:id/replay',
    access: 'operator',
    operationId: 'replayRun',
    tag: 'runs',
    summary: 'Run a run’s flow again on the same input, as a new run at the end of its key’s queue',
    description:
      'Replaying a run of a posting, payment or credit-memo flow needs approval (four-eyes, docs/approvals.md): the 202 body is then `{changeRequest, message}` instead of `{run}`.',
    params: IdParams,
    status: 202,
    errors: [404, 409],
    response: z.object({ run: RunView }),
    accepted: WaitsForApproval,
    async handler({ api, params, actor }) {
      const request = await api.approvals.guardReplayRun(params.id, { actor });
      if (request) return new Accepted(waitsForApproval(request));
      const run = await api.engine.exceptions.replayRun(params.id, { actor });
      return { run: ApiRecords.toRunView(run) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/replay',
    access: 'operator',
    operationId: 'replayEntity',
    tag: 'runs',
    summary: 'Replay every finished run of an entity key (optionally of one flow), in order',
    description:
      'When any of the runs belongs to a posting, payment or credit-memo flow the replay needs approval (four-eyes, docs/approvals.md): the 202 body is then `{changeRequest, message}` instead of `{runs}`.',
    body: z.object({
      entityKey: z.string().min(1),
      flow: z.string().min(1).optional(),
      reason: z.string().max(2000).optional(),
    }),
    status: 202,
    errors: [409],
    response: z.object({ runs: z.array(RunView) }),
    accepted: WaitsForApproval,
    async handler({ api, body, actor }) {
      const request = await api.approvals.guardReplayEntity(body.entityKey, {
        actor,
        ...(body.flow !== undefined && { flow: body.flow }),
        ...(body.reason !== undefined && { reason: body.reason }),
      });
      if (request) return new Accepted(waitsForApproval(request));
      const runs = await api.engine.exceptions.replayEntity(body.entityKey, {
        actor,
        ...(body.flow !== undefined && { flow: body.flow }),
      });
      return { runs: runs.map(ApiRecords.toRunView) };
    },
  }),
];
