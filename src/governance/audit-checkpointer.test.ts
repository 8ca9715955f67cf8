import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore } from '../../test/support/stores.ts';
import { ManualClock } from '../engine/clock.ts';
import type { Store } from '../store/store.ts';
import { AuditCheckpointer } from './audit-checkpointer.ts';
import { parseOutsideEvidence } from './audit-files.ts';
import {
  checkpointSignatureProblem,
  parseAuditPublicKey,
  parseAuditSigningKey,
  signCheckpoint,
} from './audit-signing.ts';

function newKey() {
  const { privateKey } = generateKeyPairSync('ed25519');
  return parseAuditSigningKey(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
}

describe('audit checkpoint signatures', () => {
  it('verify with the signer’s key, and fail when altered or signed by another key', () => {
    const key = newKey();
    const cp = signCheckpoint(key, { seq: 3, hash: 'a'.repeat(64), at: 1 });
    expect(checkpointSignatureProblem(cp)).toBeUndefined();
    expect(checkpointSignatureProblem(cp, key.publicKey)).toBeUndefined();
    expect(checkpointSignatureProblem({ ...cp, seq: 4 })).toMatch(/signature does not match/);
    const other = newKey();
    expect(checkpointSignatureProblem(cp, other.publicKey)).toMatch(/not by the trusted key/);
    // A forger's checkpoint, signed with their own key, passes only when no key is pinned.
    const forged = signCheckpoint(other, { seq: 3, hash: 'b'.repeat(64), at: 1 });
    expect(checkpointSignatureProblem(forged)).toBeUndefined();
    expect(checkpointSignatureProblem(forged, key.publicKey)).toMatch(/not by the trusted key/);
  });

  it('reads keys as PEM or base64 DER and refuses other kinds', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const der = privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    expect(parseAuditSigningKey(der).keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(
      parseAuditPublicKey(publicKey.export({ format: 'pem', type: 'spki' }).toString()).type,
    ).toBe('public');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() =>
      parseAuditSigningKey(rsa.export({ format: 'pem', type: 'pkcs8' }).toString()),
    ).toThrow(/expected Ed25519/);
    expect(() => parseAuditSigningKey('hello')).toThrow(/not a private key/);
  });
});

for (const dialect of DIALECTS) {
  describe(`audit checkpointer [${dialect}]`, () => {
    let store: Store & { dispose(): Promise<void> };
    const dir = mkdtempSync(join(tmpdir(), 'revsync-cp-'));
    beforeAll(async () => {
      store = await openTestStore(dialect);
    });
    afterAll(async () => {
      await store.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    const append = async (n: number) => {
      for (let i = 0; i < n; i += 1) {
        await store.audit.record(store.db, {
          at: 1,
          actor: 'ann',
          action: 'x',
          targetType: 't',
          targetId: String(i),
          details: { i },
        });
      }
    };

    it('writes a checkpoint every N entries or M minutes, and a file per checkpoint', async () => {
      const clock = new ManualClock();
      const key = newKey();
      const checkpointer = new AuditCheckpointer({
        store,
        key,
        every: { entries: 5, minutes: 10 },
        clock,
        dir,
      });
      expect(await checkpointer.tick()).toBeUndefined(); // nothing to checkpoint
      await append(4);
      expect(await checkpointer.tick()).toBeUndefined(); // 4 < 5 entries, 0 < 10 minutes
      await append(1);
      const first = await checkpointer.tick();
      expect(first).toMatchObject({ seq: 5, keyId: key.keyId });
      expect(first?.hash).toBe((await store.audit.head(store.db))?.hash);
      await append(1);
      clock.advance(9 * 60_000);
      expect(await checkpointer.tick()).toBeUndefined();
      clock.advance(60_000);
      expect(await checkpointer.tick()).toMatchObject({ seq: 6 });
      clock.advance(60 * 60_000);
      expect(await checkpointer.tick()).toBeUndefined(); // no new entries, no new checkpoint
      const stored = await store.auditCheckpoints.list(store.db);
      expect(stored.map((c) => c.seq)).toEqual([5, 6]);
      for (const c of stored) expect(checkpointSignatureProblem(c, key.publicKey)).toBeUndefined();
      const file = parseOutsideEvidence(readFileSync(join(dir, 'checkpoint-6.json'), 'utf8'));
      expect(file.checkpoint).toEqual(stored[1]);
    });

    it('refuses to sign a chain that does not verify', async () => {
      const checkpointer = new AuditCheckpointer({ store, key: newKey() });
      await append(2);
      await store.db
        .updateTable('audit_log')
        .set({ actor: 'mallory' })
        .where('seq', '=', 7)
        .execute();
      await expect(checkpointer.checkpoint()).rejects.toThrow(/seq 7 .* was edited/);
    });

    it('does not start verifying from a checkpoint signed by another key', async () => {
      // Seq 7 is still edited (above); a forger checkpoints the head with a key of their own.
      const head = (await store.audit.head(store.db))!;
      await store.auditCheckpoints.insert(store.db, signCheckpoint(newKey(), { ...head, at: 1 }));
      await append(1);
      const checkpointer = new AuditCheckpointer({ store, key: newKey() });
      await expect(checkpointer.checkpoint()).rejects.toThrow(/seq 7 .* was edited/);
    });
  });
}
