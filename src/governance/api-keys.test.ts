import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore } from '../../test/support/stores.ts';
import type { Store } from '../store/store.ts';
import { ApiKeySecret } from './api-key-secret.ts';
import { routeScope, scopesAllow } from './api-key-scopes.ts';
import { ApiKeys, parseKeyDuration } from './api-keys.ts';
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

  it('matches scopes by area and access, with * for either', () => {
    expect(scopesAllow(['usage:write'], 'usage:write')).toBe(true);
    expect(scopesAllow(['usage:write'], 'usage:read')).toBe(false);
    expect(scopesAllow(['usage:write'], 'runs:write')).toBe(false);
    expect(scopesAllow(['usage:*'], 'usage:read')).toBe(true);
    expect(scopesAllow(['*:read'], 'audit:read')).toBe(true);
    expect(scopesAllow(['*:read'], 'audit:write')).toBe(false);
    expect(routeScope('usage', 'POST')).toBe('usage:write');
    expect(routeScope('runs', 'GET')).toBe('runs:read');
  });

  it('parses key durations', () => {
    expect(parseKeyDuration('90d')).toBe(90 * 86_400_000);
    expect(parseKeyDuration('24h')).toBe(86_400_000);
    expect(parseKeyDuration('0')).toBe(0);
    expect(parseKeyDuration('1.5h')).toBeUndefined();
    expect(parseKeyDuration('soon')).toBeUndefined();
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
        scopes: null,
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
      const scoped = new ApiKeys(store, {
        bootstrapKeys: [{ name: 'meter', role: 'operator', key, scopes: ['usage:write'] }],
      });
      await expect(scoped.authenticate(key)).resolves.toMatchObject({ scopes: ['usage:write'] });
    });

    it('refuses a key from its expiry on with api_key_expired, and only with the right secret', async () => {
      const keys = new ApiKeys(store, { now: () => now });
      const start = now;
      const { key, info } = await keys.create(
        { name: 'temp', role: 'viewer', expiresAt: start + 90 * 86_400_000 },
        { actor: 'cli' },
      );
      expect(info.expiresAt).toBe(start + 90 * 86_400_000);
      now = start + 90 * 86_400_000 - 1;
      await expect(keys.authenticate(key)).resolves.toMatchObject({ name: 'temp' });
      now = start + 90 * 86_400_000;
      await expect(keys.authenticate(key)).rejects.toMatchObject({
        code: 'api_key_expired',
        message: expect.stringContaining(
          `expired at ${new Date(start + 90 * 86_400_000).toISOString()}`,
        ),
      });
      // Without the secret nobody learns that the key exists or expired.
      await expect(keys.authenticate(`rsk_${info.id}_${'x'.repeat(43)}`)).rejects.toMatchObject({
        code: 'unauthorized',
      });
      await expect(
        keys.create({ name: 'past', role: 'viewer', expiresAt: now - 1 }, { actor: 'cli' }),
      ).rejects.toMatchObject({ code: 'validation_failed' });
      now = start;
    });

    it('rotates: new secret, same identity; the old one works through the grace period only', async () => {
      const keys = new ApiKeys(store, { now: () => now });
      const start = now;
      const { key: oldKey, info } = await keys.create(
        {
          name: 'meter',
          role: 'operator',
          scopes: ['usage:write'],
          expiresAt: start + 30 * 86_400_000,
        },
        { actor: 'cli' },
      );
      now = start + 10 * 86_400_000;
      const rotated = await keys.rotate(info.id, { graceMs: 3_600_000 }, { actor: 'root' });
      expect(rotated.key).not.toBe(oldKey);
      expect(ApiKeySecret.parse(rotated.key)!.id).toBe(info.id);
      expect(rotated.info).toMatchObject({
        id: info.id,
        name: 'meter',
        role: 'operator',
        scopes: ['usage:write'],
        rotatedAt: now,
        previousSecretExpiresAt: now + 3_600_000,
        // The key's 30-day lifetime starts again at the rotation.
        expiresAt: now + 30 * 86_400_000,
      });
      const same = { keyId: info.id, name: 'meter', role: 'operator', scopes: ['usage:write'] };
      await expect(keys.authenticate(rotated.key)).resolves.toEqual(same);
      await expect(keys.authenticate(oldKey)).resolves.toEqual(same);
      now += 3_600_000;
      await expect(keys.authenticate(oldKey)).rejects.toMatchObject({
        code: 'api_key_expired',
        message: expect.stringContaining('replaced by a rotation'),
      });
      await expect(keys.authenticate(rotated.key)).resolves.toEqual(same);

      // A second rotation drops the first old secret; grace 0 ends the replaced one at once.
      const again = await keys.rotate(info.id, { graceMs: 0, expiresAt: null }, { actor: 'root' });
      expect(again.info.expiresAt).toBeNull();
      await expect(keys.authenticate(rotated.key)).rejects.toMatchObject({
        code: 'api_key_expired',
      });
      await expect(keys.authenticate(oldKey)).rejects.toMatchObject({ code: 'unauthorized' });
      await expect(keys.authenticate(again.key)).resolves.toEqual(same);

      const audit = await store.audit.list(store.db, { targetType: 'api_key' });
      expect(audit.map((a) => a.action)).toEqual([
        'api_key.rotate',
        'api_key.rotate',
        'api_key.create',
      ]);
      expect(audit[1]!.details).toMatchObject({ graceMs: 3_600_000 });
      const text = JSON.stringify([audit, await store.apiKeys.get(store.db, info.id)]);
      for (const k of [oldKey, rotated.key, again.key]) {
        expect(text).not.toContain(ApiKeySecret.parse(k)!.secret);
      }

      await keys.revoke(info.id, { actor: 'root' });
      await expect(keys.authenticate(again.key)).rejects.toMatchObject({ code: 'unauthorized' });
      await expect(keys.rotate(info.id, {}, { actor: 'root' })).rejects.toMatchObject({
        code: 'conflict',
      });
      await expect(keys.rotate('nosuchkey', {}, { actor: 'root' })).rejects.toMatchObject({
        code: 'not_found',
      });
      now = start;
    });

    it('keeps scopes sorted and refuses malformed ones or unknown areas', async () => {
      const keys = new ApiKeys(store, { scopeAreas: ['usage', 'runs'] });
      const { info } = await keys.create(
        { name: 'ci', role: 'operator', scopes: ['usage:write', 'runs:read', 'usage:write'] },
        { actor: 'cli' },
      );
      expect(info.scopes).toEqual(['runs:read', 'usage:write']);
      expect((await store.apiKeys.get(store.db, info.id))?.scopes).toEqual([
        'runs:read',
        'usage:write',
      ]);
      for (const scopes of [['usage'], ['usage:delete'], ['billing:read'], []]) {
        await expect(
          keys.create({ name: 'bad', role: 'viewer', scopes }, { actor: 'cli' }),
        ).rejects.toMatchObject({ code: 'validation_failed' });
      }
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
