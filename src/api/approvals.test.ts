import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../../test/support/api-harness.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { resolveApprovalPolicy } from '../governance/approval-policy.ts';

interface ChangeRequest {
  id: string;
  status: string;
  action: string;
  requestedBy: string;
  diff: { path: string; before: unknown; after: unknown }[];
  amountAtStake: { amount: number; currency: string | null } | null;
  approvals: { approver: string }[];
  result: Record<string, unknown> | null;
}

for (const dialect of DIALECTS) {
  describe(`four-eyes approvals through the API [${dialect}]`, () => {
    let h: ApiHarness;

    beforeEach(async () => {
      h = await startApiHarness(dialect, {
        // The harness's `tiny` flow stands in for a posting flow for skip and replay.
        deps: {
          approvalPolicy: resolveApprovalPolicy({
            actions: { 'exception.skip': { flows: ['tiny'] }, 'run.replay': { flows: ['tiny'] } },
          }),
        },
      });
    });
    afterEach(async () => h.close());

    async function parked(entityKey: string) {
      await h.send(entityKey, { fail: true, n: 7, amount: 12_500, currency: 'USD' } as never);
      await h.settle();
      const list = await h.call('viewer', 'GET', `/v1/exceptions?entityKey=${entityKey}`);
      const [exception] = list.json().exceptions;
      expect(exception).toMatchObject({ status: 'open', flow: 'tiny' });
      return exception as { id: string; runId: string };
    }

    async function trail(id: string) {
      const res = await h.call(
        'viewer',
        'GET',
        `/v1/audit?targetType=change_request&targetId=${id}`,
      );
      return (res.json().entries as { actor: string; action: string }[])
        .map((e) => `${e.action} ${e.actor}`)
        .reverse();
    }

    it('an operator’s edit of a money field waits for approval and runs only after another user approves', async () => {
      const exc = await parked('cus_money');
      const edited = { fail: false, n: 7, amount: 15_000, currency: 'USD' };
      const res = await h.call('operator', 'POST', `/v1/exceptions/${exc.id}/resubmit`, {
        input: edited,
        reason: 'customer agreed the higher price',
      });
      expect(res.statusCode).toBe(202);
      const cr = res.json().changeRequest as ChangeRequest;
      expect(cr).toMatchObject({
        status: 'pending',
        action: 'exception.resubmit',
        requestedBy: 'operator-key',
        amountAtStake: { amount: 15_000, currency: 'USD' },
      });
      expect(cr.diff).toEqual(
        expect.arrayContaining([
          { path: '$.amount', before: 12_500, after: 15_000 },
          { path: '$.fail', before: true, after: false },
        ]),
      );

      // Nothing ran: the exception is open, the run parked, and the page shows the wait.
      await h.settle();
      const detail = (await h.call('viewer', 'GET', `/v1/exceptions/${exc.id}`)).json();
      expect(detail.exception.status).toBe('open');
      expect(detail.run.status).toBe('parked');
      expect(detail.pendingApprovals.map((p: ChangeRequest) => p.id)).toEqual([cr.id]);
      // A second request on the same exception is refused while one waits.
      const again = await h.call('operator', 'POST', `/v1/exceptions/${exc.id}/resubmit`, {
        input: { ...edited, amount: 1 },
      });
      expect(again.statusCode).toBe(409);

      // An operator cannot approve at all; the approver (another person) can.
      expect(
        (await h.call('operator', 'POST', `/v1/approvals/${cr.id}/approve`, {})).statusCode,
      ).toBe(403);
      const listed = (await h.call('viewer', 'GET', '/v1/approvals')).json().changeRequests;
      expect(listed.map((c: ChangeRequest) => c.id)).toEqual([cr.id]);
      const approved = await h.call('approver', 'POST', `/v1/approvals/${cr.id}/approve`, {
        comment: 'checked against the order form',
      });
      expect(approved.statusCode, approved.body).toBe(200);
      expect(approved.json().changeRequest).toMatchObject({
        status: 'executed',
        approvals: [{ approver: 'approver-key' }],
        result: { exception: exc.id },
      });
      await h.settle();
      const after = (await h.call('viewer', 'GET', `/v1/exceptions/${exc.id}`)).json();
      expect(after.exception.status).toBe('resubmitted');
      expect(after.run.status).toBe('completed');
      expect(after.pendingApprovals).toEqual([]);
      // The engine's own entry: the requester's change, with the diff.
      expect(after.audit[0]).toMatchObject({ action: 'exception.resubmit', actor: 'operator-key' });

      expect(await trail(cr.id)).toEqual([
        'approval.request operator-key',
        'approval.approve approver-key',
        'approval.execute revsync',
      ]);
      // A decided request cannot be approved again.
      expect((await h.call('admin', 'POST', `/v1/approvals/${cr.id}/approve`, {})).statusCode).toBe(
        409,
      );
    });

    it('an edit that touches no money, account or date field runs at once', async () => {
      const exc = await parked('cus_plain');
      const res = await h.call('operator', 'POST', `/v1/exceptions/${exc.id}/resubmit`, {
        input: { fail: false, n: 8, amount: 12_500, currency: 'USD' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().exception.status).toBe('resubmitted');
    });

    it('refuses self-approval with 403, and the admin may approve instead', async () => {
      const exc = await parked('cus_self');
      // The approver role includes the operator's actions: it can ask, but not approve its own.
      const res = await h.call('approver', 'POST', `/v1/exceptions/${exc.id}/skip`, {
        reason: 'posted by hand in the ERP',
      });
      expect(res.statusCode).toBe(202);
      const cr = res.json().changeRequest as ChangeRequest;
      expect(cr.action).toBe('exception.skip');
      const self = await h.call('approver', 'POST', `/v1/approvals/${cr.id}/approve`, {});
      expect(self.statusCode).toBe(403);
      expect(self.json().error.code).toBe('forbidden');
      expect(
        (await h.call('viewer', 'GET', `/v1/approvals/${cr.id}`)).json().changeRequest.status,
      ).toBe('pending');
      const admin = await h.call('admin', 'POST', `/v1/approvals/${cr.id}/approve`, {});
      expect(admin.statusCode).toBe(200);
      expect(admin.json().changeRequest.status).toBe('executed');
      expect(
        (await h.call('viewer', 'GET', `/v1/exceptions/${exc.id}`)).json().exception.status,
      ).toBe('skipped');
    });

    it('an expired request cannot be approved (409), and the expiry is audited', async () => {
      const exc = await parked('cus_late');
      const res = await h.call('operator', 'POST', `/v1/runs/${exc.runId}/replay`);
      expect(res.statusCode).toBe(202);
      const cr = res.json().changeRequest as ChangeRequest;
      expect(cr.action).toBe('run.replay');
      h.clock.advance(72 * 3_600_000 + 1);
      const late = await h.call('approver', 'POST', `/v1/approvals/${cr.id}/approve`, {});
      expect(late.statusCode).toBe(409);
      expect(late.json().error).toMatchObject({
        code: 'conflict',
        details: [{ path: 'status', message: 'expired' }],
      });
      expect(
        (await h.call('viewer', 'GET', `/v1/approvals/${cr.id}`)).json().changeRequest.status,
      ).toBe('expired');
      expect(await trail(cr.id)).toEqual([
        'approval.request operator-key',
        'approval.expire revsync',
      ]);
      const runs = (await h.call('viewer', 'GET', `/v1/runs?entityKey=cus_late`)).json().runs;
      expect(runs).toHaveLength(1); // no replay was made
    });

    it('rejects with a reason; nothing executes', async () => {
      const exc = await parked('cus_no');
      const cr = (
        await h.call('operator', 'POST', `/v1/exceptions/${exc.id}/skip`, { reason: 'dup' })
      ).json().changeRequest as ChangeRequest;
      expect(
        (await h.call('approver', 'POST', `/v1/approvals/${cr.id}/reject`, {})).statusCode,
      ).toBe(400);
      const rejected = await h.call('approver', 'POST', `/v1/approvals/${cr.id}/reject`, {
        reason: 'not a duplicate: retry it instead',
      });
      expect(rejected.json().changeRequest).toMatchObject({
        status: 'rejected',
        decidedBy: 'approver-key',
      });
      expect(
        (await h.call('viewer', 'GET', `/v1/exceptions/${exc.id}`)).json().exception.status,
      ).toBe('open');
      expect(await trail(cr.id)).toEqual([
        'approval.request operator-key',
        'approval.reject approver-key',
      ]);
    });
  });
}
