/**
 * The building blocks of a connection's settings: values read from the environment (`env()`),
 * secrets (only from the environment), plain settings, URLs, and the settings every connection
 * has (governor limits, circuit breaker, poll interval). Each connector's `configSchema` is made
 * of these; `revsync.config.ts` writes them; the loader resolves `env()` before `create` runs.
 */
import { z } from 'zod';

/** A value read from an environment variable when the configuration is loaded. */
export interface EnvRef {
  readonly env: string;
  readonly default?: string;
}

/** A value read from a file when the configuration is loaded (a mounted secret). */
export interface FileRef {
  readonly file: string;
}

/** Where a setting's value comes from at load time: an environment variable or a file. */
export type ValueRef = EnvRef | FileRef;

/**
 * Reads a value from the environment at load time. Credentials must come through `env()` or
 * `file()`: the configuration file may be committed, secrets may not. When `NAME` is not set,
 * `NAME_FILE` (a path) is read instead, for secrets mounted as files (Docker, Kubernetes);
 * setting both is an error.
 */
export function env(name: string, fallback?: string): EnvRef {
  return fallback === undefined ? { env: name } : { env: name, default: fallback };
}

/**
 * Reads a value from a file at load time (`file('/run/secrets/stripe-api-key')`): its contents
 * with one trailing newline cut. A relative path is taken from the working directory.
 */
export function file(path: string): FileRef {
  return { file: path };
}

/** An `env()` reference as written in the configuration. */
export const envRef = z.strictObject({
  env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name'),
  default: z.string().optional(),
});

/** A `file()` reference as written in the configuration. */
export const fileRef = z.strictObject({ file: z.string().min(1, 'the path of a file') });

const valueRef = z.union([envRef, fileRef]);

/** A secret: only from the environment or a file, never a literal in the configuration. */
export const secret = z.custom<ValueRef>((value) => valueRef.safeParse(value).success, {
  error: (issue) =>
    typeof issue.input === 'string'
      ? 'secrets must not be written in the configuration: write env("NAME") or file("/path") instead of the value'
      : issue.input === undefined
        ? 'required'
        : 'expected env("NAME") or file("/path")',
});

/** A plain setting: a literal, from the environment, or from a file. */
export const setting = z.union([z.string().min(1), envRef, fileRef], {
  error: requiredOr('a string'),
});

/** A URL: a literal or from the environment. */
export const url = z.union([z.url(), envRef], { error: requiredOr('a URL') });

function requiredOr(what: string) {
  return (issue: { input: unknown }) =>
    issue.input === undefined ? 'required' : `expected ${what}`;
}

/** Governor limits of one API account (see `src/gateway/governor.ts`). */
export const limitsSchema = z.strictObject({
  ratePerSecond: z.number().positive().optional(),
  burst: z.int().positive().optional(),
  maxConcurrent: z.int().positive().optional(),
});

/** Circuit breaker settings of one API account. */
export const circuitSchema = z.strictObject({
  failureThreshold: z.int().positive().optional(),
  openMs: z.int().positive().optional(),
  maxOpenMs: z.int().positive().optional(),
});

/** What every connection has besides its connector's own settings. */
export const commonConnectionSettings = {
  limits: limitsSchema.optional(),
  circuit: circuitSchema.optional(),
  /** How often the connection's pollers run when idle, ms (default 1 000). */
  pollIntervalMs: z.int().positive().optional(),
  /** How often a webhook catch-up poller runs when webhooks are received, ms (default 10 000). */
  catchUpPollIntervalMs: z.int().positive().optional(),
};

/** Replaces every `env()` and `file()` reference in T by the string it resolved to. */
export type Resolved<T> = T extends EnvRef | FileRef
  ? string
  : T extends (infer U)[]
    ? Resolved<U>[]
    : T extends readonly (infer U)[]
      ? readonly Resolved<U>[]
      : T extends object
        ? { [K in keyof T]: Resolved<T[K]> }
        : T;

/** True for an `env()` reference. */
export function isEnvRef(value: unknown): value is EnvRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as EnvRef).env === 'string' &&
    Object.keys(value).every((k) => k === 'env' || k === 'default')
  );
}

/** True for a `file()` reference. */
export function isFileRef(value: unknown): value is FileRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as FileRef).file === 'string' &&
    Object.keys(value).length === 1
  );
}
