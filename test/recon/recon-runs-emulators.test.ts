/**
 * Stored reconciliation on the real systems: `revsync start`'s runtime with `recon` in its
 * configuration reconciles on its schedule as it starts; after an invoice is edited directly in
 * the NetSuite emulator (behind revsync), `POST /v1/recon/runs` reconciles the period, stores the
 * run with exactly that discrepancy, serves it as JSON and CSV, and the Prometheus gauge counts it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RevsyncConfig } from '../../src/config/define-config.ts';
import { createAccount, winDeal } from '../../src/sim/actions.ts';
import { revsyncCli, useFlowEnvironment } from '../support/flow-env.ts';
import { NS_RECORDS, paymentsApplyingTo } from '../support/netsuite-records.ts';

const OPERATOR = 'rsk_reconop01_recon-operator-secret-000000001';
const APPROVER = 'rsk_reconap01_recon-approver-secret-000000001';

interface NsInvoice {
  id: string;
  externalId: string;
  item: { items: { item: { id: string }; quantity: number; rate: number }[] };
}

describe('stored reconciliation runs against the emulators', () => {
  let config: RevsyncConfig | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'revsync-recon-runs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const t = useFlowEnvironment({
    seed: 33,
    configure: (c) => (config = { ...c, recon: { every: '1h', periods: 1 } }),
    api: {
      processMetrics: false,
      bootstrapKeys: [
        { name: 'recon-operator', role: 'operator', key: OPERATOR },
        { name: 'recon-approver', role: 'approver', key: APPROVER },
      ],
    },
  });
  const period = new Date().toISOString().slice(0, 7);

  const call = (method: 'GET' | 'POST', url: string, body?: unknown, key = OPERATOR) =>
    t.env.runtime.http!.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(body !== undefined && { payload: body as Record<string, unknown> }),
    });

  it('runs on the schedule at start, and on demand through the API, storing what it finds', async () => {
    const { env, rng } = t;
    const { store } = env.runtime;
    // The schedule's first run starts with the runtime.
    await expect
      .poll(async () => (await store.reconRuns.list(store.db, { trigger: 'schedule' })).length, {
        timeout: 60_000,
      })
      .toBeGreaterThan(0);
    const [scheduled] = await store.reconRuns.list(store.db, { trigger: 'schedule' });
    expect(scheduled!.period).toBe(period);
    await expect
      .poll(async () => (await store.reconRuns.get(store.db, scheduled!.id))?.status, {
        timeout: 60_000,
      })
      .not.toBe('running');

    for (const i of [0, 1]) {
      const sim = await createAccount(env.world, rng, i);
      sim.interval = 'month';
      await winDeal(env.world, rng, sim);
    }
    await t.settle();

    // Someone edits an invoice in NetSuite by hand: its first line's rate 1.00 dearer.
    const path = '/services/rest/record/v1';
    const rows = await t.netsuite.suiteql<{ externalid: string }>(
      "SELECT externalid FROM transaction WHERE type = 'CustInvc' ORDER BY id",
    );
    const externalId = rows.body.items.map((r) => r.externalid).find((e) => e.startsWith('in_'))!;
    const invoice = (
      await t.netsuite.get<NsInvoice>(`${path}/invoice/eid:${externalId}?expandSubResources=true`)
    ).body;
    const edited = await t.netsuite.patch(`${path}/invoice/eid:${externalId}?replace=item`, {
      item: {
        items: invoice.item.items.map((l, i) => ({
          item: { id: l.item.id },
          quantity: l.quantity,
          rate: i === 0 ? l.rate + 1 : l.rate,
        })),
      },
    });
    expect(edited.status, JSON.stringify(edited.body)).toBe(204);

    const started = await call('POST', '/v1/recon/runs', { period });
    expect(started.statusCode, started.body).toBe(202);
    const id = started.json<{ id: string }>().id;
    let detail: {
      run: { status: string; trigger: string; matchedCount: number };
      discrepancies: {
        class: string;
        billingId: string;
        billingAmount: number;
        erpAmount: number;
        currency: string;
        subsidiary: string;
        runIds: string[];
      }[];
    } = { run: { status: 'running', trigger: '', matchedCount: 0 }, discrepancies: [] };
    await expect
      .poll(
        async () => {
          detail = (await call('GET', `/v1/recon/runs/${id}`)).json();
          return detail.run.status;
        },
        { timeout: 120_000, interval: 250 },
      )
      .not.toBe('running');
    expect(detail.run).toMatchObject({ status: 'discrepancies', trigger: 'api' });
    expect(detail.run.matchedCount).toBeGreaterThanOrEqual(3);
    expect(detail.discrepancies.map((d) => `${d.class} ${d.billingId}`)).toEqual([
      `amount_mismatch ${externalId}`,
    ]);
    const [mismatch] = detail.discrepancies;
    // The first line's rate rose by 1.00, times its quantity.
    const difference = invoice.item.items[0]!.quantity * 100;
    expect(mismatch!.erpAmount - mismatch!.billingAmount).toBe(difference);
    expect(mismatch!.runIds.length, 'lineage: the runs that posted it').toBeGreaterThan(0);

    const csv = await call('GET', `/v1/recon/runs/${id}/discrepancies.csv`);
    expect(csv.statusCode).toBe(200);
    const [header, row, ...rest] = csv.body.split('\r\n');
    expect(header!.split(',').slice(0, 10)).toEqual([
      'period',
      'class',
      'billing_id',
      'erp_id',
      'crm_id',
      'subsidiary',
      'currency',
      'billing_amount_minor',
      'erp_amount_minor',
      'difference_minor',
    ]);
    expect(row!.split(',').slice(0, 10)).toEqual([
      period,
      'amount_mismatch',
      externalId,
      invoice.id,
      '',
      mismatch!.subsidiary,
      mismatch!.currency,
      String(mismatch!.billingAmount),
      String(mismatch!.erpAmount),
      String(difference),
    ]);
    expect(rest).toEqual(['']);

    const metrics = (await call('GET', '/metrics')).body;
    expect(metrics).toContain(
      `revsync_recon_discrepancies{class="amount_mismatch",period="${period}",subsidiary="${mismatch!.subsidiary}"} 1`,
    );
  }, 300_000);

  it('stores what `revsync recon run` reports, each period with its run id', async () => {
    const { store } = t.env.runtime;
    const { code, out, err } = await revsyncCli(t.env, config, dir, [
      'recon run',
      '--json',
      '--period',
      period,
    ]);
    expect(code, `${err}${out}`).toBe(2);
    const reports = JSON.parse(out) as {
      runId: string;
      period: string;
      discrepancies: unknown[];
    }[];
    expect(reports.map((r) => r.period)).toEqual([period]);
    const stored = await store.reconRuns.get(store.db, reports[0]!.runId);
    expect(stored).toMatchObject({
      trigger: 'cli',
      period,
      status: 'discrepancies',
      discrepancyCount: reports[0]!.discrepancies.length,
      summary: expect.objectContaining({ amount_mismatch: 1 }),
    });
    expect(stored!.actor).toMatch(/^cli:/);
  }, 120_000);

  it("repairs what it found when asked to (the dashboard's and the API's --repair)", async () => {
    const { store } = t.env.runtime;
    // A customer payment is deleted in NetSuite by hand.
    const rows = await t.netsuite.suiteql<{ id: string; externalid: string }>(
      "SELECT id, externalid FROM transaction WHERE type = 'CustInvc' ORDER BY id",
    );
    const paid = rows.body.items.find((r) => r.externalid.startsWith('in_'))!;
    const [paymentId] = await paymentsApplyingTo(t, paid.id);
    expect(paymentId, 'the invoice has a payment').toBeDefined();
    const removed = await t.netsuite.delete(`${NS_RECORDS}/customerpayment/${paymentId}`);
    expect(removed.status).toBe(204);

    const started = await call('POST', '/v1/recon/runs', { period, repair: true });
    expect(started.statusCode, started.body).toBe(202);
    const id = started.json<{ id: string }>().id;
    // Every discrepancy of the run gets its decision audited with the run's id.
    const decisions = async () =>
      (await store.audit.list(store.db, { targetType: 'discrepancy', limit: 1000 })).filter(
        (a) => a.details['reconRunId'] === id,
      );
    await expect
      .poll(async () => (await decisions()).length, { timeout: 120_000, interval: 250 })
      .toBeGreaterThanOrEqual(2);
    const byClass = Object.fromEntries((await decisions()).map((a) => [a.details['class'], a]));
    // The hand-edited amount needs a person; the missing payment is posted again by a run
    // (or, above the approval threshold, waits for a second person).
    expect(byClass['amount_mismatch']).toMatchObject({
      action: 'recon.queue_for_person',
      actor: 'recon-operator',
    });
    const payment = byClass['payment_missing_in_erp'];
    expect(payment, JSON.stringify(await decisions())).toBeDefined();
    expect(['recon.repair', 'recon.repair_awaiting_approval']).toContain(payment!.action);
    if (payment!.action === 'recon.repair_awaiting_approval') {
      // Above the threshold: the requester cannot approve it; another person can, and then the
      // repair run starts.
      const request = payment!.details['changeRequest'] as string;
      const shown = await call('GET', `/v1/approvals/${request}`);
      expect(shown.json().changeRequest).toMatchObject({
        action: 'recon.repair',
        requestedBy: 'recon-operator',
        status: 'pending',
      });
      const self = await call('POST', `/v1/approvals/${request}/approve`, {});
      expect(self.statusCode).toBe(403);
      const approved = await call('POST', `/v1/approvals/${request}/approve`, {}, APPROVER);
      expect(approved.statusCode, approved.body).toBe(200);
      expect(approved.json().changeRequest).toMatchObject({ status: 'executed' });
    }
    await t.settle();
    await expect
      .poll(async () => (await paymentsApplyingTo(t, paid.id)).length, { timeout: 60_000 })
      .toBe(1);
  }, 300_000);
});
