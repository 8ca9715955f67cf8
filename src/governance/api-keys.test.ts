import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore } from '../../test/support/stores.ts';
import type { Store } from '../store/store.ts';
import { ApiKeySecret } from './api-key-secret.ts';
import { ApiKeys } from './api-keys.ts';
import { roleAllows } from './roles.ts';

describe('API key format and roles', () => {
  it('generates rsk_<id>_<secret> keys with a 256-bit secret and parses them back', () => {
    const { id, secret, key } = ApiKeySecret.generate();
    expect(key).toMatch(/^rsk_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    expect(ApiKeySecret.parse(key)).toEqual({ id, secret });
    expect(ApiKeySecret.parse('rsk_short')).toBeUndefined();
    expect(ApiKeySecret.parse(`xyz_${id}_${secret}`)).toBeUndefined();
    expect(ApiKeySecret.matches(secret, ApiKeySecret.hash(secret))).toBe(true);
    expect(ApiKeySecret.matches(`${secret}x`, ApiKeySecret.hash(secret))).toBe(false);
    expect(ApiKeySecret.hash(secret)).not.toContain(secret);
  });

  it('orders roles viewer < operator < admin', () => {
    expect(roleAllows('admin', 'operator')).toBe(true);
    expect(roleAllows('operator', 'viewer')).toBe(true);
    expect(roleAllows('operator', 'admin')).toBe(false);
    expect(roleAllows('viewer', 'operator')).toBe(false);
  });
});

for (const dialect of DIALECTS) {
  describe(`API keys [${dialect}]`, () => {
    let store: Store & { dispose(): Promise<void> };
    let now = Date.UTC(2026, 0, 1);

    beforeEach(async () => {
      store = await openTestStore(dialect);
    });
    afterEach(async () => store.dispose());

    it('stores only a hash, authenticates the key, and refuses it once revoked', async () => {
      const keys = new ApiKeys(store, { now: () => now });
      const { key, info } = await keys.create({ name: 'ops', role: 'operator' }, { actor: 'cli' });
      expect(info).toMatchObject({ name: 'ops', role: 'operator', createdBy: 'cli' });
      const stored = await store.apiKeys.get(store.db, info.id);
      expect(stored?.secretHash).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(JSON.stringify(stored)).not.toContain(ApiKeySecret.parse(key)!.secret);

      await expect(keys.authenticate(key)).resolves.toEqual({
        keyId: info.id,
        name: 'ops',
        role: 'operator',
      });
      const wrong = `${key.slice(0, -2)}${key.endsWith('AA') ? 'BB' : 'AA'}`;
      await expect(keys.authenticate(wrong)).rejects.toMatchObject({ code: 'unauthorized' });
      await expect(keys.authenticate('Bearer nonsense')).rejects.toMatchObject({
        code: 'unauthorized',
      });

      now += 1000;
      const revoked = await keys.revoke(info.id, { actor: 'root' });
      expect(revoked).toMatchObject({ revokedAt: now, revokedBy: 'root' });
      await expect(keys.authenticate(key)).rejects.toMatchObject({ code: 'unauthorized' });
      await expect(keys.revoke(info.id, { actor: 'root' })).rejects.toMatchObject({
        code: 'conflict',
      });
      await expect(keys.revoke('nosuchkey', { actor: 'root' })).rejects.toMatchObject({
        code: 'not_found',
      });

      const audit = await store.audit.list(store.db, { targetType: 'api_key' });
      expect(audit.map((a) => [a.action, a.actor])).toEqual([
        ['api_key.revoke', 'root'],
        ['api_key.create', 'cli'],
      ]);
      expect(JSON.stringify(audit)).not.toContain(key);
    });

    it('refuses a duplicate active name and a bad name or role', async () => {
      const keys = new ApiKeys(store);
      await keys.create({ name: 'ci', role: 'viewer' }, { actor: 'cli' });
      await expect(
        keys.create({ name: 'ci', role: 'admin' }, { actor: 'cli' }),
      ).rejects.toMatchObject({ code: 'conflict' });
      await expect(
        keys.create({ name: ' ', role: 'admin' }, { actor: 'cli' }),
      ).rejects.toMatchObject({ code: 'validation_failed' });
      await expect(
        keys.create({ name: 'x', role: 'root' as never }, { actor: 'cli' }),
      ).rejects.toMatchObject({ code: 'validation_failed' });
    });

    it('accepts configured bootstrap keys without storing them, and will not revoke them', async () => {
      const key = 'rsk_demoadmin_demo-admin-secret-0001';
      const keys = new ApiKeys(store, { bootstrapKeys: [{ name: 'demo', role: 'admin', key }] });
      await expect(keys.authenticate(key)).resolves.toMatchObject({ name: 'demo', role: 'admin' });
      await expect(keys.authenticate(`${key}x`)).rejects.toMatchObject({ code: 'unauthorized' });
      expect(await store.apiKeys.list(store.db)).toEqual([]);
      expect(await keys.list()).toEqual([
        expect.objectContaining({ name: 'demo', bootstrap: true }),
      ]);
      await expect(keys.revoke('demoadmin', { actor: 'x' })).rejects.toMatchObject({
        code: 'conflict',
      });
      await expect(
        keys.create({ name: 'demo', role: 'viewer' }, { actor: 'x' }),
      ).rejects.toMatchObject({ code: 'conflict' });
      expect(
        () =>
          new ApiKeys(store, { bootstrapKeys: [{ name: 'bad', role: 'admin', key: 'secret' }] }),
      ).toThrow(/rsk_<id>_<secret>/);
    });

    it('records when a key was last used, at most once per interval', async () => {
      const keys = new ApiKeys(store, { now: () => now, touchIntervalMs: 60_000 });
      const { key, info } = await keys.create({ name: 'ui', role: 'viewer' }, { actor: 'cli' });
      const first = now;
      await keys.authenticate(key);
      now += 1_000;
      await keys.authenticate(key);
      await store.commits.drain();
      expect((await store.apiKeys.get(store.db, info.id))?.lastUsedAt).toBe(first);
      now += 60_000;
      await keys.authenticate(key);
      await store.commits.drain();
      expect((await store.apiKeys.get(store.db, info.id))?.lastUsedAt).toBe(now);
    });
  });
}
