import { afterEach, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../../test/support/api-harness.ts';
import { ConflictError } from '../model/revsync-error.ts';
import type { ApiActor, BusinessViews, UsageIngest } from './deps.ts';
import type { UsageManifestInput, UsageRecordInput } from './schemas/usage.ts';

class RecordingIngest implements UsageIngest {
  readonly seen = new Set<string>();
  readonly calls: { records?: UsageRecordInput[]; manifest?: UsageManifestInput; actor: string }[] =
    [];

  async record(records: UsageRecordInput[], { actor }: ApiActor) {
    this.calls.push({ records, actor });
    let duplicates = 0;
    for (const r of records) {
      if (this.seen.has(r.dedupeKey)) duplicates += 1;
      this.seen.add(r.dedupeKey);
    }
    return { accepted: records.length - duplicates, duplicates };
  }

  async closePeriod(manifest: UsageManifestInput, { actor }: ApiActor) {
    this.calls.push({ manifest, actor });
    if (manifest.count !== this.seen.size) {
      throw new ConflictError(`manifest says ${manifest.count} records, ${this.seen.size} arrived`);
    }
  }
}

const record = (dedupeKey: string, quantity = 5) => ({
  subscriptionItemId: 'sbi_1',
  quantity,
  timestamp: '2026-01-01T10:00:00Z',
  source: 'meter-eu',
  dedupeKey,
});

const manifest = (count: number) => ({
  source: 'meter-eu',
  subscriptionItemId: 'sbi_1',
  periodStart: '2026-01-01T00:00:00Z',
  periodEnd: '2026-02-01T00:00:00Z',
  count,
  sum: 10,
});

describe('usage ingestion and business views through the API [sqlite]', () => {
  let h: ApiHarness;
  afterEach(async () => h.close());

  it('answers 503 unavailable when no usage ingest is configured', async () => {
    h = await startApiHarness('sqlite');
    const res = await h.call('operator', 'POST', '/v1/usage', { records: [record('a')] });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('usage ingestion is not configured'),
    });
    const close = await h.call('operator', 'POST', '/v1/usage/periods/close', manifest(1));
    expect(close.statusCode).toBe(503);
  });

  it('validates records, passes them with the key as actor, and audits a period close', async () => {
    const usage = new RecordingIngest();
    h = await startApiHarness('sqlite', { deps: { usage } });
    const ok = await h.call('operator', 'POST', '/v1/usage', {
      records: [record('a'), record('b'), record('a')],
    });
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toEqual({ accepted: 2, duplicates: 1 });
    expect(usage.calls[0]!.actor).toBe('operator-key');

    const bad = await h.call('operator', 'POST', '/v1/usage', {
      records: [{ ...record('c'), quantity: -1, timestamp: 'yesterday' }],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_request');
    expect(bad.json().error.details[0].path).toMatch(/^body\.records\[0\]\./);
    const fractional = await h.call('operator', 'POST', '/v1/usage', {
      records: [{ ...record('d'), quantity: 1.5 }],
    });
    expect(fractional.statusCode).toBe(400);
    expect(usage.calls).toHaveLength(1);

    const mismatch = await h.call('operator', 'POST', '/v1/usage/periods/close', manifest(3));
    expect(mismatch.statusCode).toBe(409);
    expect(mismatch.json().error).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('3 records'),
    });
    const closed = await h.call('operator', 'POST', '/v1/usage/periods/close', manifest(2));
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toEqual({ closed: true, manifest: manifest(2) });
    const audit = (await h.call('viewer', 'GET', '/v1/audit?targetType=subscription_item')).json();
    expect(audit.entries).toEqual([
      expect.objectContaining({
        actor: 'operator-key',
        action: 'usage.period.close',
        targetId: 'sbi_1',
        details: expect.objectContaining({ count: 2 }),
      }),
    ]);
  });

  it('lists business views and serves one with the request’s query parameters', async () => {
    const asked: Record<string, string>[] = [];
    const views: BusinessViews = {
      listViews: () => [
        {
          name: 'invoices-awaiting-erp',
          title: 'Invoices awaiting ERP posting',
          description: 'Finalized in billing, not yet posted to the ERP.',
        },
      ],
      async view(_name, params) {
        asked.push(params);
        return {
          columns: [
            { name: 'invoice', title: 'Invoice', type: 'string' },
            { name: 'total', title: 'Total', type: 'money' },
          ],
          rows: [{ invoice: 'in_1', total: { amount: 1999, currency: 'EUR' } }],
        };
      },
    };
    h = await startApiHarness('sqlite', { deps: { views } });
    expect((await h.call('viewer', 'GET', '/v1/views')).json()).toEqual({
      views: [expect.objectContaining({ name: 'invoices-awaiting-erp' })],
    });
    const res = await h.call('viewer', 'GET', '/v1/views/invoices-awaiting-erp?currency=EUR');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'invoices-awaiting-erp',
      title: 'Invoices awaiting ERP posting',
      rowCount: 1,
      rows: [{ invoice: 'in_1', total: { amount: 1999, currency: 'EUR' } }],
    });
    expect(asked).toEqual([{ currency: 'EUR' }]);
    const missing = await h.call('viewer', 'GET', '/v1/views/nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
  });

  it('lists no views and 404s any view when none are configured', async () => {
    h = await startApiHarness('sqlite');
    expect((await h.call('viewer', 'GET', '/v1/views')).json()).toEqual({ views: [] });
    expect((await h.call('viewer', 'GET', '/v1/views/anything')).statusCode).toBe(404);
  });
});
