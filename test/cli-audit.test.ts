import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FLOW_NAMES } from '../src/config/define-config.ts';
import { auditEntryHash } from '../src/store/audit-chain.ts';
import { openStore } from '../src/store/open-store.ts';
import { createTestDatabase, DIALECTS } from './support/stores.ts';

const BIN = new URL('../bin/revsync.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'revsync-cli-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function revsync(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: dir,
    env: { ...process.env, REVSYNC_STORE_URL: 'sqlite:/nonexistent/unused.db' },
  });
}

/** A configuration with no connections (every flow off), the store and the audit key. */
function writeConfig(name: string, storeUrl: string): string {
  const key = join(dir, `${name}.pem`);
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(key, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
  const file = join(dir, `${name}.config.mjs`);
  const config = {
    store: { url: storeUrl },
    connections: {},
    flows: Object.fromEntries(FLOW_NAMES.map((f) => [f, false])),
    regions: { NA: { subsidiary: '1', currency: 'USD' } },
    defaultRegion: 'NA',
    audit: { signingKey: key },
  };
  writeFileSync(file, `export default ${JSON.stringify(config)};`);
  return file;
}

for (const dialect of DIALECTS) {
  describe(`revsync audit [${dialect}]`, () => {
    it('verifies, exports with a checkpoint, and exits 2 on tampering, 1 on an error', async () => {
      const database = await createTestDatabase(dialect);
      try {
        const store = await openStore({ url: database.url });
        for (let i = 1; i <= 5; i += 1) {
          await store.audit.record(store.db, {
            at: Date.UTC(2026, 10, i),
            actor: 'ann',
            action: 'run.replay',
            targetType: 'run',
            targetId: `run_${i}`,
            details: { i },
          });
        }
        const config = writeConfig(dialect, database.url);

        const clean = revsync('audit', 'verify', '--store', database.url, '--json');
        expect(clean.status, clean.stderr).toBe(0);
        expect(JSON.parse(clean.stdout)).toMatchObject({ ok: true, entries: 5 });

        const out = join(dir, `${dialect}-2026-11.json`);
        const exported = revsync(
          'audit',
          'export',
          '--config',
          config,
          '--period',
          '2026-11',
          '--out',
          out,
        );
        expect(exported.status, exported.stderr).toBe(0);
        expect(exported.stdout).toContain('wrote 5 entries of 2026-11');
        const file = JSON.parse(readFileSync(out, 'utf8')) as {
          entries: unknown[];
          checkpoint: { seq: number } | null;
        };
        expect(file.entries).toHaveLength(5);
        expect(file.checkpoint?.seq).toBe(5);
        expect(revsync('audit', 'verify-export', out).status).toBe(0);
        const editedCopy = join(dir, `${dialect}-edited.json`);
        writeFileSync(editedCopy, readFileSync(out, 'utf8').replace('"run_3"', '"run_9"'));
        const editedExport = revsync('audit', 'verify-export', editedCopy, '--json');
        expect(editedExport.status).toBe(2);
        expect(JSON.parse(editedExport.stdout)).toMatchObject({
          firstProblem: { kind: 'edited', seq: 3 },
        });
        const checkpointOut = join(dir, `${dialect}-checkpoint.json`);
        expect(
          revsync('audit', 'checkpoint', '--config', config, '--out', checkpointOut).status,
        ).toBe(0);

        // Edit entry 2 and rewrite every hash after it, the checkpoints deleted too.
        await store.db
          .updateTable('audit_log')
          .set({ actor: 'mallory' })
          .where('seq', '=', 2)
          .execute();
        let prev = (await store.audit.atSeq(store.db, 1))!.hash;
        for (const e of await store.audit.chain(store.db, { fromSeq: 2 })) {
          const hash = auditEntryHash(e, prev);
          await store.db
            .updateTable('audit_log')
            .set({ prev_hash: prev, hash })
            .where('id', '=', e.id)
            .execute();
          prev = hash;
        }
        await store.db.updateTable('audit_chain_head').set({ hash: prev }).execute();
        await store.db.deleteFrom('audit_checkpoints').execute();
        await store.close();

        expect(revsync('audit', 'verify', '--store', database.url).status).toBe(0);
        const caught = revsync(
          'audit',
          'verify',
          '--config',
          config,
          '--from-checkpoint',
          checkpointOut,
        );
        expect(caught.status, caught.stderr).toBe(2);
        expect(caught.stdout).toContain('audit trail TAMPERED');
        const named = revsync(
          'audit',
          'verify',
          '--store',
          database.url,
          '--from-checkpoint',
          out,
          '--json',
        );
        expect(named.status).toBe(2);
        expect(JSON.parse(named.stdout)).toMatchObject({
          ok: false,
          firstProblem: { kind: 'edited', seq: 2 },
        });

        writeFileSync(join(dir, 'garbage.json'), '{"format":"nope"}');
        const bad = revsync(
          'audit',
          'verify',
          '--store',
          database.url,
          '--from-checkpoint',
          join(dir, 'garbage.json'),
        );
        expect(bad.status).toBe(1);
        expect(bad.stderr).toContain('garbage.json: format is "nope"');
      } finally {
        await database.dispose();
      }
    });
  });
}

describe('revsync audit', () => {
  it('exits 2 on a plainly edited entry, naming it', async () => {
    const url = `sqlite:${join(dir, 'edited.db')}`;
    const store = await openStore({ url });
    for (const actor of ['a', 'b', 'c']) {
      await store.audit.record(store.db, {
        at: 1,
        actor,
        action: 'x',
        targetType: 't',
        targetId: actor,
        details: {},
      });
    }
    await store.db
      .updateTable('audit_log')
      .set({ target_id: 'zzz' })
      .where('seq', '=', 2)
      .execute();
    await store.close();
    const result = revsync('audit', 'verify', '--store', url);
    expect(result.status).toBe(2);
    expect(result.stdout).toContain('first bad entry at seq 2 (edited)');
  });

  it('exits 1 when the store cannot be read', () => {
    const result = revsync('audit', 'verify', '--store', 'mysql://x');
    expect(result.status).toBe(1);
  });
});
