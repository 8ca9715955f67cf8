import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NetsuiteEmulator } from '@revsync/emulators/netsuite';
import { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import { RevsyncError } from '../../model/revsync-error.ts';
import { defaultNetsuiteBaseUrl, NetsuiteClient } from './client.ts';
import { JsonDecimal, stringifyWithDecimals } from './decimal-json.ts';
import { classifyNetsuiteError } from './errors.ts';
import { connect, startFixture, write } from './test-setup.ts';

const customerInput = (externalId: string) => ({
  externalId,
  name: `Customer ${externalId}`,
  subsidiary: '1',
  currency: 'USD',
});

async function failure(promise: Promise<unknown>): Promise<RevsyncError> {
  try {
    await promise;
  } catch (caught) {
    expect(caught).toBeInstanceOf(RevsyncError);
    return caught as RevsyncError;
  }
  throw new Error('expected a failure');
}

describe('error classification against the emulator', () => {
  let emu: NetsuiteEmulator;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ emu, close } = await startFixture());
  });
  afterEach(() => {
    emu.app.faults.set('none');
    emu.reset();
  });
  afterAll(() => close());

  it('503 → RetryableError', async () => {
    const { connector } = connect(emu);
    emu.app.faults.set({ rules: [{ match: '*', error: { p: 1, statuses: [503] } }] });
    const error = await failure(connector.check());
    expect(error).toMatchObject({
      name: 'RetryableError',
      code: 'transient',
      retryable: true,
      status: 503,
      system: 'netsuite',
    });
    expect(error.details?.[0]?.message).toContain('UNEXPECTED_ERROR');
  });

  it('429 → RateLimitedError with retryAfterMs from Retry-After', async () => {
    const { connector, connection } = connect(emu);
    emu.app.faults.set({
      rules: [{ match: '*', rateLimitBurst: { p: 1, length: 1, retryAfterSeconds: 3 } }],
    });
    const error = await failure(connector.check());
    expect(error).toMatchObject({ name: 'RateLimitedError', retryable: true, retryAfterMs: 3000 });
    // The governor pauses the whole account for as long as NetSuite asked.
    expect(connection.health().governor.pausedUntil).not.toBeNull();
  });

  it('bad credentials → AuthError', async () => {
    const connection = new OutboundConnection('netsuite', { system: 'netsuite' });
    const { connector } = connect(emu, {
      connector: { connection, tokenSecret: 'not-the-secret' },
    });
    const error = await failure(connector.check());
    expect(error).toMatchObject({ name: 'AuthError', retryable: false, status: 401 });
    expect(error.message).toContain('INVALID_LOGIN');
  });

  it('a wrong realm → AuthError', async () => {
    const { connector } = connect(emu, { connector: { accountId: 'TSTDRV0000000' } });
    await expect(connector.check()).rejects.toMatchObject({ name: 'AuthError' });
  });

  it('a validation error → ValidationError with its details', async () => {
    const { erp } = connect(emu);
    const error = await failure(
      erp.upsertCustomer({ ...customerInput('cus_V'), subsidiary: '99' }, write()),
    );
    expect(error).toMatchObject({ name: 'ValidationError', retryable: false, status: 400 });
    expect(error.details).toEqual([
      {
        path: 'subsidiary',
        message: expect.stringMatching(/^INVALID_CONTENT: .*Invalid Field Value 99/),
      },
    ]);
  });

  it('a business rule refused → ValidationError naming the field', async () => {
    const { erp } = connect(emu);
    await erp.upsertCustomer(customerInput('cus_A'), write());
    const error = await failure(
      erp.upsertInvoice(
        {
          externalId: 'in_x',
          customerExternalId: 'cus_A',
          subsidiary: '2',
          currency: 'USD',
          tranDate: '2026-01-01',
          lines: [{ description: 'x', quantity: 1, amount: { amount: 100, currency: 'USD' } }],
          tax: { amount: 0, currency: 'USD' },
          total: { amount: 100, currency: 'USD' },
        },
        write(),
      ),
    );
    expect(error).toMatchObject({ name: 'ValidationError', details: [{ path: 'subsidiary' }] });
    expect(error.details?.[0]?.message).toMatch(/^USER_ERROR: /);
  });

  it('a duplicate (an item name already taken) → ConflictError', async () => {
    emu.records.create('noninventorysaleitem', { itemId: 'PRO' }); // no external id
    const { erp } = connect(emu);
    await erp.upsertCustomer(customerInput('cus_A'), write());
    const error = await failure(
      erp.upsertInvoice(
        {
          externalId: 'in_dup',
          customerExternalId: 'cus_A',
          subsidiary: '1',
          currency: 'USD',
          tranDate: '2026-01-01',
          lines: [
            {
              description: 'x',
              item: 'PRO',
              quantity: 1,
              amount: { amount: 100, currency: 'USD' },
            },
          ],
          tax: { amount: 0, currency: 'USD' },
          total: { amount: 100, currency: 'USD' },
        },
        write(),
      ),
    );
    expect(error).toMatchObject({ name: 'ConflictError', retryable: false });
    expect(error.details?.[0]).toMatchObject({ path: 'itemId' });
  });

  it('404 → NotFoundError from the client; undefined from the port reads', async () => {
    const { connection } = connect(emu);
    const client = new NetsuiteClient({ ...emu.credentials, baseUrl: emu.url, connection });
    const error = await failure(
      client.request('GET', '/record/v1/invoice/eid:nope', { operation: 'test' }),
    );
    expect(error).toMatchObject({ name: 'NotFoundError', status: 404 });
    expect(error.message).toContain('NONEXISTENT_ID');
    // The port's reads treat "not there" as an answer, not as a failed call.
    const failures = connection.health().failures;
    await expect(
      client.getRecord('invoice', 'eid:nope', { operation: 'test' }),
    ).resolves.toBeUndefined();
    expect(connection.health().failures).toBe(failures);
  });

  it('a hung request → TimeoutError', async () => {
    emu.app.faults.set({ rules: [{ match: '*', hang: { p: 1, ms: 2000 } }] });
    const { connector } = connect(emu, { connector: { timeoutMs: 100 } });
    await expect(connector.check()).rejects.toMatchObject({
      name: 'TimeoutError',
      retryable: true,
    });
  });

  it('circuit opens on repeated 5xx; calls then fail fast without reaching NetSuite', async () => {
    const { connector, connection } = connect(emu, { circuit: { failureThreshold: 3 } });
    emu.app.faults.set({ rules: [{ match: '*', error: { p: 1, statuses: [500, 503] } }] });
    for (let i = 0; i < 3; i++) {
      await expect(connector.check()).rejects.toMatchObject({ name: 'RetryableError' });
    }
    expect(connection.health().circuit.state).toBe('open');
    const calls = connection.health().calls;
    await expect(connector.check()).rejects.toMatchObject({ code: 'circuit_open' });
    expect(connection.health().calls).toBe(calls);
  });

  it('validation errors do not open the circuit', async () => {
    const { erp, connection } = connect(emu, { circuit: { failureThreshold: 2 } });
    for (let i = 0; i < 3; i++) {
      await expect(
        erp.upsertCustomer({ ...customerInput('cus_V'), subsidiary: '99' }, write()),
      ).rejects.toMatchObject({ name: 'ValidationError' });
    }
    expect(connection.health().circuit.state).toBe('closed');
  });
});

