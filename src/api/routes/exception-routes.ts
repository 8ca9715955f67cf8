import { z } from 'zod';
import { InvalidRequestError } from '../../model/revsync-error.ts';
import { EXCEPTION_TRANSITIONS, type ExceptionStatus } from '../../model/states.ts';
import { ApiRecords } from '../api-records.ts';
import { Accepted, defineRoute } from '../route-spec.ts';
import {
  ChangeRequestView,
  toChangeRequestView,
  WaitsForApproval,
  waitsForApproval,
} from '../schemas/approvals.ts';
import { CommaList, IdParams, Json, Limit } from '../schemas/common.ts';
import { AuditView, EventView, ExceptionView, RunView } from '../schemas/records.ts';

const EXCEPTION_STATUSES = Object.keys(EXCEPTION_TRANSITIONS) as ExceptionStatus[];
const One = z.object({ exception: ExceptionView });

/** The exception queue: list, detail, retry, skip, edit-and-resubmit, bulk retry. */
export const exceptionRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/exceptions',
    access: 'viewer',
    operationId: 'listExceptions',
    tag: 'exceptions',
    summary: 'List exceptions, newest first (default: open ones)',
    query: z.object({
      status: CommaList.optional().meta({
        description: `Comma-separated: ${EXCEPTION_STATUSES.join(', ')}, or \`all\` (default \`open\`).`,
      }),
      flow: z.string().optional(),
      entityKey: z.string().optional(),
      runId: z.string().optional(),
      limit: Limit(500),
    }),
    response: z.object({ exceptions: z.array(ExceptionView) }),
    async handler({ api, query }) {
      const requested = query.status ?? ['open'];
      let status: ExceptionStatus[] | undefined;
      if (!requested.includes('all')) {
        for (const s of requested) {
          if (!(EXCEPTION_STATUSES as string[]).includes(s)) {
            throw new InvalidRequestError(`unknown exception status "${s}"`, {
              details: [
                {
                  path: 'querystring.status',
                  message: `one of ${EXCEPTION_STATUSES.join(', ')}, all`,
                },
              ],
            });
          }
        }
        status = requested as ExceptionStatus[];
      }
      const list = await api.engine.exceptions.list({
        ...(status && { status }),
        ...(query.flow !== undefined && { flow: query.flow }),
        ...(query.entityKey !== undefined && { entityKey: query.entityKey }),
        ...(query.runId !== undefined && { runId: query.runId }),
        limit: query.limit ?? 100,
      });
      return { exceptions: list.map(ApiRecords.toExceptionView) };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/exceptions/:id',
    access: 'viewer',
    operationId: 'getException',
    tag: 'exceptions',
    summary: 'An exception with its run or event and its audit trail',
    params: IdParams,
    errors: [404],
    response: z.object({
      exception: ExceptionView,
      run: RunView.nullable(),
      event: EventView.nullable(),
      audit: z.array(AuditView),
      /** Change requests on this exception waiting for approval. */
      pendingApprovals: z.array(ChangeRequestView),
    }),
    async handler({ api, params }) {
      const exc = await api.engine.exceptions.get(params.id);
      const db = api.store.db;
      const [run, event, audit, pending] = await Promise.all([
        exc.runId ? api.store.runs.getById(db, exc.runId) : undefined,
        exc.eventSeq !== null ? api.store.inbox.getBySeq(db, exc.eventSeq) : undefined,
        api.store.audit.list(db, { targetType: 'exception', targetId: exc.id }),
        api.approvals.pendingFor('exception', exc.id),
      ]);
      return {
        exception: ApiRecords.toExceptionView(exc),
        run: run ? ApiRecords.toRunView(run) : null,
        event: event ? ApiRecords.toEventView(event) : null,
        audit: audit.map(ApiRecords.toAuditView),
        pendingApprovals: pending.map(toChangeRequestView),
      };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/exceptions/:id/retry',
    access: 'operator',
    operationId: 'retryException',
    tag: 'exceptions',
    summary: 'Send the parked run (or failed event) back unchanged',
    params: IdParams,
    errors: [404, 409],
    response: One,
    async handler({ api, params, actor }) {
      return {
        exception: ApiRecords.toExceptionView(
          await api.engine.exceptions.retry(params.id, { actor }),
        ),
      };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/exceptions/:id/skip',
    access: 'operator',
    operationId: 'skipException',
    tag: 'exceptions',
    summary: 'Give up on the run, with a reason; later runs of its entity key proceed',
    params: IdParams,
    description:
      'Skipping a run of a posting, payment or credit-memo flow needs approval (four-eyes, docs/approvals.md): the answer is then 202 with the change request, and the skip happens once another person approves it.',
    body: z.object({ reason: z.string().trim().min(1).max(2000) }),
    errors: [404, 409],
    response: One,
    accepted: WaitsForApproval,
    async handler({ api, params, body, actor }) {
      const request = await api.approvals.guardSkip(params.id, { actor, reason: body.reason });
      if (request) return new Accepted(waitsForApproval(request));
      return {
        exception: ApiRecords.toExceptionView(
          await api.engine.exceptions.skip(params.id, { actor, reason: body.reason }),
        ),
      };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/exceptions/:id/resubmit',
    access: 'operator',
    operationId: 'resubmitException',
    tag: 'exceptions',
    summary:
      'Replace the run’s input (or the event’s data) and send it back; the change is audited',
    params: IdParams,
    body: z.object({
      input: Json.meta({ description: 'The edited input; start from the exception’s lastInput.' }),
      reason: z.string().max(2000).optional(),
    }),
    description:
      'An edit that changes a money, account or date field needs approval (four-eyes, docs/approvals.md): the answer is then 202 with the change request and its diff, and the resubmit happens once another person approves it.',
    errors: [404, 409],
    response: One,
    accepted: WaitsForApproval,
    async handler({ api, params, body, actor }) {
      const request = await api.approvals.guardResubmit(params.id, {
        actor,
        input: body.input,
        ...(body.reason !== undefined && { reason: body.reason }),
      });
      if (request) return new Accepted(waitsForApproval(request));
      return {
        exception: ApiRecords.toExceptionView(
          await api.engine.exceptions.resubmit(params.id, {
            actor,
            input: body.input,
            ...(body.reason !== undefined && { reason: body.reason }),
          }),
        ),
      };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/exceptions/retry',
    access: 'operator',
    operationId: 'retryExceptions',
    tag: 'exceptions',
    summary: 'Retry many exceptions; one result per id',
    body: z.object({ ids: z.array(z.string().min(1)).min(1).max(500) }),
    response: z.object({
      results: z.array(z.object({ id: z.string(), ok: z.boolean(), error: z.string().optional() })),
      retried: z.number().int(),
      failed: z.number().int(),
    }),
    async handler({ api, body, actor }) {
      const results = await api.engine.exceptions.retryMany(body.ids, { actor });
      const retried = results.filter((r) => r.ok).length;
      return { results, retried, failed: results.length - retried };
    },
  }),
];
