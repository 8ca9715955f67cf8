import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/support/stores.ts';
import {
  startSlackReceiver,
  type SlackMessage,
  type SlackReceiver,
} from '../../test/support/slack-receiver.ts';
import { bookInvoice, createReconLedger, LEDGER_SYSTEMS } from '../../test/support/recon-ledger.ts';
import { StoreBusinessViews } from './business-views.ts';
import { ManualClock } from '../engine/clock.ts';
import type { Store } from '../store/store.ts';
import { AlertMonitor } from '../observability/alerts.ts';
import { resolveConfig } from '../config/load-config.ts';
import { ReconRunner } from './recon-runs.ts';

describe('recon_discrepancies alert [sqlite]', () => {
  let store: Store & { dispose(): Promise<void> };
  let slack: SlackReceiver;
  let url = '';
  let received: SlackMessage[] = [];

  beforeAll(async () => {
    store = await openTestStore('sqlite');
    slack = await startSlackReceiver();
    ({ url, received } = slack);
  });
  afterAll(async () => {
    await slack.close();
    await store.dispose();
  });

  it('fires once per period whose latest stored run has discrepancies of the classes above the threshold, and clears on a clean run', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 7, 9, 0));
    const ledger = createReconLedger();
    const runner = new ReconRunner({
      store,
      systems: LEDGER_SYSTEMS,
      clock,
      reconcile: ledger.reconcile,
    });
    const views = new StoreBusinessViews(store, () => clock.now(), {
      crm: 'salesforce',
      billing: 'stripe',
      erp: 'netsuite',
    });
    const monitor = (rules: ConstructorParameters<typeof AlertMonitor>[0]['rules']) =>
      new AlertMonitor({
        store,
        views,
        rules,
        webhookUrl: url,
        clock,
        logger: pino({ level: 'silent' }),
      });
    const anyMissing = monitor([{ kind: 'recon_discrepancies', classes: ['missing_in_erp'] }]);
    const moreThanTwo = monitor([{ kind: 'recon_discrepancies', threshold: 2 }]);
    const amounts = monitor([{ kind: 'recon_discrepancies', classes: ['amount_mismatch'] }]);

    expect(await anyMissing.evaluate(), 'no stored run yet').toEqual([]);
    bookInvoice(ledger, 'in_1', 1_000, { erp: false });
    bookInvoice(ledger, 'in_2', 2_000, { erp: false });
    bookInvoice(ledger, 'in_3', 3_000);
    const first = await runner.run({
      trigger: 'schedule',
      actor: 'schedule',
      periods: ['2026-11'],
    });

    const sent = await anyMissing.evaluate();
    expect(sent.map((a) => a.key)).toEqual(['recon_discrepancies:2026-11:*']);
    expect(sent[0]!.title).toBe('2 reconciliation discrepancies in 2026-11');
    expect(sent[0]!.fields).toMatchObject({ run: first.runs[0]!.id, classes: 'missing_in_erp 2' });
    expect(received.at(-1)!.text).toContain('2 reconciliation discrepancies in 2026-11');
    expect(JSON.stringify(received.at(-1)!.blocks)).toContain(
      `/v1/recon/runs/${first.runs[0]!.id}/discrepancies.csv`,
    );
    expect(await anyMissing.evaluate(), 'still firing: not sent again').toEqual([]);
    expect(await moreThanTwo.evaluate(), '2 is not above 2').toEqual([]);
    expect(await amounts.evaluate(), 'no amount_mismatch').toEqual([]);

    // A third discrepancy: over the threshold of 2.
    bookInvoice(ledger, 'in_4', 4_000, { erp: false });
    await runner.run({ trigger: 'schedule', actor: 'schedule', periods: ['2026-11'] });
    expect((await moreThanTwo.evaluate()).map((a) => a.title)).toEqual([
      '3 reconciliation discrepancies in 2026-11',
    ]);

    // Posted by hand in the ERP: the next run is clean, the alert clears and can fire again later.
    for (const id of ['in_1', 'in_2', 'in_4'])
      bookInvoice(
        { billing: [], erp: ledger.erp },
        id,
        ledger.billing.find((b) => b.id === id)!.amount,
      );
    await runner.run({ trigger: 'schedule', actor: 'schedule', periods: ['2026-11'] });
    expect(await anyMissing.evaluate()).toEqual([]);
    ledger.erp.splice(0, ledger.erp.length);
    bookInvoice({ billing: [], erp: ledger.erp }, 'in_3', 3_000);
    await runner.run({ trigger: 'schedule', actor: 'schedule', periods: ['2026-11'] });
    expect((await anyMissing.evaluate()).map((a) => a.key)).toEqual([
      'recon_discrepancies:2026-11:*',
    ]);
  });

  it('olderThanMinutes: fires only for discrepancies every run has found for that long', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 8, 9, 0));
    const ledger = createReconLedger();
    const runner = new ReconRunner({
      store,
      systems: LEDGER_SYSTEMS,
      clock,
      reconcile: ledger.reconcile,
    });
    const views = new StoreBusinessViews(store, () => clock.now(), {
      crm: 'salesforce',
      billing: 'stripe',
      erp: 'netsuite',
    });
    const hourOld = new AlertMonitor({
      store,
      views,
      rules: [{ kind: 'recon_discrepancies', olderThanMinutes: 60 }],
      webhookUrl: url,
      clock,
      logger: pino({ level: 'silent' }),
    });
    const reconcile = () =>
      runner.run({ trigger: 'schedule', actor: 'schedule', periods: ['2026-10'] });
    bookInvoice(ledger, 'in_old', 1_000, { period: '2026-10', erp: false });
    await reconcile();
    clock.advance(30 * 60_000);
    bookInvoice(ledger, 'in_new', 2_000, { period: '2026-10', erp: false });
    await reconcile();
    // (The first test's 2026-11 runs, a day old, are this store's too: only 2026-10 is looked at.)
    const october = async () =>
      (await hourOld.evaluate()).filter((a) => a.fields.period === '2026-10');
    expect(await october(), 'the oldest is 30 min old').toEqual([]);
    clock.advance(31 * 60_000);
    await reconcile();
    // in_old has been found by every run for 61 min; in_new only for 31 min.
    const [alert] = await october();
    expect(alert!.title).toBe('1 reconciliation discrepancies in 2026-10 for 60 min or more');
    expect(alert!.fields.classes).toBe('missing_in_erp 1');
  });

  it('is a configuration rule kind with class names checked', () => {
    const base = {
      connections: {},
      regions: { NA: { subsidiary: '1', currency: 'USD' } },
      defaultRegion: 'NA',
      flows: {
        accountSync: false,
        quoteToCash: false,
        amendment: false,
        invoiceToErp: false,
        renewal: false,
        usage: false,
        paymentStatus: false,
        subscriptionStatus: false,
        cancellation: false,
        payoutDeposit: false,
      },
    };
    const rules = [{ kind: 'recon_discrepancies', classes: ['duplicate_in_erp'], threshold: 0 }];
    expect(
      resolveConfig({ ...base, alerts: { webhookUrl: url, rules } }, {}).alerts?.rules,
    ).toEqual(rules);
    expect(() =>
      resolveConfig(
        {
          ...base,
          alerts: { webhookUrl: url, rules: [{ kind: 'recon_discrepancies', classes: ['typo'] }] },
        },
        {},
      ),
    ).toThrow(/problem/);
  });
});
