import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegistrySchema } from '../model/schema-export.ts';
import type { UpcasterRegistry } from '../model/upcasters.ts';
import {
  checkCompatibility,
  compatibilityIssues,
  DEFAULT_COMPATIBILITY_MODE,
  isCompatibilityMode,
  modeDirections,
  type CompatibilityIssue,
  type CompatibilityMode,
} from './schema-compatibility.ts';

/**
 * The schema registry in the repository: `schemas/<name>/v<N>.json`, one file per released
 * version (never edited once committed), and `schemas/registry.json` with each schema's
 * compatibility mode. {@link checkRegistry} compares the schemas the code generates with it;
 * {@link bumpSchema} releases the next version. See docs/schemas.md.
 */

/** `schemas/registry.json`. */
export interface RegistryConfig {
  /** Mode of every schema not listed in `modes` (default BACKWARD). */
  defaultMode: CompatibilityMode;
  /** Per-schema modes, by registry name. */
  modes: Record<string, CompatibilityMode>;
}

/** Why the registry itself cannot be read (exit 1, not an incompatibility). */
export class RegistryError extends Error {
  readonly code = 'schema_registry_invalid';
  constructor(message: string) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** The outcome for one schema. */
export type SchemaStatus =
  /** The code's schema equals the latest released version. */
  | 'unchanged'
  /** It differs from the latest version, compatibly under the mode (passes; release it with a bump). */
  | 'compatible'
  /** It differs incompatibly without a version raise (fails). */
  | 'incompatible'
  /** The code is a version ahead (an upcaster was added) and v<N+1> is not committed (fails). */
  | 'unreleased'
  /** No version is committed for a schema the code defines (fails; `schema bump` writes v1). */
  | 'unregistered'
  /** Committed versions, upcasters and code disagree in a way no bump fixes (fails). */
  | 'invalid';

export interface SchemaCheckResult {
  name: string;
  mode: CompatibilityMode;
  /** Latest committed version (0 when none). */
  latest: number;
  /** The version the code is at. */
  codeVersion: number;
  status: SchemaStatus;
  ok: boolean;
  message: string;
  issues: (CompatibilityIssue & { against: number; direction: 'backward' | 'forward' })[];
}

export interface RegistryCheck {
  ok: boolean;
  /** Number of schemas with status `incompatible`, `unreleased`, `unregistered` or `invalid`. */
  failed: number;
  results: SchemaCheckResult[];
  /** Directories under the registry that no schema of the code has (a deleted schema). */
  orphans: string[];
}

/** Reads `registry.json` (defaults when absent). */
export async function readRegistryConfig(dir: string): Promise<RegistryConfig> {
  let text: string;
  try {
    text = await readFile(join(dir, 'registry.json'), 'utf8');
  } catch (caught) {
    if ((caught as NodeJS.ErrnoException).code === 'ENOENT') {
      return { defaultMode: DEFAULT_COMPATIBILITY_MODE, modes: {} };
    }
    throw caught;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (caught) {
    throw new RegistryError(`${join(dir, 'registry.json')}: ${(caught as Error).message}`);
  }
  const config = raw as { defaultMode?: unknown; modes?: unknown };
  const defaultMode = config.defaultMode ?? DEFAULT_COMPATIBILITY_MODE;
  if (!isCompatibilityMode(defaultMode)) {
    throw new RegistryError(
      `registry.json: defaultMode ${JSON.stringify(defaultMode)} is not a mode`,
    );
  }
  const modes: Record<string, CompatibilityMode> = {};
  for (const [name, mode] of Object.entries((config.modes ?? {}) as Record<string, unknown>)) {
    if (!isCompatibilityMode(mode)) {
      throw new RegistryError(
        `registry.json: mode of ${name} ${JSON.stringify(mode)} is not a mode`,
      );
    }
    modes[name] = mode;
  }
  return { defaultMode, modes };
}

/** The committed versions of one schema, oldest first. */
export async function readVersions(
  dir: string,
  name: string,
): Promise<{ version: number; schema: Record<string, unknown> }[]> {
  let files: string[];
  try {
    files = await readdir(join(dir, name));
  } catch (caught) {
    if ((caught as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw caught;
  }
  const versions: { version: number; schema: Record<string, unknown> }[] = [];
  for (const file of files) {
    const match = /^v([1-9][0-9]*)\.json$/.exec(file);
    if (!match) throw new RegistryError(`${join(dir, name, file)}: expected v<N>.json`);
    const path = join(dir, name, file);
    try {
      versions.push({
        version: Number(match[1]),
        schema: JSON.parse(await readFile(path, 'utf8')),
      });
    } catch (caught) {
      throw new RegistryError(`${path}: ${(caught as Error).message}`);
    }
  }
  versions.sort((a, b) => a.version - b.version);
  versions.forEach((v, i) => {
    if (v.version !== i + 1) {
      throw new RegistryError(
        `${join(dir, name)}: versions must be v1…v${versions.length}, no gaps`,
      );
    }
  });
  return versions;
}

/**
 * The schema without what does not affect which instances it accepts (`$id`, title,
 * descriptions) and, for entities, without the `schemaVersion` marker (its `const` is the
 * version itself, so it differs between versions by design).
 */
export function comparable(schema: Record<string, unknown>): Record<string, unknown> {
  const { $id: _id, title: _title, $schema: _s, ...rest } = schema;
  const properties = rest.properties as Record<string, unknown> | undefined;
  if (properties && 'schemaVersion' in properties) {
    const { schemaVersion: _v, ...others } = properties;
    return {
      ...rest,
      properties: others,
      ...(Array.isArray(rest.required) && {
        required: (rest.required as string[]).filter((r) => r !== 'schemaVersion'),
      }),
    };
  }
  return rest;
}

function stable(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** The version marker an entity schema's `schemaVersion` literal carries, if any. */
function literalVersion(schema: Record<string, unknown>): number | undefined {
  const marker = (schema.properties as Record<string, { const?: unknown }> | undefined)
    ?.schemaVersion;
  return typeof marker?.const === 'number' ? marker.const : undefined;
}

/**
 * Compares every schema the code defines (`generated`) with the registry in `dir`:
 *
 * - the code at the latest committed version N: its schema must equal vN or be compatible with
 *   it under the schema's mode; for the forward direction the transitive modes compare with
 *   every version. (Older data reaches vN through the upcasters, so the backward direction
 *   needs only vN.)
 * - the code at N+1 (an upcaster from vN was added): fails until `bumpSchema` writes v<N+1>.
 * - every committed version above 1 must be reachable by an upcaster, and in the modes with a
 *   forward direction each version must be forward compatible with the one(s) before it —
 *   upcasters cannot help an old reader.
 */
export async function checkRegistry(options: {
  dir: string;
  generated: readonly RegistrySchema[];
  upcasters: UpcasterRegistry;
}): Promise<RegistryCheck> {
  const { dir, generated } = options;
  const config = await readRegistryConfig(dir);
  const results: SchemaCheckResult[] = [];
  for (const schema of generated) {
    results.push(await checkOne(dir, schema, config, options.upcasters));
  }
  const known = new Set(generated.map((g) => g.name));
  let entries: string[] = [];
  try {
    entries = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch (caught) {
    if ((caught as NodeJS.ErrnoException).code !== 'ENOENT') throw caught;
  }
  const orphans = entries.filter((name) => !known.has(name)).sort();
  for (const name of Object.keys(config.modes)) {
    if (!known.has(name)) throw new RegistryError(`registry.json names unknown schema ${name}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  return { ok: failed === 0 && orphans.length === 0, failed, results, orphans };
}

async function checkOne(
  dir: string,
  generated: RegistrySchema,
  config: RegistryConfig,
  upcasters: UpcasterRegistry,
): Promise<SchemaCheckResult> {
  const mode = config.modes[generated.name] ?? config.defaultMode;
  const versions = await readVersions(dir, generated.name);
  const latest = versions.length;
  const base = { name: generated.name, mode, latest, codeVersion: generated.version, issues: [] };
  const result = (
    status: SchemaStatus,
    message: string,
    issues: SchemaCheckResult['issues'] = [],
  ) => ({
    ...base,
    status,
    ok: status === 'unchanged' || status === 'compatible',
    message,
    issues,
  });

  const literal = literalVersion(generated.schema);
  if (generated.kind === 'entity' && literal !== generated.version) {
    return result(
      'invalid',
      `the entity's schemaVersion literal is ${String(literal)} but its upcasters put it at v${generated.version}`,
    );
  }
  if (latest === 0) {
    return generated.version === 1
      ? result(
          'unregistered',
          `no version committed: \`revsync schema bump ${generated.name}\` writes v1`,
        )
      : result('invalid', `no version committed, yet the code is at v${generated.version}`);
  }
  if (upcasters.currentVersion(generated.name) < latest) {
    return result(
      'invalid',
      `v${latest} is committed but the upcasters reach only v${upcasters.currentVersion(generated.name)}; add the upcaster from v${upcasters.currentVersion(generated.name)} (src/model/upcasters.ts)`,
    );
  }
  // The released history itself, in the forward direction (old readers of newer versions).
  const { forward, transitive } = modeDirections(mode);
  if (forward) {
    for (let i = 1; i < versions.length; i += 1) {
      const history = versions.slice(0, i).map((v) => ({ ...v, schema: comparable(v.schema) }));
      const check = checkCompatibility(
        comparable(versions[i]!.schema),
        history,
        transitive ? 'FORWARD_TRANSITIVE' : 'FORWARD',
      );
      if (!check.compatible) {
        return result(
          'invalid',
          `committed v${versions[i]!.version} is not forward compatible (${mode}); an upcaster cannot help old readers`,
          check.issues,
        );
      }
    }
  }
  if (generated.version === latest + 1) {
    return result(
      'unreleased',
      `the code is at v${generated.version} (an upcaster from v${latest} exists) but v${generated.version} is not committed: run \`revsync schema bump ${generated.name}\``,
    );
  }
  if (generated.version !== latest) {
    return result(
      'invalid',
      `the code is at v${generated.version} but v${latest} is the latest committed version`,
    );
  }
  const candidate = comparable(generated.schema);
  const released = versions[latest - 1]!;
  if (stable(candidate) === stable(comparable(released.schema))) {
    return result('unchanged', `matches v${latest}`);
  }
  const issues = compatibilityAgainst(candidate, versions, mode);
  if (issues.length === 0) {
    return result(
      'compatible',
      `differs from v${latest}, compatibly (${mode}); release it with an upcaster (identity is fine) and \`revsync schema bump ${generated.name}\``,
    );
  }
  return result(
    'incompatible',
    `incompatible with v${latest} (${mode}) without a version raise: add an upcaster from v${latest} in src/model/upcasters.ts, then run \`revsync schema bump ${generated.name}\``,
    issues,
  );
}

function compatibilityAgainst(
  candidate: Record<string, unknown>,
  versions: readonly { version: number; schema: Record<string, unknown> }[],
  mode: CompatibilityMode,
): SchemaCheckResult['issues'] {
  const { backward, forward, transitive } = modeDirections(mode);
  const latest = versions[versions.length - 1]!;
  const issues: SchemaCheckResult['issues'] = [];
  if (backward) {
    for (const issue of compatibilityIssues(comparable(latest.schema), candidate)) {
      issues.push({ ...issue, against: latest.version, direction: 'backward' });
    }
  }
  if (forward) {
    for (const previous of transitive ? versions : [latest]) {
      for (const issue of compatibilityIssues(candidate, comparable(previous.schema))) {
        issues.push({ ...issue, against: previous.version, direction: 'forward' });
      }
    }
  }
  return issues;
}

/** What {@link bumpSchema} did. */
export interface BumpResult {
  name: string;
  version: number;
  path: string;
}

/**
 * Releases the code's version of schema `name`: writes `<dir>/<name>/v<N>.json` where N is the
 * code's version, which must be the latest committed + 1 (v1 for a new schema) — that is, the
 * upcaster from the previous version must exist. In the modes with a forward direction the new
 * version must also be forward compatible with the previous one(s).
 *
 * @throws RegistryError when the version is not one ahead, or the forward check fails.
 */
export async function bumpSchema(options: {
  dir: string;
  name: string;
  generated: readonly RegistrySchema[];
}): Promise<BumpResult> {
  const { dir, name } = options;
  const generated = options.generated.find((g) => g.name === name);
  if (!generated) {
    throw new RegistryError(
      `unknown schema ${name}; known: ${options.generated.map((g) => g.name).join(', ')}`,
    );
  }
  const config = await readRegistryConfig(dir);
  const mode = config.modes[name] ?? config.defaultMode;
  const versions = await readVersions(dir, name);
  const next = versions.length + 1;
  if (generated.version !== next) {
    throw new RegistryError(
      generated.version === versions.length
        ? `${name} is at v${generated.version}, already committed; to release a change, first add the upcaster from v${versions.length} to v${next} in src/model/upcasters.ts`
        : `${name}: the code is at v${generated.version} but the next version to write is v${next}`,
    );
  }
  const { forward, transitive } = modeDirections(mode);
  if (forward && versions.length > 0) {
    const history = versions.map((v) => ({ ...v, schema: comparable(v.schema) }));
    const check = checkCompatibility(
      comparable(generated.schema),
      history,
      transitive ? 'FORWARD_TRANSITIVE' : 'FORWARD',
    );
    if (!check.compatible) {
      throw new RegistryError(
        `${name} v${next} is not forward compatible (${mode}): ${check.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      );
    }
  }
  const path = join(dir, name, `v${next}.json`);
  await mkdir(join(dir, name), { recursive: true });
  await writeFile(path, `${JSON.stringify(generated.schema, null, 2)}\n`, { flag: 'wx' });
  return { name, version: next, path };
}
