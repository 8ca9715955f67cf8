import { afterEach, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../../test/support/api-harness.ts';
import type { BusinessViews } from './business-views.ts';
import { OutboundGateway } from '../gateway/outbound-gateway.ts';
import { RetryableError } from '../model/revsync-error.ts';

/** The value of one series in a Prometheus exposition, e.g. `name{a="b"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const views: BusinessViews = {
  listViews: () => [
    { name: 'invoices-awaiting-erp', title: 'Invoices awaiting ERP posting', description: '' },
  ],
  view: async () => ({
    columns: [{ name: 'invoice', title: 'Invoice', type: 'string' }],
    rows: [{ invoice: 'in_1' }, { invoice: 'in_2' }, { invoice: 'in_3' }],
  }),
};

describe('Prometheus metrics [sqlite]', () => {
  let h: ApiHarness;
  afterEach(async () => h.close());

  it('exports run, step, queue, exception, connection and business-view series', async () => {
    const gateway = new OutboundGateway();
    h = await startApiHarness('sqlite', { deps: { gateway, views } });
    await h.send('cus_1', { n: 1 });
    await h.send('cus_2', { flaky: true });
    await h.send('cus_3', { fail: true });
    await h.settle();
    h.clock.advance(60_000);
    await h.settle();

    const netsuite = gateway.connection('netsuite-main', { system: 'netsuite' });
    await netsuite.call({ operation: 'invoice.upsert' }, async () => 'ok');
    await expect(
      netsuite.call({ operation: 'invoice.upsert' }, async () => {
        throw new RetryableError('502 from NetSuite');
      }),
    ).rejects.toThrow();
    netsuite.reportUsage(250, 1000);

    const res = await h.call('viewer', 'GET', '/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    const expectations: [string, number][] = [
      ['revsync_inbox_events_routed_total{type="test.tiny"}', 3],
      ['revsync_runs_claimed_total{flow="tiny"}', 4],
      ['revsync_run_outcomes_total{flow="tiny",outcome="completed"}', 2],
      ['revsync_run_outcomes_total{flow="tiny",outcome="retrying"}', 1],
      ['revsync_run_outcomes_total{flow="tiny",outcome="parked"}', 1],
      ['revsync_run_retries_total{flow="tiny",step="work",code="transient"}', 1],
      ['revsync_runs_parked_total{flow="tiny",code="validation_failed"}', 1],
      ['revsync_step_outcomes_total{flow="tiny",step="work",outcome="failed"}', 2],
      ['revsync_step_outcomes_total{flow="tiny",step="first",outcome="completed"}', 3],
      ['revsync_step_duration_seconds_count{flow="tiny",step="work",outcome="completed"}', 2],
      ['revsync_run_latency_seconds_count{flow="tiny"}', 2],
      ['revsync_run_latency_seconds_bucket{le="60",flow="tiny"}', 2],
      ['revsync_run_latency_seconds_bucket{le="30",flow="tiny"}', 1],
      ['revsync_run_queue_depth{status="completed"}', 2],
      ['revsync_run_queue_depth{status="parked"}', 1],
      ['revsync_run_queue_depth{status="queued"}', 0],
      ['revsync_exceptions_open', 1],
      ['revsync_inbox_backlog_events', 0],
      ['revsync_store_up', 1],
      [
        'revsync_connection_calls_total{connection="netsuite-main",system="netsuite",operation="invoice.upsert",outcome="ok"}',
        1,
      ],
      [
        'revsync_connection_calls_total{connection="netsuite-main",system="netsuite",operation="invoice.upsert",outcome="transient"}',
        1,
      ],
      ['revsync_connection_circuit_state{connection="netsuite-main",system="netsuite"}', 0],
      ['revsync_connection_in_flight_requests{connection="netsuite-main",system="netsuite"}', 0],
      [
        'revsync_connection_queued_requests{connection="netsuite-main",system="netsuite",lane="critical"}',
        0,
      ],
      ['revsync_connection_vendor_usage_ratio{connection="netsuite-main",system="netsuite"}', 0.25],
      ['revsync_business_view_rows{view="invoices-awaiting-erp"}', 3],
    ];
    for (const [series, value] of expectations) expect(sample(text, series), series).toBe(value);
    expect(text).toContain('# TYPE revsync_connection_call_duration_seconds histogram');
    // Process metrics are off in the harness; every revsync series is prefixed and has help.
    expect(text).not.toContain('process_cpu');
    for (const line of text.split('\n').filter((l) => l.startsWith('# TYPE'))) {
      expect(line).toMatch(/^# TYPE revsync_/);
    }
  });

  it('counts circuit transitions and shows an open circuit as 2', async () => {
    const gateway = new OutboundGateway();
    h = await startApiHarness('sqlite', { deps: { gateway } });
    const stripe = gateway.connection('stripe', {
      system: 'stripe',
      circuit: { failureThreshold: 1 },
    });
    await expect(
      stripe.call({ operation: 'invoice.read' }, async () => {
        throw new RetryableError('down');
      }),
    ).rejects.toThrow();
    const text = (await h.call('viewer', 'GET', '/metrics')).body;
    expect(
      sample(text, 'revsync_connection_circuit_state{connection="stripe",system="stripe"}'),
    ).toBe(2);
    expect(
      sample(
        text,
        'revsync_connection_circuit_transitions_total{connection="stripe",from="closed",to="open"}',
      ),
    ).toBe(1);
  });

  it('needs a viewer key unless opened for scrapers, and can include process metrics', async () => {
    h = await startApiHarness('sqlite');
    expect((await h.call(null, 'GET', '/metrics')).statusCode).toBe(401);
    await h.close();
    h = await startApiHarness('sqlite', { metricsAuth: 'none', processMetrics: true });
    const open = await h.call(null, 'GET', '/metrics');
    expect(open.statusCode).toBe(200);
    expect(open.body).toContain('process_cpu_user_seconds_total');
    // The OpenAPI document says so too.
    const doc = (await h.call(null, 'GET', '/v1/openapi.json')).json();
    expect(doc.paths['/metrics'].get['x-revsync-role']).toBe('public');
  });
});
