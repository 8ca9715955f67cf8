import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { file } from '../../src/config/define-config.ts';
import { createLogger } from '../../src/engine/logger.ts';
import { ApiKeySecret } from '../../src/governance/api-key-secret.ts';
import { DEMO_KEYS, startDemo, type RunningDemo } from '../../src/sim/demo.ts';
import type { Stack } from '../../src/sim/environment.ts';
import { freePort } from '../support/browser-demo.ts';

/**
 * Secrets never reach a log line or an API response. A real `revsync demo` (emulators with heavy
 * faults plus extra 4xx/5xx answers, steady traffic, the API with request logging, signed audit
 * checkpoints) runs with known secrets: the connectors' credentials and webhook signing secrets,
 * the API keys (configured, created, rotated), the audit signing key. Every log line (the
 * logger's sink at trace level, and anything written to stdout/stderr) and the bodies of the
 * API's answers — runs, exceptions, events, connections, systems, audit, errors — are searched
 * for each secret as written, base64, base64url, URL-encoded and JSON-escaped.
 */

const STACKS: Partial<Stack>[] = [{}, { crm: 'hubspot', billing: 'chargebee', erp: 'quickbooks' }];

/** The forms a secret may leak in. */
function formsOf(secret: string): string[] {
  const forms = new Set([
    secret,
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64').replace(/=+$/, ''),
    Buffer.from(secret).toString('base64url'),
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
  ]);
  return [...forms].filter((f) => f.length >= 8);
}

