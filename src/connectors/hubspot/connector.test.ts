/**
 * The HubSpot connector against the HubSpot emulator through `@hubspot/api-client`: what the CRM
 * contract does not pin down — the poller's cursor on records sharing a millisecond, deal types
 * and currencies, webhook echo suppression, error categories.
 */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHubspotEmulator, type RunningHubspotEmulator } from '@revsync/emulators/hubspot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboundGateway } from '../../gateway/outbound-gateway.ts';
import {
  AuthError,
  ConflictError,
  NotFoundError,
  RateLimitedError,
  ValidationError,
} from '../../model/revsync-error.ts';
import type { Connector, CrmSystem } from '../ports.ts';
import { createHubspotConnector } from './connector.ts';
import { toRevsyncError } from './errors.ts';
import { toCanonicalEvents } from './events.ts';
import { createWebhookSource } from './webhooks.ts';

describe('hubspot connector', () => {
  let hs: RunningHubspotEmulator;
  let connector: Connector<CrmSystem>;

  beforeAll(async () => {
    hs = await startHubspotEmulator({ port: 0, seed: 5 });
    connector = createHubspotConnector({
      accessToken: hs.accessToken,
      basePath: hs.url,
      connection: new OutboundGateway().connection('hubspot', { system: 'hubspot' }),
    });
  });
  afterAll(async () => {
    await hs.close();
  });

  it('polls records sharing one hs_lastmodifieddate exactly once, page by page', async () => {
    const ids = [1, 2, 3, 4, 5].map((i) => hs.state.create('companies', { name: `Same ${i}` }).id);
    const at = hs.app.clock.now() + 60_000;
    for (const id of ids) {
      const o = hs.state.table('companies').get(id)!;
      o.updatedAt = at;
      o.properties['hs_lastmodifieddate'] = new Date(at).toISOString();
    }
    const poller = connector.pollers.find((p) => p.cursorName === 'hubspot:search:companies')!;
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await poller.poll(cursor, { limit: 2 });
      seen.push(...page.events.map((e) => e.subject!));
      cursor = page.cursor;
      if (!page.hasMore) break;
    }
    expect(seen.filter((s) => ids.includes(s))).toEqual(ids);
    expect(new Set(seen).size).toBe(seen.length);
    const again = await poller.poll(cursor, { limit: 2 });
    expect(again.events).toEqual([]);
  });

  it('reads an amendment deal with a yearly line in its company currency', async () => {
    const company = hs.state.create('companies', { name: 'Euro Co', revsync_currency: 'EUR' });
    const deal = hs.state.create('deals', {
      dealname: 'Upgrade',
      dealtype: 'existingbusiness',
      revsync_subscription_id: 'sub_123',
      dealstage: 'closedwon',
    });
    hs.state.associate(
      'deals',
      deal.id,
      { typeId: 5, from: 'deals', to: 'companies', inverse: 6, label: 'Primary', isDefault: false },
      company.id,
    );
    const line = hs.state.create('line_items', {
      name: 'Seat',
      hs_sku: 'PLAT',
      quantity: '3',
      price: '1200.50',
      recurringbillingfrequency: 'annually',
    });
    hs.state.associate(
      'line_items',
      line.id,
      { typeId: 20, from: 'line_items', to: 'deals', inverse: 19, label: null, isDefault: true },
      deal.id,
    );
    const opp = await connector.port.getOpportunity(deal.id);
    // The company was read for its currency: it comes along as the account.
    expect(opp.account).toEqual(await connector.port.getAccount(company.id));
    expect(opp).toMatchObject({
      accountId: company.id,
      currency: 'EUR',
      isWon: true,
      isClosed: true,
      type: 'Amendment',
      subscriptionId: 'sub_123',
    });
    expect(opp.lines).toEqual([
      expect.objectContaining({
        productCode: 'PLAT',
        quantity: 3,
        unitAmount: { amount: 120_050, currency: 'EUR' },
        interval: 'year',
      }),
    ]);
    const poller = connector.pollers.find((p) => p.cursorName === 'hubspot:search:deals')!;
    let cursor: string | undefined;
    const events = [];
    for (let i = 0; i < 20; i++) {
      const page = await poller.poll(cursor, { limit: 50 });
      events.push(...page.events);
      cursor = page.cursor;
      if (!page.hasMore) break;
    }
    const won = events.filter((e) => e.subject === deal.id).flatMap(toCanonicalEvents);
    expect(won).toEqual([
      {
        type: 'crm.opportunity.won',
        subject: deal.id,
        data: { opportunityId: deal.id, accountId: company.id, dealType: 'amendment' },
      },
    ]);
  });

  it('a write-back that changes nothing sends no update (no hs_lastmodifieddate bump)', async () => {
    const company = hs.state.create('companies', { name: 'Quiet Co' });
    const status = {
      subscriptionStatus: 'active',
      mrr: { amount: 4_900, currency: 'USD' as const },
    };
    await connector.port.updateAccountBilling(company.id, status, { idempotencyKey: 'k1' });
    const stamp = hs.state.table('companies').get(company.id)!.updatedAt;
    const before = hs.app.requests.list().filter((r) => r.method === 'PATCH').length;
    await connector.port.updateAccountBilling(company.id, status, { idempotencyKey: 'k1' });
    expect(hs.app.requests.list().filter((r) => r.method === 'PATCH').length).toBe(before);
    expect(hs.state.table('companies').get(company.id)!.updatedAt).toBe(stamp);
    expect(await connector.port.getAccountBilling(company.id)).toMatchObject(status);
    // The daily allowance HubSpot reports is the connection's reported usage.
    expect(connector.connection.health().reportedUsage).toMatchObject({ limit: 1_000_000 });
  });

  it('with readBeforeWrite: false sends every given property in one update and reads nothing', async () => {
    const company = hs.state.create('companies', { name: 'Direct Co' });
    const status = { subscriptionStatus: 'active', paymentStatus: 'paid' };
    const noRead = { idempotencyKey: 'k2', readBeforeWrite: false };
    const before = hs.app.requests.list().length;
    await connector.port.updateAccountBilling(company.id, status, noRead);
    await connector.port.updateAccountBilling(company.id, status, noRead);
    expect(
      hs.app.requests
        .list()
        .slice(before)
        .map((r) => r.method),
    ).toEqual(['PATCH', 'PATCH']);
    expect(await connector.port.getAccountBilling(company.id)).toMatchObject(status);
  });

  it('sends traceparent when the caller gives one', async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers['traceparent'] as string | undefined);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: '42',
          properties: { name: 'Traced', hs_lastmodifieddate: '2026-01-01T00:00:00Z' },
          createdAt: '2026-01-01T00:00:00Z',
          updatedAt: '2026-01-01T00:00:00Z',
          archived: false,
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const traced = createHubspotConnector({
        accessToken: 'pat',
        basePath: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        connection: new OutboundGateway().connection('hubspot', { system: 'hubspot' }),
      });
      const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      expect((await traced.port.getAccount('42', { traceparent: tp })).name).toBe('Traced');
      await traced.port.getAccount('42');
      expect(seen).toEqual([tp, undefined]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('maps HubSpot error categories to revsync errors', () => {
    const apiError = (code: number, body: object, headers: Record<string, string> = {}) =>
      Object.assign(new Error(`HTTP-Code: ${code}`), { code, body, headers });
    expect(
      toRevsyncError(
        apiError(429, { category: 'RATE_LIMITS', policyName: 'TEN_SECONDLY_ROLLING' }),
      ),
    ).toMatchObject({ retryAfterMs: 10_000 });
    expect(
      toRevsyncError(apiError(429, { category: 'RATE_LIMITS' }, { 'retry-after': '3' })),
    ).toBeInstanceOf(RateLimitedError);
    expect(toRevsyncError(apiError(404, { category: 'OBJECT_NOT_FOUND' }))).toBeInstanceOf(
      NotFoundError,
    );
    expect(toRevsyncError(apiError(409, { category: 'CONFLICT' }))).toBeInstanceOf(ConflictError);
    expect(
      toRevsyncError(apiError(400, { category: 'VALIDATION_ERROR', errors: [{ message: 'bad' }] })),
    ).toBeInstanceOf(ValidationError);
    expect(toRevsyncError(apiError(401, { category: 'INVALID_AUTHENTICATION' }))).toBeInstanceOf(
      AuthError,
    );
    expect(
      toRevsyncError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).retryable,
    ).toBe(true);
  });
});

