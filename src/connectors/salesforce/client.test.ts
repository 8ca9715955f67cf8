import { afterEach, describe, expect, it } from 'vitest';
import type { FaultConfig } from '@revsync/emulators/kit';
import { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import { SalesforceClient } from './client.ts';
import { createRecord, startTestbed, type SalesforceTestbed } from './test-helpers.ts';

let tb: SalesforceTestbed | undefined;
afterEach(async () => {
  await tb?.close();
  tb = undefined;
});

const tokenRequests = (t: SalesforceTestbed) =>
  t.sf.app.requests.list().filter((r) => r.path === '/services/oauth2/token');

describe('sessions', () => {
  it('logs in with client credentials once and reuses the session', async () => {
    tb = await startTestbed();
    await tb.connector.check();
    await tb.connector.check();
    expect(tokenRequests(tb)).toHaveLength(1);
  });

  it('logs in again, transparently, when the session expired', async () => {
    const warnings: string[] = [];
    tb = await startTestbed({
      connector: { logger: { warn: (_details, message) => warnings.push(message) } },
    });
    const id = await createRecord(tb.admin, 'Account', { Name: 'Acme' });
    await tb.connector.port.getAccount(id);
    tb.sf.app.clock.advance(2 * 3600 * 1000 + 1000); // idle past the 2 h session timeout
    await expect(tb.connector.port.getAccount(id)).resolves.toMatchObject({ name: 'Acme' });
    expect(tokenRequests(tb)).toHaveLength(2);
    expect(warnings).toEqual(['salesforce session expired; logging in again']);
    const rejected = tb.sf.app.requests.list().filter((r) => r.status === 401);
    expect(rejected).toHaveLength(1);
  });

  it('shares one re-login between concurrent calls', async () => {
    tb = await startTestbed();
    const id = await createRecord(tb.admin, 'Account', { Name: 'Acme' });
    await tb.connector.port.getAccount(id);
    tb.sf.app.clock.advance(3 * 3600 * 1000);
    await Promise.all([1, 2, 3].map(() => tb!.connector.port.getAccount(id)));
    expect(tokenRequests(tb)).toHaveLength(2);
  });

  it('answers AuthError for wrong credentials', async () => {
    tb = await startTestbed({ connector: { clientSecret: 'wrong' } });
    await expect(tb.connector.check()).rejects.toMatchObject({
      name: 'AuthError',
      code: 'auth_failed',
      status: 400,
      system: 'salesforce',
    });
    expect(tb.connection.health().circuit.state).toBe('closed');
  });
});

describe('error classification', () => {
  it('503 → RetryableError, without jsforce retrying behind the governor', async () => {
    tb = await startTestbed({
      emulator: {
        faults: faults({ match: 'GET /services/data/*', error: { p: 1, statuses: [503] } }),
      },
    });
    await expect(tb.connector.check()).rejects.toMatchObject({
      name: 'RetryableError',
      code: 'transient',
      status: 503,
      retryable: true,
    });
    const gets = tb.sf.app.requests.list().filter((r) => r.method === 'GET');
    expect(gets).toHaveLength(1);
  });

  it('429 → RateLimitedError with retryAfterMs, and the governor pauses', async () => {
    tb = await startTestbed({
      emulator: {
        faults: faults({
          match: 'GET /services/data/*',
          rateLimitBurst: { p: 1, length: 1, retryAfterSeconds: 2 },
        }),
      },
    });
    await expect(tb.connector.check()).rejects.toMatchObject({
      name: 'RateLimitedError',
      code: 'rate_limited',
      status: 429,
      retryAfterMs: 2000,
    });
    expect(tb.connection.health().governor.pausedUntil).not.toBeNull();
  });

  it('the daily API limit → RateLimitedError with the configured pause', async () => {
    tb = await startTestbed({
      emulator: { dailyApiLimit: 2 },
      connector: { dailyLimitRetryAfterMs: 60_000 },
    });
    await tb.connector.check();
    await tb.connector.check();
    await expect(tb.connector.check()).rejects.toMatchObject({
      code: 'rate_limited',
      status: 403,
      retryAfterMs: 60_000,
    });
    expect(tb.connection.health().reportedUsage).toMatchObject({ used: 2, limit: 2 });
  });

  it('404 → NotFoundError, 400 → ValidationError with details', async () => {
    tb = await startTestbed();
    const client = clientFor(tb);
    await expect(
      client.request('x', { method: 'GET', url: '/sobjects/Account/001000000000000AAA' }),
    ).rejects.toMatchObject({ code: 'not_found', status: 404 });
    await expect(
      client.request('x', { method: 'POST', url: '/sobjects/Account', body: { Nope: 1 } }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      status: 400,
      message: expect.stringContaining('INVALID_FIELD'),
    });
    await expect(
      client.request('x', { method: 'POST', url: '/sobjects/Account', body: {} }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'Name', message: expect.any(String) }],
    });
  });

  it('an ambiguous upsert (300) → ConflictError', async () => {
    tb = await startTestbed();
    await createRecord(tb.admin, 'Account', { Name: 'A', Ext__c: 'dup' });
    await createRecord(tb.admin, 'Account', { Name: 'B', Ext__c: 'dup' });
    await expect(
      clientFor(tb).request('x', {
        method: 'PATCH',
        url: '/sobjects/Account/Ext__c/dup',
        body: { Name: 'C' },
      }),
    ).rejects.toMatchObject({ code: 'conflict' });
  });

  it('an unreachable org → RetryableError', async () => {
    tb = await startTestbed();
    const url = tb.sf.url;
    await tb.close();
    tb = undefined;
    const connection = new OutboundConnection('down', { system: 'salesforce' });
    const client = new SalesforceClient({
      loginUrl: url,
      clientId: 'x',
      clientSecret: 'y',
      connection,
    });
    await expect(client.request('x', { method: 'GET', url: '/limits' })).rejects.toMatchObject({
      code: 'transient',
    });
  });
});

