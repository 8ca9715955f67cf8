import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.ts';
import { defineFlow } from '../src/engine/flow.ts';
import { ApiKeys } from '../src/governance/api-keys.ts';
import { ValidationError } from '../src/model/revsync-error.ts';
import { openStore } from '../src/store/open-store.ts';

const BIN = new URL('../bin/revsync.js', import.meta.url).pathname;
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
    // A posting flow by name: the default policy protects skipping its runs.
    const flow = defineFlow<{ total: number; currency: string }>({
      name: 'invoice-to-erp',
      triggers: ['x.invoice'],
      async run(ctx) {
        return ctx.step('post', () => {
          throw new ValidationError('the ERP refused the invoice');
        });
      },
    });
    const engine = new Engine({ store, flows: [flow], logger: pino({ level: 'silent' }) });
    await engine.inbox.append({
      specversion: '1.0',
      id: 'e1',
      source: 's',
      type: 'x.invoice',
      entitykey: 'cus_1',
      data: { total: 990_00, currency: 'EUR' },
    });
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

  it('turns a skip of a posting run into a change request; refuses self-approval; a second approver executes it', () => {
    const [exc] = JSON.parse(revsync(['exceptions', 'list', '--json']).stdout) as { id: string }[];
    const asked = revsync([
      'exceptions',
      'skip',
      exc!.id,
      '--reason',
      'booked by hand',
      '--actor',
      'bob',
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
});