it('an unreachable host → RetryableError', async () => {
  const { emu, close } = await startFixture();
  const url = emu.url;
  await close();
  const connection = new OutboundConnection('netsuite', { system: 'netsuite' });
  const client = new NetsuiteClient({ ...emu.credentials, baseUrl: url, connection });
  await expect(
    client.suiteql('SELECT id FROM currency', { operation: 'test' }),
  ).rejects.toMatchObject({ name: 'RetryableError', retryable: true });
});

describe("the account's concurrency pool", () => {
  const LIMIT = 4;
  let emu: NetsuiteEmulator;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ emu, close } = await startFixture({
      emulator: { concurrencyLimit: LIMIT, latencyMs: 150 },
    }));
  });
  afterAll(() => close());

  const burst = (erp: ReturnType<typeof connect>['erp']) =>
    Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => erp.findCustomers({ externalId: `cus_${i}` })),
    );

  it('a governor cap below the limit keeps revsync under it: no 429', async () => {
    const { erp, connection } = connect(emu, { limits: { maxConcurrent: LIMIT - 1 } });
    const results = await burst(erp);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(connection.health().failures).toBe(0);
    expect(connection.health().calls).toBe(12);
  });

  it('without the cap a burst is refused with RateLimitedError', async () => {
    const { erp } = connect(emu);
    const results = await burst(erp);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThan(0);
    for (const r of refused) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({
        name: 'RateLimitedError',
        retryAfterMs: 1000,
      });
    }
  });
});