describe('governor and circuit', () => {
  it('counts every call and opens the circuit on repeated 5xx', async () => {
    tb = await startTestbed({
      circuit: { failureThreshold: 2, openMs: 60_000 },
      emulator: {
        faults: faults({ match: 'GET /services/data/*', error: { p: 1, statuses: [500] } }),
      },
    });
    await expect(tb.connector.check()).rejects.toMatchObject({ code: 'transient', status: 500 });
    await expect(tb.connector.check()).rejects.toMatchObject({ code: 'transient' });
    await expect(tb.connector.check()).rejects.toMatchObject({
      code: 'circuit_open',
      retryAfterMs: expect.any(Number),
    });
    const health = tb.connection.health();
    expect(health).toMatchObject({ calls: 2, failures: 2, circuit: { state: 'open', opens: 1 } });
    // the open circuit kept the third call from reaching Salesforce
    expect(tb.sf.app.requests.list().filter((r) => r.method === 'GET')).toHaveLength(2);
  });

  it('queues calls by lane through the governor', async () => {
    tb = await startTestbed();
    const connection = new OutboundConnection('sf', {
      system: 'salesforce',
      limits: { maxConcurrent: 1 },
    });
    const client = clientFor(tb, connection);
    const order: string[] = [];
    const call = (lane: 'low' | 'critical', name: string) =>
      client.request('limits', { method: 'GET', url: '/limits' }, { lane }).then(() => {
        order.push(name);
      });
    await Promise.all([call('low', 'first'), call('low', 'backfill'), call('critical', 'payment')]);
    expect(order).toEqual(['first', 'payment', 'backfill']);
    expect(connection.health().governor.granted).toBe(3);
  });

  it('does not send a call whose signal already aborted', async () => {
    tb = await startTestbed();
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    await expect(tb.connector.check({ signal: controller.signal })).rejects.toThrow();
    expect(tb.sf.app.requests.list()).toHaveLength(0);
  });
});

/** One fault rule. (`faults` is typed as the parsed config, so `webhooks` must be spelled out.) */
function faults(rule: FaultConfig['rules'][number]): FaultConfig {
  return { rules: [rule], webhooks: { duplicate: 0 } };
}

function clientFor(t: SalesforceTestbed, connection = t.connection): SalesforceClient {
  return new SalesforceClient({
    loginUrl: t.sf.loginUrl,
    clientId: t.sf.clientId,
    clientSecret: t.sf.clientSecret,
    connection,
  });
}
