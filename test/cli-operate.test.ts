import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.ts';
import { defineFlow } from '../src/engine/flow.ts';
import { ValidationError } from '../src/model/revsync-error.ts';
import { openStore } from '../src/store/open-store.ts';

const BIN = new URL('../bin/revsync.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'revsync-cli-ops-'));
const storeUrl = `sqlite:${join(dir, 'ops.db')}`;

function revsync(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args, '--store', storeUrl], {
    encoding: 'utf8',
    cwd: dir,
  });
}

describe('revsync runs, exceptions and replay', () => {
  beforeAll(async () => {
    const store = await openStore({ url: storeUrl });
    const flow = defineFlow<{ n: number }>({
      name: 'post',
      triggers: ['x.post'],
      async run(ctx, input) {
        return ctx.step('post', () => {
          if (input.n % 2 === 1) throw new ValidationError(`odd ${input.n}`);
          return input.n;
        });
      },
    });
    const engine = new Engine({ store, flows: [flow], logger: pino({ level: 'silent' }) });
    for (const n of [1, 2, 3])
      await engine.inbox.append({
        specversion: '1.0',
        id: `e${n}`,
        source: 's',
        type: 'x.post',
        entitykey: `k${n}`,
        data: { n },
      });
    await engine.runUntilIdle();
    await store.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists runs and open exceptions, retries one, skips another with a reason, and replays', () => {
    const runs = revsync('runs', '--json');
    expect(runs.status, runs.stderr).toBe(0);
    expect((JSON.parse(runs.stdout) as { status: string }[]).map((r) => r.status).sort()).toEqual([
      'completed',
      'parked',
      'parked',
    ]);
    const parked = revsync('runs', '--status', 'parked');
    expect(parked.stdout).toContain('odd 1');

    const list = JSON.parse(revsync('exceptions', 'list', '--json').stdout) as {
      id: string;
      message: string;
    }[];
    expect(list.map((e) => e.message).sort()).toEqual(['odd 1', 'odd 3']);
    const [first, second] = list as unknown as [{ id: string }, { id: string }];

    const retried = revsync('exceptions', 'retry', first.id, '--actor', 'ops@example.com');
    expect(retried.status, retried.stderr).toBe(0);
    expect(retried.stdout).toContain(`retried ${first.id}`);
    expect(revsync('exceptions', 'retry', first.id).status).toBe(1); // no longer open

    expect(revsync('exceptions', 'skip', second.id).status).toBe(2); // --reason is required
    const skipped = revsync(
      'exceptions',
      'skip',
      second.id,
      '--reason',
      'posted by hand',
      '--json',
    );
    expect(JSON.parse(skipped.stdout)).toMatchObject({
      status: 'skipped',
      resolution: { reason: 'posted by hand' },
    });

    const done = (
      JSON.parse(revsync('runs', '--status', 'completed', '--json').stdout) as {
        id: string;
        entityKey: string;
      }[]
    )[0]!;
    const replay = revsync('replay', '--entity', done.entityKey, '--json');
    expect(replay.status, replay.stderr).toBe(0);
    expect(JSON.parse(replay.stdout)).toEqual([
      expect.objectContaining({ replayOf: done.id, flow: 'post' }),
    ]);
    expect(revsync('replay').status).toBe(2);
    expect(JSON.parse(revsync('exceptions', 'list', '--json').stdout)).toEqual([]);
  });
});
