import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/revsync.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'revsync-recon-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function revsync(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir });
}

// Exit 2 means "discrepancies" (recon) or "blocked" (close): a usage mistake must never look like one.
describe('recon run / close status exit codes for usage mistakes (a real process)', () => {
  it('a missing --config exits 1 with a clear message, not commander usage exit 2', () => {
    for (const args of [
      ['recon', 'run'],
      ['recon', 'run', '--repair'],
      ['close', 'status', '--period', '2026-01'],
    ]) {
      const result = revsync(...args);
      expect(result.status, `${args.join(' ')}: ${result.stderr}`).toBe(1);
      expect(result.stderr).toContain('--config <file> is required');
    }
  });

  it('a malformed --period exits 1 naming the value', () => {
    const result = revsync(
      'recon',
      'run',
      '--config',
      join(dir, 'none.ts'),
      '--period',
      '2026-13x',
    );
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toContain('--period must be YYYY-MM, got 2026-13x');
  });
});
