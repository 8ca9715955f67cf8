import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNetsuiteEmulator, type NetsuiteEmulator } from './index.ts';
import { createNetsuiteTestClient, type TestResponse } from './test-client.ts';

const LIMIT = 4;
let emu: NetsuiteEmulator;
beforeAll(async () => {
  // Each request holds its slot for a while (far longer than it takes to send the burst),
  // so the whole burst is in flight at once.
  emu = await startNetsuiteEmulator({ port: 0, concurrencyLimit: LIMIT, latencyMs: 1500 });
});
afterAll(() => emu.close());

describe('account-wide concurrency limit', () => {
  it('answers 429 beyond the limit, and every refused request succeeds when retried', async () => {
    const ns = createNetsuiteTestClient(emu);
    const burst = LIMIT + 5;
    const first = await Promise.all(
      Array.from({ length: burst }, (_, i) =>
        ns.post('/services/rest/record/v1/customer', {
          companyName: `Burst ${i}`,
          subsidiary: { id: '1' },
          externalId: `burst-${i}`,
        }),
      ),
    );
    const refused = first.map((r, i) => [r, i] as const).filter(([r]) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(first.filter((r) => r.status === 204).length).toBeLessThanOrEqual(LIMIT);
    const [sample] = refused[0] as readonly [TestResponse, number];
    expect(sample.headers.get('retry-after')).toBe('1');
    expect(sample.headers.get('content-type')).toContain(
      'application/vnd.oracle.resource+json; type=error',
    );
    expect(sample.body).toMatchObject({
      title: 'Too Many Requests',
      status: 429,
      'o:errorDetails': [{ 'o:errorCode': 'CONCURRENCY_LIMIT_EXCEEDED' }],
    });

    const retry = async (i: number): Promise<TestResponse> => {
      for (;;) {
        const res = await ns.put(`/services/rest/record/v1/customer/eid:burst-${i}`, {
          companyName: `Burst ${i}`,
          subsidiary: { id: '1' },
        });
        if (res.status !== 429) return res;
        await sleep(100);
      }
    };
    const retried = await Promise.all(refused.map(([, i]) => retry(i)));
    expect(retried.map((r) => r.status)).toEqual(refused.map(() => 204));
    expect(emu.state.list('customer')).toHaveLength(burst);
  });

  it('shares one pool between integrations (bearer and TBA alike)', async () => {
    const local = await startNetsuiteEmulator({
      port: 0,
      concurrencyLimit: 1,
      latencyMs: 1500,
      accessToken: 'oauth2-token',
    });
    const inFlight = async () => {
      const res = await fetch(`${local.url}/_emulator/state`);
      return ((await res.json()) as { state: { concurrency: { inFlight: number } } }).state
        .concurrency.inFlight;
    };
    try {
      const tba = createNetsuiteTestClient(local).get('/services/rest/record/v1/currency');
      while ((await inFlight()) < 1) await sleep(10);
      const bearer = await fetch(`${local.url}/services/rest/record/v1/currency`, {
        headers: { authorization: 'Bearer oauth2-token' },
      });
      expect(bearer.status).toBe(429);
      expect((await tba).status).toBe(200);
    } finally {
      await local.close();
    }
  });
});

describe('injected faults', () => {
  it("answer in NetSuite's error shape", async () => {
    const local = await startNetsuiteEmulator({
      port: 0,
      faults: { rules: [{ match: '*', error: { p: 1, statuses: [503] } }] },
    });
    try {
      const res = await createNetsuiteTestClient(local).get('/services/rest/record/v1/customer');
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({
        title: 'Service Unavailable',
        status: 503,
        'o:errorDetails': [{ 'o:errorCode': 'UNEXPECTED_ERROR' }],
      });
    } finally {
      await local.close();
    }
  });
});