const dir = mkdtempSync(join(tmpdir(), 'revsync-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const stack of STACKS) {
  const name = Object.values({ crm: 'salesforce', billing: 'stripe', erp: 'netsuite', ...stack });
  describe(`secrets never logged [${name.join(' + ')}]`, () => {
    it('keeps every secret out of the logs and the API answers of a faulted demo', async () => {
      const logLines: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
          done();
        },
      });
      const printed: string[] = [];
      const restore = captureStdio(printed);

      const { privateKey } = generateKeyPairSync('ed25519');
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const pemFile = join(dir, `audit-${name.join('-')}.pem`);
      writeFileSync(pemFile, pem);

      const responses: { what: string; body: string }[] = [];
      const secrets = new Map<string, string>();
      let demo: RunningDemo | undefined;
      const sse = new AbortController();
      try {
        demo = await startDemo({
          port: await freePort(),
          storeUrl: `sqlite:${join(dir, `demo-${name.join('-')}.db`)}`,
          seed: 11,
          faults: 'heavy',
          traffic: true,
          trafficTickMs: 150,
          anyPorts: true,
          stack,
          // The logger `revsync demo` makes, at its most talkative, on a sink the test reads.
          logger: createLogger({ level: 'trace', destination: sink }),
          api: { requestLogging: true },
          configure: (config) => ({
            ...config,
            audit: { signingKey: file(pemFile), checkpointEvery: { entries: 25 } },
          }),
        });
        const base = demo.url.replace(/\/$/, '');

        for (const role of ['crm', 'billing', 'erp'] as const) {
          for (const [key, value] of Object.entries(demo.env.systems[role].env)) {
            if (/SECRET|KEY|TOKEN|PASSWORD|VERIFIER/.test(key) && value.length >= 8) {
              secrets.set(`${role} ${key}`, value);
            }
          }
        }
        for (const k of DEMO_KEYS)
          secrets.set(`API key ${k.name}`, ApiKeySecret.parse(k.key)!.secret);
        for (const line of pem.split('\n').filter((l) => l && !l.startsWith('-----'))) {
          secrets.set('audit signing key (PEM body)', line);
        }
        const der = privateKey.export({ format: 'der', type: 'pkcs8' });
        secrets.set('audit signing key (raw)', der.subarray(der.length - 32).toString('base64'));

        // Heavier faults on top of the preset: the vendors answer 4xx and 5xx now and then.
        for (const role of ['crm', 'billing', 'erp'] as const) {
          const url = `${demo.systems[role].url.replace(/\/$/, '')}/_emulator/faults`;
          const current = (await (await fetch(url)).json()) as { rules?: unknown[] };
          const rules = [
            ...(current.rules ?? []),
            { match: '*', error: { p: 0.08, statuses: [400, 401, 403, 404, 409, 429, 500, 503] } },
          ];
          const put = await fetch(url, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ ...current, rules }),
          });
          expect(put.status, `faults of ${role}`).toBeLessThan(300);
        }

        const admin = DEMO_KEYS.find((k) => k.role === 'admin')!.key;
        const call = async (what: string, path: string, init: RequestInit = {}, key = admin) => {
          const res = await fetch(`${base}${path}`, {
            ...init,
            headers: {
              authorization: `Bearer ${key}`,
              ...(init.body !== undefined && { 'content-type': 'application/json' }),
              ...(init.headers as Record<string, string> | undefined),
            },
          });
          const body = await res.text();
          responses.push({ what: `${what} (${res.status})`, body });
          return { status: res.status, body };
        };

        // Live events for the whole run.
        const events = fetch(`${base}/v1/events`, {
          headers: { authorization: `Bearer ${admin}` },
          signal: sse.signal,
        }).then(async (res) => {
          const reader = res.body!.getReader();
          let text = '';
          try {
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              text += Buffer.from(value).toString('utf8');
            }
          } catch {
            // aborted at the end of the test
          }
          responses.push({ what: 'GET /v1/events (stream)', body: text });
        });

        // Keys: created with scopes and expiry, rotated; each secret is a secret to look for.
        const created = JSON.parse(
          (
            await call('POST /v1/keys', '/v1/keys', {
              method: 'POST',
              body: JSON.stringify({
                name: 'metering',
                role: 'operator',
                scopes: ['usage:write'],
                expiresIn: '1d',
              }),
            })
          ).body,
        ) as { key: string; apiKey: { id: string } };
        const rotated = JSON.parse(
          (
            await call('POST /v1/keys/:id/rotate', `/v1/keys/${created.apiKey.id}/rotate`, {
              method: 'POST',
              body: JSON.stringify({ grace: '0' }),
            })
          ).body,
        ) as { key: string };
        // Those two answers carry the keys by design (shown once); they are not searched.
        responses.splice(-2, 2);
        secrets.set('created API key', ApiKeySecret.parse(created.key)!.secret);
        secrets.set('rotated API key', ApiKeySecret.parse(rotated.key)!.secret);

        // Error paths, with secrets in the requests.
        await call('replaced key', '/v1/runs', {}, created.key);
        await call('scoped key outside its scopes', '/v1/runs', {}, rotated.key);
        await call(
          'scoped key, bad body',
          '/v1/usage',
          { method: 'POST', body: '{"records": [{"quantity": "x"}]}' },
          rotated.key,
        );
        await call('wrong secret', '/v1/runs', {}, `rsk_demoadmin_${'A'.repeat(40)}`);
        await call(
          'key in a query string',
          `/v1/runs?api_key=${encodeURIComponent(admin)}&limit=nope`,
        );
        await call('malformed JSON', '/v1/replay', {
          method: 'POST',
          body: `{"entityKey": "${admin}`,
        });
        await call('unknown route', `/v1/${encodeURIComponent(admin)}`);
        await call('X-Api-Key', '/v1/whoami', { headers: { 'x-api-key': admin } }, 'nothing');
        const billing = demo.systems.billing.system;
        const forged = await fetch(`${base}/webhooks/${billing}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'stripe-signature': `t=1,v1=${'0'.repeat(64)}`,
            authorization: `Basic ${Buffer.from(`${secrets.get('billing CHARGEBEE_WEBHOOK_PASSWORD') ?? 'x'}x:x`).toString('base64')}`,
          },
          body: JSON.stringify({ id: 'evt_forged', type: 'invoice.paid' }),
        });
        responses.push({ what: `forged webhook (${forged.status})`, body: await forged.text() });

        // Let the traffic run through the faults.
        await new Promise((r) => setTimeout(r, 12_000));

        const runs = JSON.parse((await call('GET /v1/runs', '/v1/runs?limit=200')).body) as {
          runs: { id: string; entityKey: string; status: string }[];
        };
        expect(runs.runs.length).toBeGreaterThan(0);
        for (const run of runs.runs.slice(0, 40)) {
          await call('GET /v1/runs/:id', `/v1/runs/${run.id}`);
        }
        const exceptions = JSON.parse(
          (await call('GET /v1/exceptions', '/v1/exceptions?limit=200')).body,
        ) as { exceptions?: { id: string }[] };
        for (const e of (exceptions.exceptions ?? []).slice(0, 40)) {
          await call('GET /v1/exceptions/:id', `/v1/exceptions/${e.id}`);
        }
        for (const run of runs.runs.slice(0, 10)) {
          await call('GET /v1/entities/:id', `/v1/entities/${encodeURIComponent(run.entityKey)}`);
        }
        for (const path of [
          '/v1/connections',
          '/v1/systems',
          '/v1/audit?limit=500',
          '/v1/keys?includeRevoked=true',
          '/v1/metrics/summary',
          '/metrics',
          '/v1/views',
          '/v1/health',
          '/v1/ready',
          '/v1/whoami',
        ]) {
          await call(`GET ${path}`, path);
        }
        sse.abort();
        await events;
      } finally {
        sse.abort();
        await demo?.stop();
        restore();
      }

      expect(secrets.size).toBeGreaterThanOrEqual(8);
      expect(logLines.length).toBeGreaterThan(50);
      // The faults showed: warnings or errors were logged.
      expect(logLines.some((l) => /"level":(40|50)/.test(l))).toBe(true);

      const leaks: string[] = [];
      const places = [
        ...logLines.map((text, i) => ({ where: `log line ${i}`, text })),
        ...printed.map((text, i) => ({ where: `stdout/stderr write ${i}`, text })),
        ...responses.map((r) => ({ where: `response to ${r.what}`, text: r.body })),
      ];
      for (const [what, secret] of secrets) {
        for (const form of formsOf(secret)) {
          for (const { where, text } of places) {
            const at = text.indexOf(form);
            if (at >= 0) {
              leaks.push(`${what} in ${where}: …${text.slice(Math.max(0, at - 120), at)}[SECRET]…`);
            }
          }
        }
      }
      expect(leaks.slice(0, 20)).toEqual([]);
    }, 240_000);
  });
}

/** Copies whatever is written to stdout and stderr into `into` (still writing it through). */
function captureStdio(into: string[]): () => void {
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write.bind(s));
  streams.forEach((stream, i) => {
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      into.push(
        typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'),
      );
      return (originals[i] as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
  });
  return () => {
    streams.forEach((stream, i) => {
      stream.write = originals[i] as typeof stream.write;
    });
  };
}
