/**
 * Month-end close readiness against the emulators: after a clean run every subsidiary is READY;
 * then one invoice is left unposted, one run waits in the exception queue and one usage period is
 * held back by its completeness check, and the period is BLOCKED naming exactly those three; once
 * they are resolved it is READY again. The CLI's exit codes and `GET /v1/close` are checked on the
 * same systems.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RevsyncConfig } from '../../src/config/define-config.ts';
import { createAccount, reportUsage, winDeal } from '../../src/sim/actions.ts';
import { DEMO_KEYS } from '../../src/sim/demo.ts';
import { revsyncCli, useFlowEnvironment } from '../support/flow-env.ts';

const VIEWER = DEMO_KEYS.find((k) => k.role === 'viewer')!.key;

describe('close readiness', () => {
  let config: RevsyncConfig | undefined;
  const t = useFlowEnvironment({
    seed: 43,
    configure: (c) => (config = c),
    api: { bootstrapKeys: DEMO_KEYS },
  });
  const dir = mkdtempSync(join(tmpdir(), 'revsync-close-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let period = '';

  /** `revsync close status --config … --period … --json` in a child process. */
  function closeCli(args: string[]) {
    return revsyncCli(t.env, config, dir, ['close status', ...args]);
  }

  const status = () => t.env.runtime.closeStatus({ period });
  const blockersOf = (s: Awaited<ReturnType<typeof status>>) => {
    const seen = new Map<string, string>();
    for (const sub of s.subsidiaries) for (const b of sub.blockers) seen.set(b.id, b.kind);
    return [...seen].map(([id, kind]) => `${kind} ${id}`).sort();
  };

  it('is READY for every subsidiary after a clean run (library, CLI and API)', async () => {
    const { env, rng } = t;
    for (const i of [0, 1]) {
      const sim = await createAccount(env.world, rng, i);
      sim.interval = 'month';
      await winDeal(env.world, rng, sim);
    }
    await t.settle();
    const posted = await t.netsuite.suiteql<{ trandate: string }>(
      "SELECT TO_CHAR(trandate, 'YYYY-MM-DD') AS trandate FROM transaction WHERE type = 'CustInvc'",
    );
    period = posted.body.items[0]!.trandate.slice(0, 7);
    const clean = await status();
    expect(blockersOf(clean)).toEqual([]);
    expect(clean.subsidiaries.length).toBeGreaterThan(0);
    expect(clean.subsidiaries.every((s) => s.ready)).toBe(true);
    expect(clean.erpPeriodClosed).toBe(false);

    const cli = await closeCli(['--period', period, '--json']);
    expect(cli.code, `exit 0 when ready: ${cli.err}${cli.out}`).toBe(0);
    const json = JSON.parse(cli.out) as { period: string; subsidiaries: { ready: boolean }[] };
    expect(json.period).toBe(period);
    expect(json.subsidiaries.every((s) => s.ready)).toBe(true);

    const bad = await closeCli(['--period', '2026-13']);
    expect(bad.code, 'a bad period is an error (1), not BLOCKED (2)').toBe(1);
    expect(bad.err).toContain('--period must be YYYY-MM');
    const none = await closeCli([]);
    expect(none.code, 'a missing period is an error (1)').toBe(1);
    expect(none.err).toContain('--period <YYYY-MM> is required');

    const http = env.runtime.http!;
    const ok = await http.inject({
      url: `/v1/close?period=${period}`,
      headers: { authorization: `Bearer ${VIEWER}` },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(
      (ok.json() as { subsidiaries: { ready: boolean }[] }).subsidiaries.every((s) => s.ready),
    ).toBe(true);
    const one = await http.inject({
      url: `/v1/close?period=${period}&subsidiary=${clean.subsidiaries[0]!.subsidiary}`,
      headers: { authorization: `Bearer ${VIEWER}` },
    });
    expect((one.json() as { subsidiaries: unknown[] }).subsidiaries).toHaveLength(1);
    const malformed = await http.inject({
      url: '/v1/close?period=december',
      headers: { authorization: `Bearer ${VIEWER}` },
    });
    expect(malformed.statusCode).toBe(400);
    expect((await http.inject({ url: `/v1/close?period=${period}` })).statusCode).toBe(401);
    const spec = (await http.inject({ url: '/v1/openapi.json' })).json() as {
      paths: Record<string, { get?: { operationId?: string } }>;
    };
    expect(spec.paths['/v1/close']?.get?.operationId).toBe('getCloseStatus');
  }, 240_000);

  it('is BLOCKED naming the unposted invoice, the open exception and the held usage period, and READY once they are resolved', async () => {
    const { env, rng } = t;
    // The first customer of the clean run.
    const first = await env.runtime.store.runs.list(env.runtime.store.db, {
      flow: 'quote-to-cash',
      limit: 10,
    });
    const customer = first.at(-1)!.entityKey;

    // 1. Finance raises a manual invoice in billing; the ERP refuses its posting (a validation
    //    error injected in the emulator for this one invoice), so it is not in the ERP and its
    //    run waits in the exception queue for a person.
    const billingCustomer = (
      await env.runtime.store.xrefs.listForCanonical(env.runtime.store.db, customer)
    ).find((x) => x.system === env.stack.billing && x.objectType === 'customer')!.externalId;
    await t.stripe.invoiceItems.create({
      customer: billingCustomer,
      amount: 4200,
      currency: 'usd',
    });
    const draft = await t.stripe.invoices.create({
      customer: billingCustomer,
      collection_method: 'send_invoice',
      days_until_due: 30,
      pending_invoice_items_behavior: 'include',
    });
    const fault = await t.netsuite.put('/_emulator/faults', {
      rules: [{ match: `re:/invoice/eid:${draft.id}`, error: { p: 1, statuses: [400] } }],
    });
    expect(fault.status, JSON.stringify(fault.body)).toBe(200);
    const invoice = await t.stripe.invoices.finalizeInvoice(draft.id);

    // 3. A usage period one meter closes before its last records arrive.
    const subscriptions = await t.stripe.subscriptions.list({
      customer: billingCustomer,
      limit: 1,
    });
    const itemId = subscriptions.data[0]!.items.data[0]!.id;
    const { deliverLate } = await reportUsage(env.runtime.usage, rng, itemId, true);

    // Wait until revsync has seen all three.
    const store = env.runtime.store;
    let exceptionId = '';
    let state = '';
    await expect
      .poll(
        async () => {
          const open = await store.exceptions.list(store.db, { status: 'open', limit: 10 });
          exceptionId = open[0]?.id ?? '';
          const held = await store.runs.list(store.db, { flow: 'invoice-to-erp', limit: 50 });
          const usage = await store.runs.list(store.db, { flow: 'usage-to-invoice', limit: 5 });
          state = JSON.stringify({
            open: open.map((e) => e.message),
            held: held.map((r) => [r.status, r.input]),
            usage: usage.map((r) => r.status),
          });
          return (
            open.length === 1 &&
            held.some(
              (r) => r.status === 'parked' && JSON.stringify(r.input).includes(invoice.id),
            ) &&
            usage.some((r) => ['queued', 'waiting'].includes(r.status))
          );
        },
        { timeout: 60_000, interval: 250 },
      )
      .toBe(true)
      .catch((caught: unknown) => {
        throw new Error(`revsync did not see the three: ${state}`, { cause: caught });
      });

    const usagePeriodId = `${itemId}:${new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000).toISOString()}`;
    const blocked = await status();
    expect(blockersOf(blocked)).toEqual(
      [
        `open_exception ${exceptionId}`,
        `unposted_document ${invoice.id}`,
        `usage_period_open ${usagePeriodId}`,
      ].sort(),
    );
    const where = blocked.subsidiaries.find((s) => s.blockers.length > 0)!;
    expect(where.ready).toBe(false);
    const byKind = Object.fromEntries(where.blockers.map((b) => [b.kind, b]));
    expect(byKind.open_exception?.record).toEqual({ type: 'exception', id: exceptionId });
    expect(byKind.unposted_document?.record, 'the unposted invoice leads to its exception').toEqual(
      {
        type: 'exception',
        id: exceptionId,
      },
    );
    expect(byKind.open_exception?.message).toContain(invoice.id);
    expect(byKind.usage_period_open?.message).toContain('source meter-b');
    expect(byKind.usage_period_open?.record?.type).toBe('run');

    const cli = await closeCli(['--period', period, '--json']);
    expect(cli.code, `exit 2 when blocked: ${cli.err}`).toBe(2);
    const json = JSON.parse(cli.out) as {
      subsidiaries: { ready: boolean; blockers: { kind: string; id: string; message: string }[] }[];
    };
    expect(json.subsidiaries.some((s) => !s.ready)).toBe(true);
    const human = await closeCli(['--period', period]);
    expect(human.out).toContain('BLOCKED');

    // Resolved: the ERP accepts the posting again and the run is retried; the late records arrive.
    await env.clearFaults();
    await env.runtime.engine.exceptions.retry(exceptionId, { actor: 'controller' });
    await deliverLate!();
    await t.settle();
    const ready = await status();
    expect(blockersOf(ready)).toEqual([]);
    expect(ready.subsidiaries.every((s) => s.ready)).toBe(true);
    expect((await closeCli(['--period', period])).code).toBe(0);
  }, 240_000);
});
