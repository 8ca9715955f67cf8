import { z } from 'zod';
import { InvalidRequestError, UnauthorizedError } from '../../model/revsync-error.ts';
import { CHANGE_REQUEST_STATUSES, type ChangeRequestStatus } from '../../model/states.ts';
import type { RouteContext } from '../route-spec.ts';
import { defineRoute } from '../route-spec.ts';
import { ChangeRequestView, toChangeRequestView } from '../schemas/approvals.ts';
import { CommaList, IdParams, Limit } from '../schemas/common.ts';

const One = z.object({ changeRequest: ChangeRequestView });

function approver(ctx: Pick<RouteContext<unknown, unknown, unknown>, 'principal'>) {
  if (!ctx.principal) throw new UnauthorizedError('an API key is required');
  return { actor: ctx.principal.name, role: ctx.principal.role };
}

/** Four-eyes approvals: the change requests protected actions became (docs/approvals.md). */
export const approvalRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/approvals',
    access: 'viewer',
    operationId: 'listApprovals',
    tag: 'approvals',
    summary: 'List change requests, newest first (default: pending ones)',
    query: z.object({
      status: CommaList.optional().meta({
        description: `Comma-separated: ${CHANGE_REQUEST_STATUSES.join(', ')}, or \`all\` (default \`pending\`).`,
      }),
      targetType: z.string().optional(),
      targetId: z.string().optional(),
      limit: Limit(500),
    }),
    response: z.object({ changeRequests: z.array(ChangeRequestView) }),
    async handler({ api, query }) {
      const requested = query.status ?? ['pending'];
      let status: ChangeRequestStatus[] | undefined;
      if (!requested.includes('all')) {
        for (const s of requested) {
          if (!(CHANGE_REQUEST_STATUSES as string[]).includes(s)) {
            throw new InvalidRequestError(`unknown change request status "${s}"`, {
              details: [
                {
                  path: 'querystring.status',
                  message: `one of ${CHANGE_REQUEST_STATUSES.join(', ')}, all`,
                },
              ],
            });
          }
        }
        status = requested as ChangeRequestStatus[];
      }
      const list = await api.approvals.list({
        ...(status && { status }),
        ...(query.targetType !== undefined && { targetType: query.targetType }),
        ...(query.targetId !== undefined && { targetId: query.targetId }),
        limit: query.limit ?? 100,
      });
      return { changeRequests: list.map(toChangeRequestView) };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/approvals/:id',
    access: 'viewer',
    operationId: 'getApproval',
    tag: 'approvals',
    summary: 'A change request with its diff, approvals and outcome',
    params: IdParams,
    errors: [404],
    response: One,
    async handler({ api, params }) {
      return { changeRequest: toChangeRequestView(await api.approvals.get(params.id)) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/approvals/:id/approve',
    access: 'approver',
    operationId: 'approveChangeRequest',
    tag: 'approvals',
    summary:
      'Approve another person’s change request; with enough approvals the action executes now',
    description:
      '403 `forbidden` when the caller requested it (four-eyes rule); 409 `conflict` when it is no longer pending — decided, or expired (`error.details[0].message` is `expired`).',
    params: IdParams,
    body: z.object({ comment: z.string().max(2000).optional() }).optional(),
    errors: [404, 409],
    response: One,
    async handler(ctx) {
      const comment = ctx.body?.comment;
      const done = await ctx.api.approvals.approve(ctx.params.id, approver(ctx), {
        ...(comment !== undefined && { comment }),
      });
      return { changeRequest: toChangeRequestView(done) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/approvals/:id/reject',
    access: 'approver',
    operationId: 'rejectChangeRequest',
    tag: 'approvals',
    summary: 'Reject a pending change request with a reason; nothing executes',
    params: IdParams,
    body: z.object({ reason: z.string().trim().min(1).max(2000) }),
    errors: [404, 409],
    response: One,
    async handler(ctx) {
      const done = await ctx.api.approvals.reject(ctx.params.id, approver(ctx), ctx.body.reason);
      return { changeRequest: toChangeRequestView(done) };
    },
  }),
];
