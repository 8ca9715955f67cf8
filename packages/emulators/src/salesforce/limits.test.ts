import { afterEach, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from './index.ts';
import { call, connect, rejection } from './test-helpers.ts';

let sf: RunningSalesforceEmulator | undefined;
afterEach(async () => {
  await sf?.close();
  sf = undefined;
});

describe('daily API limit', () => {
  it('reports usage in Sforce-Limit-Info (conn.limitInfo) and /limits, then refuses with 403', async () => {
    sf = await startSalesforceEmulator({ port: 0, dailyApiLimit: 5 });
    const conn = connect(sf);
    await conn.sobject('Account').create({ Name: 'One' });
    expect(conn.limitInfo).toEqual({ apiUsage: { used: 1, limit: 5 } });
    await conn.query('SELECT Id FROM Account');
    expect(conn.limitInfo.apiUsage).toEqual({ used: 2, limit: 5 });
    const limits = await conn.limits();
    expect(limits.DailyApiRequests).toEqual({ Max: 5, Remaining: 2 });

    const failed = await call(sf, 'GET', '/services/data/v62.0/sobjects/Account/bad');
    expect(failed.status).toBe(400);
    expect(failed.headers.get('sforce-limit-info')).toBe('api-usage=4/5');

    await conn.query('SELECT Id FROM Account');
    const refused = await call(sf, 'GET', '/services/data/v62.0/limits');
    expect(refused).toMatchObject({
      status: 403,
      body: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
    });
    expect(refused.headers.get('sforce-limit-info')).toBe('api-usage=5/5');
    const err = await rejection(conn.sobject('Account').create({ Name: 'Two' }));
    expect(err.errorCode).toBe('REQUEST_LIMIT_EXCEEDED');

    // A rolling 24 h: a day later the allowance is back.
    sf.app.clock.advance(24 * 3600 * 1000);
    await conn.sobject('Account').create({ Name: 'Two' });
    expect(conn.limitInfo.apiUsage).toEqual({ used: 1, limit: 5 });
  });

  it('counts a composite request once', async () => {
    sf = await startSalesforceEmulator({ port: 0 });
    const conn = connect(sf);
    await conn.requestPost('/composite', {
      compositeRequest: [1, 2, 3].map((i) => ({
        method: 'POST',
        url: '/services/data/v62.0/sobjects/Account',
        referenceId: `a${i}`,
        body: { Name: `A${i}` },
      })),
    });
    expect(conn.limitInfo.apiUsage).toEqual({ used: 1, limit: 100_000 });
  });
});

describe('faults', () => {
  it('answers injected faults in the Salesforce error shape', async () => {
    sf = await startSalesforceEmulator({
      port: 0,
      faults: {
        rules: [
          { match: 'GET /services/data/*', error: { p: 1, statuses: [503] } },
          {
            match: 'POST /services/data/*',
            rateLimitBurst: { p: 1, length: 1, retryAfterSeconds: 2 },
          },
        ],
        webhooks: { duplicate: 0 },
      },
    });
    const down = await call(sf, 'GET', '/services/data/v62.0/limits');
    expect(down.status).toBe(503);
    expect(down.body).toEqual([{ message: expect.any(String), errorCode: 'SERVER_UNAVAILABLE' }]);
    const limited = await call(sf, 'POST', '/services/data/v62.0/sobjects/Account', { Name: 'x' });
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual([
      { message: expect.any(String), errorCode: 'REQUEST_LIMIT_EXCEEDED' },
    ]);
    expect(limited.headers.get('retry-after')).toBe('2');
    const unknown = await call(sf, 'PUT', '/nothing/here');
    expect(unknown).toMatchObject({ status: 404, body: [{ errorCode: 'NOT_FOUND' }] });
  });
});
