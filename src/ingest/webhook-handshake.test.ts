import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessCentralWebhooks } from '../connectors/business-central/webhooks.ts';
import type { Inbox } from '../store/inbox.ts';
import type { EntityKeyResolver } from './entity-keys.ts';
import { registerWebhookRoutes } from './webhook-routes.ts';

const app = Fastify();
const stored: unknown[] = [];

beforeAll(async () => {
  const inbox = {
    appendMany: async (events: unknown[]) => {
      stored.push(...events);
      return events.map(() => ({ duplicate: false }));
    },
  } as unknown as Inbox;
  const keys = { resolve: async (e: unknown) => e } as unknown as EntityKeyResolver;
  await registerWebhookRoutes(
    app,
    { 'business-central': new BusinessCentralWebhooks({ clientState: 'the-state' }) },
    { inbox, keys },
  );
});
afterAll(() => app.close());

describe('the webhook route and a source with an endpoint handshake', () => {
  it('echoes the validationToken as text/plain, storing nothing', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/business-central?validationToken=tok%2Fen%201',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe('tok/en 1');
    expect(stored).toEqual([]);
  });

  it('verifies a delivery without the token as usual', async () => {
    const note = (clientState: string) =>
      JSON.stringify({
        value: [
          {
            subscriptionId: 's',
            clientState,
            resource:
              '/api/v2.0/companies(3a6c1f4e-2b7d-4c8e-9f0a-1b2c3d4e5f60)/customers(9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d)',
            changeType: 'updated',
            lastModifiedDateTime: new Date().toISOString(),
          },
        ],
      });
    const bad = await app.inject({
      method: 'POST',
      url: '/webhooks/business-central',
      headers: { 'content-type': 'application/json' },
      payload: note('guess'),
    });
    expect(bad.statusCode).toBe(400);
    const good = await app.inject({
      method: 'POST',
      url: '/webhooks/business-central',
      headers: { 'content-type': 'application/json' },
      payload: note('the-state'),
    });
    expect(good.statusCode).toBe(200);
    expect(stored).toHaveLength(1);
  });
});
