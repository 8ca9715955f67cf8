import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/support/stores.ts';
import { CONNECTORS } from '../connectors/registry.ts';
import { Engine } from '../engine/engine.ts';
import type { Store } from '../store/store.ts';
import { createApiServer } from './create-api-server.ts';

const KEY = 'rsk_sysviewer_revsync-systems-test-viewer-key-01';

describe('GET /v1/systems [sqlite]', () => {
  let store: Store & { dispose(): Promise<void> };
  beforeAll(async () => {
    store = await openTestStore('sqlite');
  });
  afterAll(async () => store.dispose());

  it('names the system of each role with the display name the registry gives it', async () => {
    const engine = new Engine({ store, logger: pino({ level: 'silent' }) });
    const systems = CONNECTORS.map((c) => ({
      role: c.role,
      system: c.system,
      displayName: c.displayName,
    }));
    const app = await createApiServer(
      { store, engine, systems },
      { processMetrics: false, bootstrapKeys: [{ name: 'viewer', role: 'viewer', key: KEY }] },
    );
    try {
      const res = await app.inject({
        url: '/v1/systems',
        headers: { authorization: `Bearer ${KEY}` },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().systems).toEqual(systems);
      expect(new Set(systems.map((s) => s.role))).toEqual(new Set(['crm', 'billing', 'erp']));
      const anonymous = await app.inject({ url: '/v1/systems' });
      expect(anonymous.statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });
});
