import { coerceError } from '../model/revsync-error.ts';

/** Exit codes of the `revsync` command. */
export const EXIT = {
  ok: 0,
  /** The command ran but what it checked failed (an invariant, a refused operation). */
  failed: 1,
  /** Bad usage or configuration. */
  usage: 2,
} as const;

/** Prints a value as JSON (`--json`) or through a human formatter. */
export function print<T>(value: T, options: { json?: boolean }, human: (value: T) => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${human(value)}\n`);
}

/** Prints an error the way the CLI reports failures and sets the exit code. */
export function fail(
  caught: unknown,
  options: { json?: boolean } = {},
  code: number = EXIT.failed,
): void {
  const error = coerceError(caught);
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ error: { code: error.code, message: error.message, details: error.details } })}\n`,
    );
  } else {
    process.stderr.write(`revsync: ${error.message}\n`);
    for (const d of error.details ?? [])
      process.stderr.write(`  - ${d.path ? `${d.path}: ` : ''}${d.message}\n`);
  }
  process.exitCode = code;
}

/** Formats rows as an aligned text table. */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => columns.map((c) => formatCell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
