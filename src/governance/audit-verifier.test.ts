import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore } from '../../test/support/stores.ts';
import { auditEntryHash } from '../store/audit-chain.ts';
import type { Store } from '../store/store.ts';
import { AuditCheckpointer } from './audit-checkpointer.ts';
import { parseOutsideEvidence } from './audit-files.ts';
import { parseAuditSigningKey, signCheckpoint } from './audit-signing.ts';
import { exportAuditPeriod, verifyAuditExport, verifyStoredAuditTrail } from './audit-trail.ts';
import { verifyAuditTrail } from './audit-verifier.ts';
import type { AuditRecord } from '../store/audit-repository.ts';

const AT = Date.UTC(2026, 10, 3);

function newKey() {
  const { privateKey } = generateKeyPairSync('ed25519');
  return parseAuditSigningKey(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
}

/** A chain of n entries built in memory. */
function chainOf(n: number, actorAt: (seq: number) => string = (seq) => `u${seq}`): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = '0'.repeat(64);
  for (let seq = 1; seq <= n; seq += 1) {
    const fields = {
      seq,
      at: AT + seq,
      actor: actorAt(seq),
      action: 'x',
      targetType: 't',
      targetId: String(seq),
      details: {},
    };
    const hash = auditEntryHash(fields, prev);
    out.push({ id: seq, ...fields, prevHash: prev, hash });
    prev = hash;
  }
  return out;
}

describe('audit verify, in memory', () => {
  it('narrows a rewrite down to the span between the last checkpoint that holds and the first that does not', () => {
    const key = newKey();
    const original = chainOf(6);
    const cp = (seq: number, signer = key) =>
      signCheckpoint(signer, { seq, hash: original[seq - 1]!.hash, at: AT });
    const rewritten = chainOf(6, (seq) => (seq === 5 ? 'mallory' : `u${seq}`));
    const forgedAt4 = { ...cp(4), signature: cp(2).signature };
    const report = verifyAuditTrail({
      entries: rewritten,
      checkpoints: [cp(3), forgedAt4, cp(6)],
      trustedKey: key.publicKey,
    });
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'rewritten', seq: 4 }),
      expect.objectContaining({ kind: 'bad_checkpoint', seq: 4 }),
    ]);
    expect(report.checkpoints.map((c) => c.ok)).toEqual([true, false, false]);
  });
});

