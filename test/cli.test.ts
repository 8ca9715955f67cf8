import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../src/api/create-api-server.ts';
import { Engine } from '../src/engine/engine.ts';
import { openStore } from '../src/store/open-store.ts';

const BIN = new URL('../bin/revsync.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'revsync-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function revsync(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: dir,
    env: { ...process.env, REVSYNC_STORE_URL: `sqlite:${join(dir, 'r.db')}` },
  });
}

describe('revsync CLI', () => {
  it('exports a valid JSON Schema per canonical entity and for the event envelope', () => {
    const out = join(dir, 'schemas');
    const result = revsync('schema', 'export', '--out', out, '--json');
    expect(result.status, result.stderr).toBe(0);
    const paths = JSON.parse(result.stdout) as string[];
    const files = readdirSync(out).sort();
    expect(files).toContain('customer.v1.json');
    expect(files).toContain('invoice.v1.json');
    expect(files).toContain('journal_entry.v1.json');
    expect(paths).toHaveLength(files.length);
    const ajv = new Ajv2020({ strict: false });
    for (const f of files) {
      const schema = JSON.parse(readFileSync(join(out, f), 'utf8')) as object;
      expect(ajv.validateSchema(schema), f).toBe(true);
    }
  });

  it('reports store status as JSON', () => {
    const result = revsync('status', '--json');
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ inbox: {}, runs: {}, openExceptions: 0 });
  });

  it('exits 2 with a hint on an unknown command, and explains a bad store url', () => {
    const unknown = revsync('frobnicate');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const bad = revsync('status', '--store', 'mysql://x');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('use sqlite:PATH or postgres://');
  });

  it('emulate starts the three emulators on the ports asked for and stops cleanly on SIGINT', async () => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        'emulate',
        'stripe',
        'salesforce',
        'netsuite',
        '--stripe-port',
        '0',
        '--salesforce-port',
        '0',
        '--netsuite-port',
        '0',
      ],
      { cwd: dir },
    );
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => out.includes('emulators running') && resolve());
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const urls = [...out.matchAll(/^(\w+)\s+(http:\/\/127\.0\.0\.1:\d+)/gm)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(urls.map(([name]) => name)).toEqual(['stripe', 'salesforce', 'netsuite']);
    for (const [, url] of urls) {
      const res = await fetch(`${url}/_emulator/health`);
      expect(res.status).toBe(200);
    }
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('creates an API key once (keys create), which then authenticates against the API', async () => {
    const created = revsync('keys', 'create', '--role', 'admin', '--name', 'first-admin', '--json');
    expect(created.status, created.stderr).toBe(0);
    const { key, name, role } = JSON.parse(created.stdout) as Record<string, string>;
    expect({ name, role }).toEqual({ name: 'first-admin', role: 'admin' });
    expect(key).toMatch(/^rsk_[a-z0-9]+_[A-Za-z0-9_-]+$/);

    const again = revsync('keys', 'create', '--role', 'viewer', '--name', 'first-admin');
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already exists');
    const badRole = revsync('keys', 'create', '--role', 'root', '--name', 'x');
    expect(badRole.status).toBe(2);

    const listed = revsync('keys', 'list', '--json');
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ name: 'first-admin', role: 'admin' }),
    ]);
    expect(listed.stdout).not.toContain(key!.replace(/^rsk_[a-z0-9]+_/, ''));

    const store = await openStore({ url: `sqlite:${join(dir, 'r.db')}` });
    const engine = new Engine({ store, logger: pino({ level: 'silent' }) });
    const app = await createApiServer({ store, engine }, { processMetrics: false });
    try {
      const res = await app.inject({
        url: '/v1/keys',
        headers: { authorization: `Bearer ${key}` },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().keys).toEqual([expect.objectContaining({ name: 'first-admin' })]);
      const id = key!.split('_')[1]!;
      expect(revsync('keys', 'revoke', id).status).toBe(0);
      const refused = await app.inject({
        url: '/v1/keys',
        headers: { authorization: `Bearer ${key}` },
      });
      expect(refused.statusCode).toBe(401);
    } finally {
      await app.close();
      await store.close();
    }
  });

  it('start --config names every mistake in a configuration and exits 2 before starting anything', () => {
    const file = join(dir, 'broken.config.mjs');
    writeFileSync(
      file,
      `export default ${JSON.stringify({
        connections: { billing: { system: 'stripe', apiKey: 'sk_live_inline' } },
        regions: { NA: { subsidiary: '1', currency: 'usd' } },
        defaultRegion: 'EU',
        flows: { quoteToCsh: true },
      })};`,
    );
    const result = revsync('start', '--config', file);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'connections.billing.apiKey: secrets must not be written in the configuration',
    );
    expect(result.stderr).toContain('regions.NA.currency: an ISO 4217 code such as "EUR"');
    expect(result.stderr).toContain('flows: unknown setting "quoteToCsh"');
    const missing = revsync('start', '--config', join(dir, 'nope.config.ts'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('no such file');
  });

  it('start --config refuses the old connection shape (keyed by vendor) and shows the new one', () => {
    const file = join(dir, 'old-shape.config.mjs');
    writeFileSync(
      file,
      `export default ${JSON.stringify({
        connections: { salesforce: { loginUrl: 'http://127.0.0.1:1' }, stripe: {} },
      })};`,
    );
    const result = revsync('start', '--config', file);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('connections are keyed by role, not by system');
    expect(result.stderr).toContain("crm: { system: 'salesforce'");
    expect(result.stderr).toContain("billing: { system: 'stripe'");
  });
});
