/**
 * The house rules, checked in CI (`npm run check:architecture`, part of `npm run lint`):
 *
 * 1. No line of code under `src/` names a vendor outside the places that may: a connector's own
 *    folder (`src/connectors/<vendor>/`), the registry list (`src/connectors/registry.ts`) and
 *    the simulator's per-vendor drivers (`src/sim/drivers/<vendor>/`). Comments and tests aside.
 * 2. No arrow runs back up: `src/app` does not import `src/sim`, `src/observability` does not
 *    import `src/api`, and no import cycle crosses folders (a folder is `src/<name>`).
 * 3. Some folders say what they may import: `src/recon` (pure reconciliation) imports
 *    `src/model` and only the *types* of `src/connectors`, and names no vendor anywhere, its
 *    comments and tests included.
 *
 * Exits 1 naming every violation.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const VENDOR = /stripe|salesforce|netsuite|hubspot|chargebee|quickbooks|business.?central/i;
const VENDOR_FOLDERS = [
  'stripe',
  'salesforce',
  'netsuite',
  'hubspot',
  'chargebee',
  'quickbooks',
  'business-central',
];
/** Imports that must not exist: from folder → to folder. */
const FORBIDDEN: [string, string][] = [
  ['app', 'sim'],
  ['observability', 'api'],
];

/**
 * Folders that list what they may import: folder → imported folder → `any` or `types` (only
 * `import type` / `export type`).
 */
const ALLOWED: Record<string, Record<string, 'any' | 'types'>> = {
  recon: { model: 'any', connectors: 'types' },
};
/** Folders where not even a comment or a test may name a vendor. */
const VENDOR_FREE = ['recon'];

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? allFiles(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

/** A file's code without comments (strings kept: an import path or a literal names a vendor too). */
function codeLines(text: string): string[] {
  let out = '';
  let i = 0;
  let quote: string | undefined;
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (quote) {
      out += c;
      if (c === '\\') {
        out += next ?? '';
        i += 2;
        continue;
      }
      if (c === quote) quote = undefined;
      i += 1;
    } else if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i += 1;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const comment = text.slice(i, end < 0 ? text.length : end + 2);
      out += comment.replace(/[^\n]/g, ''); // keep line numbers
      i += comment.length;
    } else {
      if (c === "'" || c === '"' || c === '`') quote = c;
      out += c;
      i += 1;
    }
  }
  return out.split('\n');
}

function mayNameVendors(rel: string): boolean {
  const parts = rel.split(sep);
  if (rel === join('connectors', 'registry.ts')) return true;
  if (parts[0] === 'connectors' && VENDOR_FOLDERS.includes(parts[1]!) && parts.length > 2)
    return true;
  if (
    parts[0] === 'sim' &&
    parts[1] === 'drivers' &&
    VENDOR_FOLDERS.includes(parts[2]!) &&
    parts.length > 3
  )
    return true;
  return false;
}

const problems: string[] = [];
const edges = new Map<string, Map<string, string>>(); // folder → folder → an example file
const all = files(SRC);
for (const file of all) {
  const rel = relative(SRC, file);
  const lines = codeLines(readFileSync(file, 'utf8'));
  if (!mayNameVendors(rel)) {
    lines.forEach((line, n) => {
      if (VENDOR.test(line)) problems.push(`src/${rel}:${n + 1}: names a vendor: ${line.trim()}`);
    });
  }
  const from = rel.split(sep)[0]!;
  if (!rel.includes(sep)) continue; // src/index.ts etc.: the package's entry re-exports
  for (const match of lines.join('\n').matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
    const target = relative(SRC, resolve(dirname(file), match[1]!));
    if (target.startsWith('..')) continue;
    const to = target.split(sep)[0]!;
    if (to === from || !target.includes(sep)) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from)!.has(to)) edges.get(from)!.set(to, `src/${rel}`);
  }
}

for (const folder of VENDOR_FREE) {
  const dir = join(SRC, folder);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) continue;
  for (const file of allFiles(dir)) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, n) => {
        if (VENDOR.test(line))
          problems.push(
            `src/${relative(SRC, file)}:${n + 1}: names a vendor (src/${folder} may not, even in comments and tests): ${line.trim()}`,
          );
      });
  }
}

for (const file of all) {
  const rel = relative(SRC, file);
  const from = rel.split(sep)[0]!;
  const allowed = ALLOWED[from];
  if (!allowed || !rel.includes(sep)) continue;
  const code = codeLines(readFileSync(file, 'utf8')).join('\n');
  const statements = [
    ...code.matchAll(/\b(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s*)?'([^']+)'/g),
    ...code.matchAll(/\bimport\s*\(\s*'([^']+)'/g),
  ];
  for (const m of statements) {
    const spec = m.length > 2 ? m[3]! : m[1]!;
    const typeOnly = m.length > 2 && m[2] !== undefined;
    if (!spec.startsWith('.')) {
      problems.push(`src/${rel}: src/${from} imports only revsync folders, not '${spec}'`);
      continue;
    }
    const target = relative(SRC, resolve(dirname(file), spec));
    if (target.startsWith('..')) continue;
    const to = target.split(sep)[0]!;
    if (to === from) continue;
    const rule = allowed[to];
    if (!rule) problems.push(`src/${rel}: src/${from} must not import src/${to}`);
    else if (rule === 'types' && !typeOnly)
      problems.push(
        `src/${rel}: src/${from} may import only the types of src/${to} (use import type)`,
      );
  }
}

for (const [from, to] of FORBIDDEN) {
  const example = edges.get(from)?.get(to);
  if (example) problems.push(`src/${from} must not import src/${to} (${example} does)`);
}

// Cycles between folders: any folder reachable from itself.
const folders = [...edges.keys()].sort();
const seen = new Set<string>();
for (const start of folders) {
  const stack: string[][] = [[start]];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const last = path[path.length - 1]!;
    for (const next of edges.get(last)?.keys() ?? []) {
      if (next === start) {
        const key = [...path].sort().join(',');
        if (!seen.has(key)) {
          seen.add(key);
          const hops = [...path, start]
            .slice(1)
            .map((to, i) => `${path[i]} → ${to} (${edges.get(path[i]!)!.get(to)})`);
          problems.push(`import cycle across folders: ${hops.join(', ')}`);
        }
      } else if (!path.includes(next)) stack.push([...path, next]);
    }
  }
}

if (problems.length > 0) {
  process.stderr.write(
    `check-architecture: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}\n`,
  );
  process.exit(1);
}
process.stdout.write(
  `check-architecture: ${all.length} files; no vendor names outside connectors, the registry and the simulator drivers; ${folders.length} folders, no back-edges, no cycles; ${Object.keys(
    ALLOWED,
  )
    .map((f) => `src/${f}`)
    .join(', ')} import only what the rules allow\n`,
);
