import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../../test/support/api-harness.ts';

describe('exception queue through the API [sqlite]', () => {
  let h: ApiHarness;

  beforeEach(async () => {
    h = await startApiHarness('sqlite');
  });
  afterEach(async () => h.close());

  async function parked(entityKey: string) {
    await h.send(entityKey, { fail: true, n: 7 });
    await h.settle();
    const list = await h.call('viewer', 'GET', `/v1/exceptions?entityKey=${entityKey}`);
    expect(list.statusCode).toBe(200);
    const [exception] = list.json().exceptions;
    expect(exception).toMatchObject({ status: 'open', kind: 'run', step: 'work', flow: 'tiny' });
    return exception as { id: string; runId: string; lastInput: unknown };
  }

  async function runOf(id: string) {
    return (await h.call('viewer', 'GET', `/v1/runs/${id}`)).json().run;
  }

  async function auditOf(exceptionId: string) {
    const res = await h.call(
      'viewer',
      'GET',
      `/v1/audit?targetType=exception&targetId=${exceptionId}`,
    );
    return res.json().entries as {
      actor: string;
      action: string;
      details: Record<string, unknown>;
    }[];
  }

  it('lists and shows an exception with its run, event and audit trail', async () => {
    const exc = await parked('cus_a');
    expect(exc.lastInput).toEqual({ fail: true, n: 7 });
    const detail = await h.call('viewer', 'GET', `/v1/exceptions/${exc.id}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toMatchObject({
      exception: { id: exc.id, errorCode: 'validation_failed', message: 'told to fail' },
      run: { id: exc.runId, status: 'parked' },
      event: null,
      audit: [],
    });
    expect((await h.call('viewer', 'GET', '/v1/exceptions/exc_nope')).statusCode).toBe(404);
    expect(
      (await h.call('viewer', 'GET', '/v1/exceptions?status=all')).json().exceptions,
    ).toHaveLength(1);
    const badStatus = await h.call('viewer', 'GET', '/v1/exceptions?status=gone');
    expect(badStatus.statusCode).toBe(400);
    expect(badStatus.json().error.code).toBe('invalid_request');
  });

  it('retries a parked run, auditing the operator key, and refuses a second action with 409', async () => {
    const exc = await parked('cus_b');
    const res = await h.call('operator', 'POST', `/v1/exceptions/${exc.id}/retry`);
    expect(res.statusCode).toBe(200);
    expect(res.json().exception).toMatchObject({
      status: 'retried',
      resolution: { action: 'retry', actor: 'operator-key' },
    });
    expect((await runOf(exc.runId)).status).toBe('queued');
    expect(await auditOf(exc.id)).toEqual([
      expect.objectContaining({ actor: 'operator-key', action: 'exception.retry' }),
    ]);
    const again = await h.call('operator', 'POST', `/v1/exceptions/${exc.id}/retry`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('conflict');
    // The input still fails: the run parks again, with a new exception.
    await h.settle();
    expect((await runOf(exc.runId)).status).toBe('parked');
  });

  it('skips with a reason (required) and lets the run end as skipped', async () => {
    const exc = await parked('cus_c');
    const noReason = await h.call('operator', 'POST', `/v1/exceptions/${exc.id}/skip`, {});
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().error).toMatchObject({
      code: 'invalid_request',
      details: [{ path: 'body.reason' }],
    });
    const blank = await h.call('operator', 'POST', `/v1/exceptions/${exc.id}/skip`, {
      reason: '   ',
    });
    expect(blank.statusCode).toBe(400);
    const res = await h.call('operator', 'POST', `/v1/exceptions/${exc.id}/skip`, {
      reason: 'duplicate of INV-7, posted by hand',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().exception.resolution).toMatchObject({
      action: 'skip',
      actor: 'operator-key',
      reason: 'duplicate of INV-7, posted by hand',
    });
    expect((await runOf(exc.runId)).status).toBe('skipped');
    expect((await auditOf(exc.id))[0]).toMatchObject({
      actor: 'operator-key',
      action: 'exception.skip',
      details: { reason: 'duplicate of INV-7, posted by hand' },
    });
  });

  it('resubmits an edited input, audits the change, and the run completes', async () => {
    const exc = await parked('cus_d');
    const res = await h.call('operator', 'POST', `/v1/exceptions/${exc.id}/resubmit`, {
      input: { fail: false, n: 8 },
      reason: 'fixed the amount',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().exception.status).toBe('resubmitted');
    await h.settle();
    const run = (await h.call('viewer', 'GET', `/v1/runs/${exc.runId}`)).json().run;
    expect(run).toMatchObject({
      status: 'completed',
      input: { fail: false, n: 8 },
      inputRevision: 1,
    });
    expect(run.output).toEqual({ done: 8 });
    const [entry] = await auditOf(exc.id);
    expect(entry).toMatchObject({ actor: 'operator-key', action: 'exception.resubmit' });
    expect(entry!.details.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: expect.stringContaining('fail') }),
        expect.objectContaining({ path: expect.stringContaining('n') }),
      ]),
    );
    const missing = await h.call('operator', 'POST', `/v1/exceptions/${exc.id}/resubmit`, {});
    expect(missing.statusCode).toBe(400);
  });

  it('retries in bulk, one result per id', async () => {
    const a = await parked('cus_e');
    const b = await parked('cus_f');
    const res = await h.call('operator', 'POST', '/v1/exceptions/retry', {
      ids: [a.id, b.id, 'exc_missing'],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      retried: 2,
      failed: 1,
      results: [
        { id: a.id, ok: true },
        { id: b.id, ok: true },
        { id: 'exc_missing', ok: false, error: expect.stringContaining('no exception') },
      ],
    });
    const audit = await h.call('viewer', 'GET', '/v1/audit?actor=operator-key');
    expect(audit.json().entries).toHaveLength(2);
  });
});
