import type { z } from 'zod';
import type { ValidationIssue } from './errors.ts';

/**
 * Turns zod issues into `{path, message}` pairs with readable paths such as
 * `lines[2].amount.currency` (the root is `''`).
 */
export function toValidationIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/** Formats a zod issue path: property names joined by dots, array indexes in brackets. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}
