import { z } from 'zod';
import { ERROR_CODES } from '../error-status.ts';

/** The one error body of every failed request. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES as [string, ...string[]]).meta({
        description: 'Stable snake_case code; branch on this, not on the message.',
      }),
      message: z.string(),
      details: z
        .array(z.object({ path: z.string().optional(), message: z.string() }))
        .optional()
        .meta({ description: 'Per-field problems (validation) or further facts.' }),
    }),
  })
  .meta({ title: 'Error' });

/** @see ErrorBody */
export type ErrorBody = z.infer<typeof ErrorBody>;

/** An ISO 8601 UTC instant in a response. */
export const Iso = z.string().meta({ format: 'date-time' });
/** The same instant in milliseconds since the epoch. */
export const Ms = z.number().int();

/** A nullable instant: ISO and milliseconds, both null together. */
export const maybeIso = Iso.nullable();
export const maybeMs = Ms.nullable();

/** Serialized revsync error as stored on runs, attempts and exceptions. */
export const SerializedErrorSchema = z.object({
  name: z.string(),
  code: z.string(),
  message: z.string(),
  retryable: z.boolean(),
  retryAfterMs: z.number().optional(),
  details: z.array(z.object({ path: z.string().optional(), message: z.string() })).optional(),
  system: z.string().optional(),
  status: z.number().optional(),
});

/** Any JSON value (inputs, outputs, entity data). */
export const Json = z.unknown();

/** `limit` query parameter. */
export const Limit = (max: number) => z.int().min(1).max(max).optional();

/** A comma-separated list in a query parameter, e.g. `status=parked,queued`. */
export const CommaList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  )
  .meta({ description: 'Comma-separated list.' });

/** `:id` path parameter. */
export const IdParams = z.object({ id: z.string().min(1).max(200) });

/** Converts milliseconds to ISO; null stays null. */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