describe('hubspot webhooks v3', () => {
  const secret = 'shh';
  const url = 'https://revsync.example/webhooks/hubspot';
  const sign = (body: string, ts: number, key = secret) =>
    createHmac('sha256', key).update(`POST${url}${body}${ts}`).digest('base64');
  const event = (n: number, type: string, objectId: number, propertyName?: string) => ({
    eventId: n,
    subscriptionId: 1,
    portalId: 9,
    occurredAt: Date.now(),
    subscriptionType: type,
    attemptNumber: 0,
    objectId,
    ...(propertyName && { propertyName, propertyValue: 'x' }),
  });
  const source = createWebhookSource({ clientSecret: secret, webhookUrl: url });

  it('keeps one event per record, drops revsync echoes and other objects', () => {
    const body = JSON.stringify([
      event(1, 'company.propertyChange', 11, 'name'),
      event(2, 'company.creation', 11),
      event(3, 'company.propertyChange', 12, 'revsync_mrr'),
      event(4, 'contact.creation', 13),
      event(5, 'deal.propertyChange', 14, 'dealstage'),
    ]);
    const ts = Date.now();
    const events = source.verify(body, {
      'x-hubspot-signature-v3': sign(body, ts),
      'x-hubspot-request-timestamp': String(ts),
    });
    expect(events.map((e) => [e.type, e.subject, e.id])).toEqual([
      ['hubspot.company.creation', '11', '9:1:2'],
      ['hubspot.deal.property_change', '14', '9:1:5'],
    ]);
  });

  it('refuses a stale timestamp and a wrong secret', () => {
    const body = JSON.stringify([event(1, 'company.creation', 1)]);
    const old = Date.now() - 6 * 60_000;
    expect(() =>
      source.verify(body, {
        'x-hubspot-signature-v3': sign(body, old),
        'x-hubspot-request-timestamp': String(old),
      }),
    ).toThrow(AuthError);
    const now = Date.now();
    expect(() =>
      source.verify(body, {
        'x-hubspot-signature-v3': sign(body, now, 'other'),
        'x-hubspot-request-timestamp': String(now),
      }),
    ).toThrow(AuthError);
  });
});
