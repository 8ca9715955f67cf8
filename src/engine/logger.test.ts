import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

describe('logger', () => {
  it('writes JSON lines with secrets redacted by path', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'revsync-log-')), 'revsync.log');
    const log = createLogger({ level: 'info', file });
    log.info(
      {
        connection: { apiKey: 'sk_live_123', clientSecret: 'shh', name: 'stripe' },
        headers: { authorization: 'Bearer abc' },
      },
      'calling out',
    );
    await new Promise<void>((resolve) => log.flush(() => resolve()));
    await new Promise((r) => setTimeout(r, 50));
    const line = JSON.parse(readFileSync(file, 'utf8').trim().split('\n')[0]!) as Record<
      string,
      unknown
    >;
    expect(line).toMatchObject({
      msg: 'calling out',
      level: 30,
      connection: { apiKey: '[redacted]', clientSecret: '[redacted]', name: 'stripe' },
      headers: { authorization: '[redacted]' },
    });
    expect(JSON.stringify(line)).not.toContain('sk_live_123');
  });
});