for (const dialect of DIALECTS) {
  describe(`audit verify [${dialect}]`, () => {
    let store: Store & { dispose(): Promise<void> };
    const key = newKey();

    beforeEach(async () => {
      store = await openTestStore(dialect);
      for (let i = 1; i <= 6; i += 1) {
        await store.audit.record(store.db, {
          at: AT + i,
          actor: `user${i}`,
          action: 'exception.skip',
          targetType: 'exception',
          targetId: `exc_${i}`,
          details: { amount: 100 * i, currency: 'EUR' },
        });
      }
    });
    afterEach(async () => store.dispose());

    const verify = (options: Parameters<typeof verifyStoredAuditTrail>[1] = {}) =>
      verifyStoredAuditTrail(store, options);
    const idAt = async (seq: number) => (await store.audit.atSeq(store.db, seq))!.id;

    /** Moves an entry to another position (the unique index on seq wants a detour). */
    const setSeq = (id: number, seq: number) =>
      store.db.updateTable('audit_log').set({ seq }).where('id', '=', id).execute();

    /** What an attacker who knows the algorithm does: recompute every hash from a position on. */
    const rehashFrom = async (seq: number) => {
      const chain = await store.audit.chain(store.db);
      let prev = chain.find((e) => e.seq === seq - 1)?.hash ?? '0'.repeat(64);
      for (const e of chain.filter((x) => x.seq >= seq)) {
        const hash = auditEntryHash(e, prev);
        await store.db
          .updateTable('audit_log')
          .set({ prev_hash: prev, hash })
          .where('id', '=', e.id)
          .execute();
        prev = hash;
      }
      await store.db.updateTable('audit_chain_head').set({ hash: prev }).execute();
    };

    it('an untouched store verifies, with its checkpoints', async () => {
      await new AuditCheckpointer({ store, key }).checkpoint();
      const report = await verify({ trustedKey: key.publicKey });
      expect(report).toMatchObject({
        ok: true,
        entries: 6,
        verifiedThrough: 6,
        problems: [],
        keyPinned: true,
      });
      expect(report.checkpoints).toEqual([
        expect.objectContaining({ source: 'store', seq: 6, ok: true }),
      ]);
    });

    it('names an edited entry', async () => {
      const id = await idAt(3);
      await store.db
        .updateTable('audit_log')
        .set({ details: JSON.stringify({ amount: 1, currency: 'EUR' }) })
        .where('id', '=', id)
        .execute();
      const report = await verify();
      expect(report.ok).toBe(false);
      expect(report.firstProblem).toMatchObject({ kind: 'edited', seq: 3, id });
      expect(report.verifiedThrough).toBe(2);
    });

    it('names an edited entry whose own hash was recomputed', async () => {
      const id = await idAt(4);
      await store.db
        .updateTable('audit_log')
        .set({ actor: 'mallory' })
        .where('id', '=', id)
        .execute();
      const e = (await store.audit.atSeq(store.db, 4))!;
      await store.db
        .updateTable('audit_log')
        .set({ hash: auditEntryHash(e, e.prevHash) })
        .where('id', '=', id)
        .execute();
      expect((await verify()).firstProblem).toMatchObject({ kind: 'edited', seq: 4, id });
    });

    it('names a deleted entry', async () => {
      await store.db.deleteFrom('audit_log').where('seq', '=', 3).execute();
      expect((await verify()).firstProblem).toMatchObject({ kind: 'deleted', seq: 3 });
    });

    it('names a deleted entry when the later ones were renumbered', async () => {
      await store.db.deleteFrom('audit_log').where('seq', '=', 3).execute();
      for (const seq of [4, 5, 6]) await setSeq(await idAt(seq), seq - 1);
      await store.db.updateTable('audit_chain_head').set({ seq: 5 }).execute();
      expect((await verify()).firstProblem).toMatchObject({ kind: 'deleted', seq: 3 });
    });

    it('names deleted entries at the end (against the chain head)', async () => {
      await store.db.deleteFrom('audit_log').where('seq', '>=', 5).execute();
      expect((await verify()).firstProblem).toMatchObject({ kind: 'deleted', seq: 5 });
    });

    it('names an inserted entry, even one forged with a valid hash and renumbering', async () => {
      for (const seq of [6, 5, 4, 3]) await setSeq(await idAt(seq), seq + 1);
      const before = (await store.audit.atSeq(store.db, 2))!;
      const forged = {
        seq: 3,
        at: AT + 3,
        actor: 'mallory',
        action: 'exception.skip',
        targetType: 'exception',
        targetId: 'exc_x',
        details: {},
      };
      const inserted = await store.db
        .insertInto('audit_log')
        .values({
          at: forged.at,
          actor: forged.actor,
          action: forged.action,
          target_type: forged.targetType,
          target_id: forged.targetId,
          details: '{}',
          seq: 3,
          prev_hash: before.hash,
          hash: auditEntryHash(forged, before.hash),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await store.db.updateTable('audit_chain_head').set({ seq: 7 }).execute();
      expect((await verify()).firstProblem).toMatchObject({
        kind: 'inserted',
        seq: 3,
        id: Number(inserted.id),
      });
    });

    it('names an entry appended behind revsync’s back', async () => {
      const inserted = await store.db
        .insertInto('audit_log')
        .values({
          at: AT,
          actor: 'mallory',
          action: 'x',
          target_type: 'x',
          target_id: 'x',
          details: '{}',
          seq: 7,
          prev_hash: 'f'.repeat(64),
          hash: 'e'.repeat(64),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      expect((await verify()).firstProblem).toMatchObject({
        kind: 'inserted',
        seq: 7,
        id: Number(inserted.id),
      });
    });

    it('names reordered entries', async () => {
      const [three, four] = [await idAt(3), await idAt(4)];
      await setSeq(three, -3);
      await setSeq(four, 3);
      await setSeq(three, 4);
      expect((await verify()).firstProblem).toMatchObject({ kind: 'reordered', seq: 3, id: four });
    });

    it('catches a rewrite of every hash after an edit with a checkpoint kept outside', async () => {
      const checkpoint = await new AuditCheckpointer({ store, key }).checkpoint();
      const exported = await exportAuditPeriod(store, '2026-11');
      expect(exported.entries).toHaveLength(6);
      expect(exported.checkpoint).toEqual(checkpoint);
      const checkpointFile = parseOutsideEvidence(
        JSON.stringify({ format: 'revsync.audit.checkpoint/1', checkpoint }),
      );
      const exportFile = parseOutsideEvidence(JSON.stringify(exported));

      await store.db
        .updateTable('audit_log')
        .set({ details: JSON.stringify({ amount: 1, currency: 'EUR' }) })
        .where('seq', '=', 3)
        .execute();
      await rehashFrom(3);
      // The stored checkpoint still catches it…
      expect((await verify()).firstProblem).toMatchObject({ kind: 'rewritten', seq: 1 });
      // …until the attacker deletes it too: the chain alone is consistent again.
      await store.db.deleteFrom('audit_checkpoints').execute();
      expect((await verify()).ok).toBe(true);
      // The checkpoint kept outside proves the rewrite; the export names the entry.
      const withCheckpoint = await verify({ outside: checkpointFile, trustedKey: key.publicKey });
      expect(withCheckpoint.ok).toBe(false);
      expect(withCheckpoint.problems).toEqual([
        expect.objectContaining({ kind: 'rewritten', seq: 1 }),
      ]);
      expect(withCheckpoint.checkpoints).toEqual([
        expect.objectContaining({ source: 'file', seq: 6, ok: false }),
      ]);
      const withExport = await verify({ outside: exportFile, trustedKey: key.publicKey });
      expect(withExport.firstProblem).toMatchObject({ kind: 'edited', seq: 3 });
      expect(withExport.problems).toContainEqual(
        expect.objectContaining({ kind: 'rewritten', seq: 1 }),
      );
    });

    it('checks an export on its own: its chain up to the signed checkpoint', async () => {
      await store.audit.record(store.db, {
        at: Date.UTC(2026, 11, 1),
        actor: 'next-month',
        action: 'x',
        targetType: 't',
        targetId: 'x',
        details: {},
      });
      await new AuditCheckpointer({ store, key }).checkpoint();
      const exported = await exportAuditPeriod(store, '2026-11', { trustedKey: key.publicKey });
      expect(exported.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(exported.linking.map((e) => e.seq)).toEqual([7]);
      expect(verifyAuditExport(exported, { trustedKey: key.publicKey })).toMatchObject({
        ok: true,
        verifiedThrough: 7,
      });
      const edited = structuredClone(exported);
      edited.entries[3]!.details = { amount: 1 };
      expect(verifyAuditExport(edited).firstProblem).toMatchObject({ kind: 'edited', seq: 4 });
      const rehashed = structuredClone(exported);
      rehashed.entries[3]!.actor = 'mallory';
      let prev = rehashed.entries[3]!.prevHash;
      for (const e of [...rehashed.entries.slice(3), ...rehashed.linking]) {
        e.prevHash = prev;
        e.hash = auditEntryHash(e, prev);
        prev = e.hash;
      }
      expect(verifyAuditExport(rehashed).firstProblem).toMatchObject({ kind: 'rewritten' });
      expect(verifyAuditExport({ ...exported, checkpoint: null }).ok).toBe(false);
      const forged = {
        ...exported,
        checkpoint: signCheckpoint(newKey(), { seq: 7, hash: prev, at: AT }),
      };
      expect(verifyAuditExport({ ...rehashed, checkpoint: forged.checkpoint }).ok).toBe(true);
      expect(
        verifyAuditExport(
          { ...rehashed, checkpoint: forged.checkpoint },
          { trustedKey: key.publicKey },
        ).firstProblem,
      ).toMatchObject({ kind: 'bad_checkpoint' });
    });

    it('refuses checkpoints re-signed with another key when the key is pinned', async () => {
      await store.db
        .updateTable('audit_log')
        .set({ actor: 'mallory' })
        .where('seq', '=', 2)
        .execute();
      await rehashFrom(2);
      const head = (await store.audit.head(store.db))!;
      const forger = newKey();
      await store.auditCheckpoints.insert(store.db, signCheckpoint(forger, { ...head, at: AT }));
      expect((await verify()).ok).toBe(true); // not pinned: the forger's key is as good as any
      const pinned = await verify({ trustedKey: key.publicKey });
      expect(pinned.firstProblem).toMatchObject({ kind: 'bad_checkpoint', seq: 6 });
    });
  });
}
