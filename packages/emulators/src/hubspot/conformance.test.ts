/**
 * The HubSpot emulator driven only through `@hubspot/api-client`, as revsync's connector drives
 * the real portal: create, read, update, search with paging, batch upsert replayed, associations,
 * pipelines, error bodies, a 429 the SDK retries, and signed webhooks v3 the SDK verifies.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Signature } from '@hubspot/api-client';
import { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/associations/v4/index.js';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/companies/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubspotEmulator, type RunningHubspotEmulator } from './index.ts';

/** What an SDK call threw (an `ApiException`: `code`, `body`, `headers`). */
interface SdkError {
  code: number;
  body: { status: string; category: string; message: string; correlationId: string };
  headers: Record<string, string>;
}

async function failure(call: () => Promise<unknown>): Promise<SdkError> {
  try {
    await call();
  } catch (caught) {
    return caught as SdkError;
  }
  throw new Error('expected the call to fail');
}

describe('hubspot emulator × @hubspot/api-client', () => {
  let hs: RunningHubspotEmulator;
  let client: Client;

  beforeAll(async () => {
    hs = await startHubspotEmulator({ port: 0, seed: 3, searchPerSecond: 0 });
    client = new Client({
      accessToken: hs.accessToken,
      basePath: hs.url,
      numberOfApiCallRetries: 2,
    });
  });
  afterAll(async () => {
    await hs.close();
  });

  it('creates, reads and updates a company; hs_lastmodifieddate moves on', async () => {
    const created = await client.crm.companies.basicApi.create({
      properties: { name: 'Acme GmbH', domain: 'acme.example', revsync_region: 'EU' },
      associations: [],
    });
    expect(created.id).toMatch(/^\d+$/);
    expect(created.properties['name']).toBe('Acme GmbH');
    const read = await client.crm.companies.basicApi.getById(created.id, [
      'name',
      'revsync_region',
    ]);
    expect(read.properties).toMatchObject({
      name: 'Acme GmbH',
      revsync_region: 'EU',
      hs_object_id: created.id,
    });
    await new Promise((r) => setTimeout(r, 5));
    const updated = await client.crm.companies.basicApi.update(created.id, {
      properties: { revsync_subscription_status: 'active', revsync_mrr: '98.5' },
    });
    expect(updated.properties['revsync_mrr']).toBe('98.5');
    const after = await client.crm.companies.basicApi.getById(created.id, ['revsync_mrr']);
    expect(Date.parse(after.properties['hs_lastmodifieddate']!)).toBeGreaterThan(
      Date.parse(read.properties['hs_lastmodifieddate']!),
    );
  });

  it('answers HubSpot error bodies: OBJECT_NOT_FOUND, VALIDATION_ERROR, CONFLICT, INVALID_AUTHENTICATION', async () => {
    const missing = await failure(() => client.crm.deals.basicApi.getById('999999999999'));
    expect(missing.code).toBe(404);
    expect(missing.body).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND' });
    expect(missing.body.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    const unknown = await failure(() =>
      client.crm.companies.basicApi.create({
        properties: { no_such_property: 'x' },
        associations: [],
      }),
    );
    expect(unknown.code).toBe(400);
    expect(unknown.body.category).toBe('VALIDATION_ERROR');
    expect(unknown.body.message).toContain('PROPERTY_DOESNT_EXIST');
    await client.crm.companies.basicApi.create({
      properties: { name: 'U', revsync_id: 'cus_unique' },
      associations: [],
    });
    const duplicate = await failure(() =>
      client.crm.companies.basicApi.create({
        properties: { name: 'U2', revsync_id: 'cus_unique' },
        associations: [],
      }),
    );
    expect(duplicate.code).toBe(409);
    expect(duplicate.body.category).toBe('CONFLICT');
    const stranger = new Client({ accessToken: 'pat-na1-wrong', basePath: hs.url });
    const denied = await failure(() => stranger.crm.companies.basicApi.getPage(1));
    expect(denied.code).toBe(401);
    expect(denied.body.category).toBe('INVALID_AUTHENTICATION');
  });

  it('searches with filterGroups and pages by after', async () => {
    const since = Date.now();
    const batch = await client.crm.companies.batchApi.create({
      inputs: Array.from({ length: 5 }, (_, i) => ({
        properties: { name: `Paged ${i}`, revsync_region: 'NA' },
        associations: [],
      })),
    });
    expect(batch.results).toHaveLength(5);
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await client.crm.companies.searchApi.doSearch({
        filterGroups: [
          {
            filters: [
              { propertyName: 'revsync_region', operator: FilterOperatorEnum.Eq, value: 'NA' },
              {
                propertyName: 'hs_lastmodifieddate',
                operator: FilterOperatorEnum.Gte,
                value: String(since),
              },
            ],
          },
        ],
        sorts: ['hs_lastmodifieddate'],
        properties: ['name', 'hs_lastmodifieddate'],
        limit: 2,
        ...(after !== undefined && { after }),
      });
      expect(page.total).toBe(5);
      seen.push(...page.results.map((r) => r.properties['name']!));
      after = page.paging?.next?.after;
      pages += 1;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual(['Paged 0', 'Paged 1', 'Paged 2', 'Paged 3', 'Paged 4']);
  });

  it('replays a batch upsert by idProperty without a duplicate', async () => {
    const input = {
      inputs: [
        { id: 'cus_replay_1', idProperty: 'revsync_id', properties: { name: 'Replay One' } },
        { id: 'cus_replay_2', idProperty: 'revsync_id', properties: { name: 'Replay Two' } },
      ],
    };
    const first = await client.crm.companies.batchApi.upsert(input);
    const second = await client.crm.companies.batchApi.upsert(input);
    const ids = (r: typeof first) => r.results.map((o) => o.id).sort();
    expect(ids(second)).toEqual(ids(first));
    expect(first.results.every((o) => o._new === true)).toBe(true);
    expect(second.results.every((o) => o._new === false)).toBe(true);
    const found = await client.crm.companies.searchApi.doSearch({
      filterGroups: [
        {
          filters: [
            {
              propertyName: 'revsync_id',
              operator: FilterOperatorEnum.In,
              values: ['cus_replay_1', 'cus_replay_2'],
            },
          ],
        },
      ],
      limit: 10,
    });
    expect(found.total).toBe(2);
    const byId = await client.crm.companies.basicApi.getById(
      'cus_replay_1',
      ['name'],
      undefined,
      undefined,
      false,
      'revsync_id',
    );
    expect(byId.properties['name']).toBe('Replay One');
  });

  it('associates a deal with its company and line items (v4) and reads its closed-won pipeline stage', async () => {
    const pipelines = await client.crm.pipelines.pipelinesApi.getAll('deals');
    const won = pipelines.results[0]!.stages.find((s) => s.metadata?.['probability'] === '1.0')!;
    expect(won.id).toBe('closedwon');
    const company = await client.crm.companies.basicApi.create({
      properties: { name: 'Deal Co' },
      associations: [],
    });
    const deal = await client.crm.deals.basicApi.create({
      properties: { dealname: 'Deal Co — new', dealtype: 'newbusiness', deal_currency_code: 'USD' },
      associations: [
        {
          to: { id: company.id },
          types: [
            {
              associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined,
              associationTypeId: 5,
            },
          ],
        },
      ],
    });
    const line = await client.crm.lineItems.basicApi.create({
      properties: {
        name: 'Seat',
        hs_sku: 'PLAT',
        quantity: '2',
        price: '49.00',
        recurringbillingfrequency: 'monthly',
      },
      associations: [],
    });
    await client.crm.associations.v4.basicApi.createDefault(
      'line_items',
      line.id,
      'deals',
      deal.id,
    );
    const lines = await client.crm.associations.v4.basicApi.getPage('deals', deal.id, 'line_items');
    expect(lines.results.map((r) => String(r.toObjectId))).toEqual([line.id]);
    const read = await client.crm.deals.basicApi.getById(
      deal.id,
      ['dealstage', 'hs_is_closed_won'],
      undefined,
      ['companies'],
    );
    expect(read.associations?.['companies']?.results.map((r) => r.id)).toContain(company.id);
    expect(read.properties['hs_is_closed_won']).toBe('false');
    await client.crm.deals.basicApi.update(deal.id, { properties: { dealstage: won.id } });
    const closed = await client.crm.deals.basicApi.getById(deal.id, [
      'hs_is_closed_won',
      'hs_is_closed',
    ]);
    expect(closed.properties).toMatchObject({ hs_is_closed_won: 'true', hs_is_closed: 'true' });
    const badStage = await failure(() =>
      client.crm.deals.basicApi.update(deal.id, { properties: { dealstage: 'nowhere' } }),
    );
    expect(badStage.body.category).toBe('VALIDATION_ERROR');
  });

  it('sends X-HubSpot-RateLimit-* headers and a 429 TEN_SECONDLY_ROLLING the SDK retries', async () => {
    const info = await client.crm.companies.basicApi.getPageWithHttpInfo(1);
    expect(info.headers['x-hubspot-ratelimit-max']).toBe('190');
    expect(Number(info.headers['x-hubspot-ratelimit-remaining'])).toBeLessThan(190);
    expect(info.headers['x-hubspot-ratelimit-interval-milliseconds']).toBe('10000');
    const limited = await startHubspotEmulator({ port: 0, tenSecondLimit: 2 });
    const c = new Client({
      accessToken: limited.accessToken,
      basePath: limited.url,
      numberOfApiCallRetries: 2,
    });
    const quiet = console.error;
    console.error = () => {};
    try {
      await c.crm.companies.basicApi.getPage(1);
      await c.crm.companies.basicApi.getPage(1);
      const third = await c.crm.companies.basicApi.getPage(1); // 429, retried after 10 s
      expect(third.results).toEqual([]);
      expect(limited.app.requests.list().map((r) => r.status)).toEqual([200, 200, 429, 200]);
    } finally {
      console.error = quiet;
      await limited.close();
    }
  }, 30_000);

  it('answers the search secondly limit the SDK retries after a second', async () => {
    const limited = await startHubspotEmulator({ port: 0, searchPerSecond: 1 });
    const c = new Client({
      accessToken: limited.accessToken,
      basePath: limited.url,
      numberOfApiCallRetries: 2,
    });
    const quiet = console.error;
    console.error = () => {};
    try {
      await c.crm.deals.searchApi.doSearch({ limit: 1 });
      const second = await c.crm.deals.searchApi.doSearch({ limit: 1 });
      expect(second.total).toBe(0);
      expect(limited.app.requests.list().map((r) => r.status)).toEqual([200, 429, 200]);
    } finally {
      console.error = quiet;
      await limited.close();
    }
  }, 15_000);

  it('signs webhooks v3 so that the SDK verifies them', async () => {
    const received: { body: string; headers: IncomingHttpHeaders }[] = [];
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/hubspot`;
    try {
      const put = await fetch(`${hs.url}/_emulator/webhooks`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url }),
      });
      expect(put.status).toBe(200);
      const company = await client.crm.companies.basicApi.create({
        properties: { name: 'Hooked' },
        associations: [],
      });
      await hs.flushWebhooks();
      expect(received).toHaveLength(1);
      const { body, headers } = received[0]!;
      const events = JSON.parse(body) as {
        subscriptionType: string;
        objectId: number;
        propertyName?: string;
      }[];
      expect(events.map((e) => e.subscriptionType)).toContain('company.creation');
      expect(events.every((e) => String(e.objectId) === company.id)).toBe(true);
      const options = {
        signatureVersion: 'v3',
        method: 'POST',
        clientSecret: hs.clientSecret,
        requestBody: body,
        url,
        signature: String(headers['x-hubspot-signature-v3']),
        timestamp: Number(headers['x-hubspot-request-timestamp']),
      };
      expect(Signature.isValid(options)).toBe(true);
      expect(Signature.isValid({ ...options, clientSecret: 'not-the-secret' })).toBe(false);
      expect(Signature.isValid({ ...options, requestBody: `${body} ` })).toBe(false);
    } finally {
      await fetch(`${hs.url}/_emulator/webhooks`, { method: 'PUT', body: '{}' });
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('resets, seeds and dumps through /_emulator/*', async () => {
    await fetch(`${hs.url}/_emulator/reset`, { method: 'POST', body: '{}' });
    const seeded = await fetch(`${hs.url}/_emulator/seed`, {
      method: 'POST',
      body: JSON.stringify({
        companies: [{ properties: { name: 'Seeded' } }],
        products: [{ properties: { name: 'Seat', hs_sku: 'PLAT', price: '49' } }],
      }),
    });
    expect(seeded.status).toBe(201);
    const page = await client.crm.companies.basicApi.getPage(10);
    expect(page.results.map((r) => r.properties['name'])).toEqual(['Seeded']);
    const state = (await (await fetch(`${hs.url}/_emulator/state`)).json()) as {
      state: { records: Record<string, unknown[]> };
    };
    expect(state.state.records['products']).toHaveLength(1);
  });
});
