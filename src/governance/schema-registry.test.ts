import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registrySchemas, type RegistrySchema } from '../model/schema-export.ts';
import { UpcasterRegistry, upcasters } from '../model/upcasters.ts';
import { bumpSchema, checkRegistry, readVersions } from './schema-registry.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const REPO_REGISTRY = join(ROOT, 'schemas');
const BIN = join(ROOT, 'bin/revsync.js');

function revsync(cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd });
}

/** The code's schemas with `name` replaced by a zod schema at `version`. */
function withSchema(name: string, schema: z.ZodType, version: number): RegistrySchema[] {
  return registrySchemas().map((g) =>
    g.name === name
      ? {
          ...g,
          version,
          schema: {
            ...z.toJSONSchema(schema, { target: 'draft-2020-12' }),
            $id: `https://revsync.dev/schemas/${name}/v${version}.json`,
          },
        }
      : g,
  );
}

describe('the repository registry', () => {
  it('passes `revsync schema check` (exit 0) and holds one directory per schema', () => {
    const result = revsync(ROOT, 'schema', 'check', '--json');
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const check = JSON.parse(result.stdout) as { ok: boolean; results: { status: string }[] };
    expect(check.ok).toBe(true);
    expect(new Set(check.results.map((r) => r.status))).toEqual(new Set(['unchanged']));
    const dirs = readdirSync(REPO_REGISTRY, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(dirs).toEqual(
      registrySchemas()
        .map((g) => g.name)
        .sort(),
    );
  });

  it('every committed version has an upcaster path to the code', async () => {
    for (const g of registrySchemas()) {
      const versions = await readVersions(REPO_REGISTRY, g.name);
      expect(versions.at(-1)?.version, g.name).toBe(upcasters.currentVersion(g.name));
    }
  });
});

describe('schema check and bump on a copy of the registry', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'revsync-registry-'));
    cpSync(REPO_REGISTRY, join(dir, 'schemas'), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('fails for a removed required field, and passes once the version is raised with an upcaster', async () => {
    const registry = join(dir, 'schemas');
    const name = 'billing.invoice.finalized';
    // v2 of the code: `reason` (required in v1) is gone, the invoice is an object
    const v2 = z.object({ invoice: z.object({ id: z.string().min(1) }) });

    const before = await checkRegistry({
      dir: registry,
      generated: withSchema(name, v2, 1),
      upcasters,
    });
    expect(before.ok).toBe(false);
    const result = before.results.find((r) => r.name === name)!;
    expect(result.status).toBe('incompatible');
    expect(result.issues.map((i) => [i.path, i.kind])).toEqual(
      expect.arrayContaining([
        ['/reason', 'property_removed_from_closed_model'],
        ['/invoice', 'required_property_added'],
      ]),
    );
    expect(result.message).toContain('add an upcaster from v1');

    // bump without the upcaster is refused
    await expect(
      bumpSchema({ dir: registry, name, generated: withSchema(name, v2, 1) }),
    ).rejects.toThrow(/first add the upcaster from v1 to v2/);

    // the upcaster raises the code to v2; until v2.json is written the check still fails
    const raised = new UpcasterRegistry([
      {
        schema: name,
        from: 1,
        up: (value) => ({ invoice: { id: (value as { invoiceId: string }).invoiceId } }),
      },
    ]);
    const generated = withSchema(name, v2, raised.currentVersion(name));
    const pending = await checkRegistry({ dir: registry, generated, upcasters: raised });
    expect(pending.results.find((r) => r.name === name)?.status).toBe('unreleased');
    expect(pending.ok).toBe(false);

    const bumped = await bumpSchema({ dir: registry, name, generated });
    expect(bumped).toEqual({ name, version: 2, path: join(registry, name, 'v2.json') });
    const after = await checkRegistry({ dir: registry, generated, upcasters: raised });
    expect(after.ok, JSON.stringify(after.results.filter((r) => !r.ok))).toBe(true);
    expect(after.results.find((r) => r.name === name)).toMatchObject({
      status: 'unchanged',
      latest: 2,
      codeVersion: 2,
    });
    // v1 is untouched; a second bump is refused (released files are never rewritten)
    expect(readFileSync(join(registry, name, 'v1.json'), 'utf8')).toBe(
      readFileSync(join(REPO_REGISTRY, name, 'v1.json'), 'utf8'),
    );
    await expect(bumpSchema({ dir: registry, name, generated })).rejects.toThrow(
      /already committed/,
    );
    // and the code reading old data: the upcaster turns a v1 value into the v2 shape
    expect(raised.upcast(name, { invoiceId: 'in_1', reason: 'subscription_cycle' }, 1)).toEqual({
      value: { invoice: { id: 'in_1' } },
      version: 2,
      path: [1, 2],
    });
  });

  it('a compatible change (an added optional field) passes without a raise and is reported', async () => {
    const registry = join(dir, 'schemas');
    const name = 'billing.invoice.paid';
    const wider = z.object({ invoiceId: z.string().min(1), paidAt: z.string().optional() });
    const check = await checkRegistry({
      dir: registry,
      generated: withSchema(name, wider, 1),
      upcasters,
    });
    expect(check.ok).toBe(true);
    expect(check.results.find((r) => r.name === name)?.status).toBe('compatible');
  });

  it('FORWARD mode in registry.json refuses the same optional field (old readers would choke)', async () => {
    const registry = join(dir, 'schemas');
    const name = 'billing.invoice.paid';
    writeFileSync(
      join(registry, 'registry.json'),
      JSON.stringify({ defaultMode: 'BACKWARD', modes: { [name]: 'FORWARD' } }),
    );
    const wider = z.object({ invoiceId: z.string().min(1), paidAt: z.string().optional() });
    const check = await checkRegistry({
      dir: registry,
      generated: withSchema(name, wider, 1),
      upcasters,
    });
    expect(check.results.find((r) => r.name === name)).toMatchObject({
      status: 'incompatible',
      mode: 'FORWARD',
    });
  });

  it('the CLI exits 2 when a committed version holds a required field the code removed', () => {
    const registry = join(dir, 'schemas');
    const file = join(registry, 'billing.invoice.paid', 'v1.json');
    const v1 = JSON.parse(readFileSync(file, 'utf8')) as {
      properties: Record<string, unknown>;
      required: string[];
    };
    v1.properties.paidAt = { type: 'string' };
    v1.required.push('paidAt');
    writeFileSync(file, JSON.stringify(v1));
    const result = revsync(dir, 'schema', 'check');
    expect(result.status, result.stdout + result.stderr).toBe(2);
    expect(result.stdout).toMatch(/FAIL billing\.invoice\.paid \(BACKWARD, v1\): incompatible/);
    expect(result.stdout).toContain('/paidAt: property_removed_from_closed_model');

    const json = revsync(dir, 'schema', 'check', '--json');
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, failed: 1 });
  });

  it('the CLI exits 1 on a malformed registry, and names a deleted schema', () => {
    const registry = join(dir, 'schemas');
    writeFileSync(join(registry, 'registry.json'), '{"defaultMode": "SIDEWAYS"}');
    const bad = revsync(dir, 'schema', 'check');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('defaultMode "SIDEWAYS" is not a mode');

    rmSync(join(registry, 'registry.json'));
    cpSync(join(registry, 'invoice'), join(registry, 'old_thing'), { recursive: true });
    const orphan = revsync(dir, 'schema', 'check');
    expect(orphan.status).toBe(2);
    expect(orphan.stdout).toContain('FAIL old_thing');
  });
});
