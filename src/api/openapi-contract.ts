import { readFile, writeFile } from 'node:fs/promises';
import { API_VERSION } from './api-version.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { diffOpenApi, type ApiDiff } from './openapi-diff.ts';
import { roleNeeded } from './register-route.ts';
import { API_ROUTES } from './routes/index.ts';

/** Where the released OpenAPI document is committed, relative to the repository root. */
export const RELEASED_OPENAPI = 'openapi/v1.json';

/** The document the code serves at `/v1/openapi.json` (default options: metrics need a key). */
export function currentOpenApiDocument(): Record<string, unknown> {
  return buildOpenApiDocument(API_ROUTES, {
    version: API_VERSION,
    roleOf: (route) => roleNeeded(route.access, 'viewer'),
  });
}

/** What {@link checkOpenApiContract} found. */
export interface ContractCheck extends ApiDiff {
  ok: boolean;
  /** True when the generated document differs from the committed one at all. */
  changed: boolean;
  /** True when `write` re-committed the document. */
  written: boolean;
}

/**
 * Compares the generated document with the committed one. Breaking changes fail (`ok: false`)
 * unless excused by a new `/v2` path; with `write`, a passing document that changed is written
 * over the committed one (the lead re-commits it after merging additive routes).
 */
export async function checkOpenApiContract(options: {
  file: string;
  current?: Record<string, unknown>;
  write?: boolean;
}): Promise<ContractCheck> {
  const current = options.current ?? currentOpenApiDocument();
  const released = JSON.parse(await readFile(options.file, 'utf8')) as Record<string, unknown>;
  const diff = diffOpenApi(released, current);
  const changed = JSON.stringify(released) !== JSON.stringify(current);
  const ok = diff.breaking.length === 0;
  let written = false;
  if (ok && changed && options.write) {
    await writeFile(options.file, `${JSON.stringify(current, null, 2)}\n`, 'utf8');
    written = true;
  }
  return { ...diff, ok, changed, written };
}
