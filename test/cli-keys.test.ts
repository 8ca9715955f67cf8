import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../src/api/create-api-server.ts';
import { Engine } from '../src/engine/engine.ts';
import { openStore } from '../src/store/open-store.ts';

const BIN = new URL('../bin/revsync.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'revsync-cli-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function revsync(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: dir,
    env: { ...process.env, REVSYNC_STORE_URL: `sqlite:${join(dir, 'r.db')}` },
  });
}

describe('revsync keys: expiry, scopes, rotation', () => {
  it('creates a scoped, expiring key and rotates it with a grace period', async () => {
    const created = revsync(
      'keys',
      'create',
      '--role',
      'operator',
      '--name',
      'metering',
      '--scopes',
      'usage:write',
      '--expires-in',
      '90d',
      '--json',
    );
    expect(created.status, created.stderr).toBe(0);
    const first = JSON.parse(created.stdout) as {
      key: string;
      id: string;
      scopes: string[];
      expiresAt: string;
    };
    expect(first.scopes).toEqual(['usage:write']);
    expect(Date.parse(first.expiresAt) - Date.now()).toBeGreaterThan(89 * 86_400_000);

    expect(
      revsync('keys', 'create', '--role', 'viewer', '--name', 'x', '--scopes', 'nope:read').stderr,
    ).toContain('unknown area');
    const badDuration = revsync(
      'keys',
      'create',
      '--role',
      'viewer',
      '--name',
      'x',
      '--expires-in',
      'soon',
    );
    expect(badDuration.status).toBe(2);
    expect(badDuration.stderr).toContain('--expires-in: a duration');

    const rotated = revsync('keys', 'rotate', first.id, '--grace', '0', '--json');
    expect(rotated.status, rotated.stderr).toBe(0);
    const second = JSON.parse(rotated.stdout) as { key: string; id: string; scopes: string[] };
    expect(second).toMatchObject({ id: first.id, name: 'metering', scopes: ['usage:write'] });
    expect(second.key).not.toBe(first.key);
    const listed = revsync('keys', 'list');
    expect(listed.stdout).toContain('usage:write');

    const store = await openStore({ url: `sqlite:${join(dir, 'r.db')}` });
    const engine = new Engine({ store, logger: pino({ level: 'silent' }) });
    const app = await createApiServer({ store, engine }, { processMetrics: false });
    try {
      const as = (key: string, method: 'GET' | 'POST', url: string) =>
        app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${key}` },
          ...(method === 'POST' && { payload: { entityKey: 'x' } }),
        });
      const old = await as(first.key, 'GET', '/v1/whoami');
      expect(old.statusCode).toBe(401);
      expect(old.json().error.code).toBe('api_key_expired');
      expect((await as(second.key, 'GET', '/v1/whoami')).statusCode).toBe(200);
      const outside = await as(second.key, 'POST', '/v1/replay');
      expect(outside.statusCode).toBe(403);
      expect(outside.json().error.code).toBe('insufficient_scope');
    } finally {
      await app.close();
      await store.close();
    }
  });
});
