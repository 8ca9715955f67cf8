import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNetsuiteEmulator, type NetsuiteEmulator } from './index.ts';
import { createNetsuiteTestClient } from './test-client.ts';

let emu: NetsuiteEmulator;
let ns: ReturnType<typeof createNetsuiteTestClient>;
beforeAll(async () => {
  emu = await startNetsuiteEmulator({ port: 0 });
  ns = createNetsuiteTestClient(emu);
});
afterAll(() => emu.close());

const path = (url: string | null) => (url ?? '').slice(emu.url.length);

describe('Prefer: respond-async', () => {
  it('answers 202 with a job to poll, whose task result is the record response', async () => {
    const key = randomUUID();
    const res = await ns.post(
      '/services/rest/record/v1/customer',
      { companyName: 'Async Co', subsidiary: { id: '1' } },
      { headers: { prefer: 'respond-async', 'X-NetSuite-Idempotency-Key': key } },
    );
    expect(res.status).toBe(202);
    expect(res.headers.get('preference-applied')).toBe('respond-async');
    const jobUrl = res.headers.get('location');
    expect(jobUrl).toMatch(/\/services\/rest\/async\/v1\/job\/\d+$/);

    const job = await ns.get(path(jobUrl));
    expect(job.body).toMatchObject({
      completed: true,
      progress: 'succeeded',
      task: { links: [{ rel: 'self' }] },
    });
    const tasks = await ns.get<{ items: { id: string; links: { href: string }[] }[] }>(
      `${path(jobUrl)}/task`,
    );
    const taskUrl = tasks.body.items[0]?.links[0]?.href ?? '';
    const task = await ns.get(path(taskUrl));
    expect(task.body).toMatchObject({ completed: true, progress: 'succeeded', id: '1' });
    const result = await ns.get(`${path(taskUrl)}/result`);
    expect(result.status).toBe(204);
    expect(result.headers.get('location')).toMatch(/\/record\/v1\/customer\/\d+$/);

    const again = await ns.post(
      '/services/rest/record/v1/customer',
      { companyName: 'Async Co', subsidiary: { id: '1' } },
      { headers: { prefer: 'respond-async', 'X-NetSuite-Idempotency-Key': key } },
    );
    expect(again.status).toBe(400);
    expect(again.headers.get('location')).toBe(jobUrl);
    expect(again.body).toMatchObject({
      'o:errorDetails': [{ 'o:errorCode': 'IDEMPOTENCY_ERROR' }],
    });
    expect(emu.state.list('customer').filter((c) => c.companyName === 'Async Co')).toHaveLength(1);
  });

  it('records a failed request as a failed job', async () => {
    const res = await ns.post(
      '/services/rest/record/v1/customer',
      { companyName: 'No subsidiary' },
      { headers: { prefer: 'respond-async' } },
    );
    expect(res.status).toBe(202);
    const job = await ns.get(path(res.headers.get('location')));
    expect(job.body).toMatchObject({ progress: 'failed' });
    const result = await ns.get(`${path(res.headers.get('location'))}/task/1/result`);
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ 'o:errorDetails': [{ 'o:errorCode': 'USER_ERROR' }] });
  });

  it('wants the idempotency key to be a UUID', async () => {
    const res = await ns.post(
      '/services/rest/record/v1/customer',
      { companyName: 'X', subsidiary: 1 },
      { headers: { prefer: 'respond-async', 'X-NetSuite-Idempotency-Key': 'not-a-uuid' } },
    );
    expect(res.status).toBe(400);
  });

  it('answers 404 for an unknown job', async () => {
    expect((await ns.get('/services/rest/async/v1/job/999')).status).toBe(404);
  });
});