describe('classifyNetsuiteError', () => {
  const body = (status: number, code: string, detail: string, path?: string) => ({
    type: 'https://www.rfc-editor.org/rfc/rfc9110.html',
    title: 'x',
    status,
    'o:errorDetails': [
      { detail, 'o:errorCode': code, ...(path !== undefined && { 'o:errorPath': path }) },
    ],
  });
  const classify = (status: number, b: unknown, retryAfter: string | null = null) =>
    classifyNetsuiteError({ status, body: b, retryAfter, request: 'GET /x' });

  it('reads the NetSuite codes before the status', () => {
    expect(classify(400, body(400, 'SSS_REQUEST_LIMIT_EXCEEDED', 'limit'))).toMatchObject({
      name: 'RateLimitedError',
    });
    expect(classify(400, body(400, 'UNEXPECTED_ERROR', 'oops'))).toMatchObject({
      name: 'RetryableError',
    });
    expect(classify(400, body(400, 'DUP_RCRD', 'dup'))).toMatchObject({ name: 'ConflictError' });
    expect(
      classify(400, body(400, 'USER_ERROR', 'This record already exists.', 'externalId')),
    ).toMatchObject({ name: 'ConflictError', details: [{ path: 'externalId' }] });
    expect(classify(404, body(404, 'NONEXISTENT_ID', 'gone'))).toMatchObject({
      name: 'NotFoundError',
    });
    expect(classify(403, body(403, 'INSUFFICIENT_PERMISSION', 'no'))).toMatchObject({
      name: 'ForbiddenError',
    });
    expect(classify(405, body(405, 'METHOD_NOT_ALLOWED', 'no'))).toMatchObject({
      name: 'ValidationError',
    });
  });

  it('falls back to the status for bodies that are not NetSuite errors', () => {
    expect(classify(502, '<html>Bad gateway</html>')).toMatchObject({ name: 'RetryableError' });
    expect(classify(429, undefined, 'Wed, 21 Oct 2099 07:28:00 GMT')).toMatchObject({
      name: 'RateLimitedError',
      retryAfterMs: expect.any(Number),
    });
  });
});

describe('exact decimals and URLs', () => {
  it('writes Money as bare JSON numbers with every digit', () => {
    expect(
      stringifyWithDecimals({
        a: JsonDecimal.of({ amount: 9_007_199_254_740_991, currency: 'USD' }),
        b: JsonDecimal.of({ amount: -5, currency: 'USD' }),
        c: JsonDecimal.of({ amount: 1_000, currency: 'JPY' }),
        d: JsonDecimal.of({ amount: 1_234, currency: 'BHD' }),
        s: 'text with "quotes"',
      }),
    ).toBe('{"a":90071992547409.91,"b":-0.05,"c":1000,"d":1.234,"s":"text with \\"quotes\\""}');
  });

  it('derives the account host from the account id', () => {
    expect(defaultNetsuiteBaseUrl('1234567_SB1')).toBe(
      'https://1234567-sb1.suitetalk.api.netsuite.com',
    );
  });
});
