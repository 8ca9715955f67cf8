import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.ts';
import { ApiKeys } from '../src/governance/api-keys.ts';
import { openStore } from '../src/store/open-store.ts';
import { refusedPostingFlow } from './support/refused-posting.ts';

const BIN = new URL('../bin/revsync.js', import.meta.url).pathname;
const DEMO_CONFIG = new URL('../examples/demo.config.ts', import.meta.url).pathname;
/** The demo config's credentials (read from the environment; any value loads it). */
const DEMO_ENV = Object.fromEntries(
  [
    'SALESFORCE_CLIENT_ID',
    'SALESFORCE_CLIENT_SECRET',
    'STRIPE_API_KEY',
    'STRIPE_WEBHOOK_SECRET',
    'NETSUITE_CONSUMER_KEY',
    'NETSUITE_CONSUMER_SECRET',
    'NETSUITE_TOKEN_ID',
    'NETSUITE_TOKEN_SECRET',
  ].map((name) => [name, 'x']),
);
const dir = mkdtempSync(join(tmpdir(), 'revsync-cli-approvals-'));
const storeUrl = `sqlite:${join(dir, 'approvals.db')}`;

function revsync(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args, '--store', storeUrl], {
    encoding: 'utf8',
    cwd: dir,
    env: { ...process.env, REVSYNC_API_KEY: '', ...env },
  });
}

describe('revsync approvals', () => {
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    const store = await openStore({ url: storeUrl });
    const flow = refusedPostingFlow();
    const engine = new Engine({ store, flows: [flow], logger: pino({ level: 'silent' }) });
    for (const [id, entitykey] of [
      ['e1', 'cus_1'],
      ['e2', 'cus_2'],
    ]) {
      await engine.inbox.append({
        specversion: '1.0',
        id: id!,
        source: 's',
        type: 'x.invoice',
        entitykey: entitykey!,
        data: { total: 990_00, currency: 'EUR' },
      });
    }
    await engine.runUntilIdle();
    const apiKeys = new ApiKeys(store);
    for (const [name, role] of [
      ['bob', 'approver'],
      ['carol', 'approver'],
      ['olga', 'operator'],
    ] as const) {
      keys[name] = (await apiKeys.create({ name, role }, { actor: 'test' })).key;
    }
    await store.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const openExceptions = () =>
    (
      JSON.parse(revsync(['exceptions', 'list', '--json']).stdout) as {
        id: string;
        entityKey: string;
      }[]
    ).sort((a, b) => a.entityKey.localeCompare(b.entityKey));

  it('refuses a protected action asked with only a claimed --actor: nothing is requested or skipped', () => {
    const [exc] = openExceptions();
    const claimed = revsync(['exceptions', 'skip', exc!.id, '--reason', 'x', '--actor', 'alice']);
    expect(claimed.status).toBe(1);
    expect(claimed.stderr).toContain('API key');
    expect(JSON.parse(revsync(['approvals', 'list', '--status', 'all', '--json']).stdout)).toEqual(
      [],
    );
    expect(openExceptions()).toHaveLength(2);
  });

  it('turns a skip of a posting run into a change request; refuses self-approval; a second approver executes it', () => {
    const [exc] = openExceptions();
    const asked = revsync([
      'exceptions',
      'skip',
      exc!.id,
      '--reason',
      'booked by hand',
      '--key',
      keys.bob!,
      '--json',
    ]);
    expect(asked.status, asked.stderr).toBe(0);
    const request = JSON.parse(asked.stdout) as { id: string; status: string; action: string };
    expect(request).toMatchObject({ status: 'pending', action: 'exception.skip' });
    expect(
      (JSON.parse(revsync(['exceptions', 'show', exc!.id, '--json']).stdout) as { status: string })
        .status,
    ).toBe('open');

    const listed = revsync(['approvals', 'list']);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(request.id);
    expect(listed.stdout).toContain('99000 EUR');
    const shown = revsync(['approvals', 'show', request.id]);
    expect(shown.stdout).toContain('$.status: "open" → "skipped"');

    // No key, an operator's key, the requester's own key: all refused, nothing executes.
    const noKey = revsync(['approvals', 'approve', request.id]);
    expect(noKey.status).toBe(1);
    expect(noKey.stderr).toContain('--key');
    const operator = revsync(['approvals', 'approve', request.id, '--key', keys.olga!]);
    expect(operator.status).toBe(1);
    expect(operator.stderr).toContain('approver role');
    const self = revsync(['approvals', 'approve', request.id, '--json'], {
      REVSYNC_API_KEY: keys.bob!,
    });
    expect(self.status).toBe(1);
    expect(JSON.parse(self.stdout)).toMatchObject({ error: { code: 'forbidden' } });

    const approved = revsync(['approvals', 'approve', request.id, '--key', keys.carol!]);
    expect(approved.status, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`${request.id} approved by carol: executed`);
    expect(
      (JSON.parse(revsync(['exceptions', 'show', exc!.id, '--json']).stdout) as { status: string })
        .status,
    ).toBe('skipped');
    expect(
      revsync(['approvals', 'reject', request.id, '--key', keys.carol!, '--reason', 'x']).status,
    ).toBe(1);
    expect(revsync(['approvals', 'list', '--status', 'all', '--json']).stdout).toContain(
      'executed',
    );
  });

  it('applies the approval policy of --config: below its skip threshold the skip runs at once', async () => {
    const config = join(dir, 'revsync.config.mjs');
    writeFileSync(
      config,
      `import demo from ${JSON.stringify(DEMO_CONFIG)};\n` +
        `export default { ...demo, approvals: { actions: { 'exception.skip': { minAmount: 1000000 } } } };\n`,
    );
    const [exc] = openExceptions();
    expect(exc!.entityKey).toBe('cus_2');
    const skipped = revsync(
      ['exceptions', 'skip', exc!.id, '--reason', 'small', '--config', config, '--key', keys.olga!],
      DEMO_ENV,
    );
    expect(skipped.status, skipped.stderr).toBe(0);
    expect(skipped.stdout).toContain(`skipped ${exc!.id}`);
    // The key's name, not a claimed --actor, is who skipped it.
    const store = await openStore({ url: storeUrl });
    const entries = await store.audit.list(store.db, { targetId: exc!.id });
    await store.close();
    expect(entries.map((e) => [e.action, e.actor])).toContainEqual(['exception.skip', 'olga']);
  });
});
