/**
 * The API contract check (`npm run check:openapi`, part of `npm run lint`): generates the
 * OpenAPI document from the route definitions and compares it with the released one committed
 * in `openapi/v1.json`. Exit 0 when nothing breaks (additive changes print a hint), 2 on a
 * breaking change (a removed path, operation or response field, a removed enum value, a
 * narrowed type, a new required input) not excused by a new `/v2` path, 1 on an error.
 *
 *   node --conditions=revsync-source --import tsx scripts/check-openapi.ts [--write] [--json] [--file F]
 *
 * `--write` re-commits the document when the check passes.
 */
import { resolve } from 'node:path';
import { checkOpenApiContract, RELEASED_OPENAPI } from '../src/api/openapi-contract.ts';
import type { ApiChange } from '../src/api/openapi-diff.ts';

const args = process.argv.slice(2);
const fileAt = args.indexOf('--file');
const file = resolve(fileAt >= 0 && args[fileAt + 1] ? args[fileAt + 1]! : RELEASED_OPENAPI);
const line = (c: ApiChange) => `  ${c.where}${c.at ? ` ${c.at}` : ''}: ${c.kind}: ${c.message}`;

try {
  const check = await checkOpenApiContract({ file, write: args.includes('--write') });
  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify(check, null, 2)}\n`);
  } else {
    const out: string[] = [];
    if (check.breaking.length > 0) {
      out.push(
        `openapi check FAILED: ${check.breaking.length} breaking change(s) against ${file}:`,
      );
      out.push(...check.breaking.map(line));
      out.push('Keep the released contract, or introduce the changed operation under /v2.');
    }
    if (check.excused.length > 0) {
      out.push(
        `${check.excused.length} breaking change(s) excused by a new /v2 path:`,
        ...check.excused.map(line),
      );
    }
    if (check.additive.length > 0) {
      out.push(`${check.additive.length} additive change(s):`, ...check.additive.map(line));
    }
    if (check.ok) {
      out.push(
        check.written
          ? `openapi check passed; wrote ${file}`
          : check.changed
            ? `openapi check passed; the document changed compatibly — re-commit it with: npm run check:openapi -- --write`
            : 'openapi check passed: the generated document equals the released one',
      );
    }
    process.stdout.write(`${out.join('\n')}\n`);
  }
  process.exitCode = check.ok ? 0 : 2;
} catch (caught) {
  process.stderr.write(`check-openapi: ${(caught as Error).message}\n`);
  process.exitCode = 1;
}
