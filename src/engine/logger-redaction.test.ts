import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { RetryableError } from '../model/revsync-error.ts';
import { redactSecrets } from '../model/secret-redaction.ts';

const KEY = 'rsk_demoadmin_revsync-demo-admin-key-0001';

describe('redactSecrets', () => {
  it('masks API keys, Bearer/Basic credentials and secret query parameters in text', () => {
    expect(redactSecrets(`GET /v1/${KEY}`)).toBe('GET /v1/rsk_demoadmin_[redacted]');
    expect(redactSecrets('/v1/runs?api_key=abc123&limit=5')).toBe(
      '/v1/runs?api_key=[redacted]&limit=5',
    );
    expect(redactSecrets('/cb?code=xyz&state=1&client_secret=s3cr3t')).toBe(
      '/cb?code=[redacted]&state=1&client_secret=[redacted]',
    );
    expect(redactSecrets('sent Authorization: Bearer sk_test_0123456789abcdef')).toBe(
      'sent Authorization: Bearer [redacted]',
    );
    expect(redactSecrets('Basic dXNlcjpwYXNzd29yZA==')).toBe('Basic [redacted]');
    expect(redactSecrets('nothing secret here: 42 invoices')).toBe(
      'nothing secret here: 42 invoices',
    );
  });

  it('masks them in serialized errors (stored exceptions, run errors, API bodies)', () => {
    const error = new RetryableError(`GET /v1/x?access_token=tok-123456789 failed: ${KEY}`);
    expect(error.toJSON().message).toBe(
      'GET /v1/x?access_token=[redacted] failed: rsk_demoadmin_[redacted]',
    );
  });

  it('keeps secrets out of messages, error messages and credential fields of log lines', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ level: 'info', destination: sink });
    log.info(`key ${KEY} used`);
    log.error({ err: new Error(`vendor said: bad header Bearer abcdefghijklmnop`) }, 'failed');
    log.info({ connection: { clientSecret: 'cs-very-secret', tokenSecret: 'ts-very-secret' } });
    const text = lines.join('');
    for (const secret of ['revsync-demo-admin-key-0001', 'abcdefghijklmnop', 'very-secret']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('rsk_demoadmin_[redacted]');
  });
});
