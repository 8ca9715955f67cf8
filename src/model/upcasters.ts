/**
 * Upcasters: how a value written with an older version of a schema becomes the current shape.
 * A schema's current version is 1 + the number of its upcasters, so raising a version *is*
 * adding the upcaster from the previous one; `revsync schema check` refuses a committed
 * `schemas/<name>/v<N>.json` the upcasters do not reach, and `revsync schema bump` refuses to
 * write v<N+1> before the upcaster from v<N> exists.
 *
 * Schema names are those of the registry (`schemas/<name>/`): a canonical entity type
 * (`invoice`), a canonical event type (`billing.invoice.finalized`, the version of its `data`)
 * or `event_envelope`. They are applied where stored data is read back: the router upcasts an
 * inbox event's `data` from its envelope's `schemaversion` (1 when absent) before flows see it.
 */

/** Turns a value of version `from` of schema `schema` into version `from + 1`. */
export interface Upcaster {
  schema: string;
  from: number;
  /** Pure and deterministic: the same old value always gives the same new one. */
  up(value: unknown): unknown;
}

/** The result of {@link UpcasterRegistry.upcast}. */
export interface Upcasted {
  value: unknown;
  /** The version the value now has (the current one). */
  version: number;
  /** The versions it went through, e.g. `[1, 2, 3]`; one element when nothing was done. */
  path: number[];
}

/** Thrown when a value cannot be brought to the current version. */
export class UpcastError extends Error {
  readonly code = 'upcast_failed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpcastError';
  }
}

/** The upcasters of every schema, checked to form one unbroken chain per schema. */
export class UpcasterRegistry {
  readonly #chains = new Map<string, Upcaster[]>();

  constructor(upcasters: readonly Upcaster[] = []) {
    for (const upcaster of upcasters) {
      const chain = this.#chains.get(upcaster.schema) ?? [];
      chain.push(upcaster);
      this.#chains.set(upcaster.schema, chain);
    }
    for (const [schema, chain] of this.#chains) {
      chain.sort((a, b) => a.from - b.from);
      chain.forEach((upcaster, i) => {
        if (upcaster.from !== i + 1) {
          throw new Error(
            `upcasters of ${schema} must go 1→2, 2→3, …; found one from v${upcaster.from} where v${i + 1} was expected`,
          );
        }
      });
    }
  }

  /** The current version of a schema: 1 + its number of upcasters. */
  currentVersion(schema: string): number {
    return (this.#chains.get(schema)?.length ?? 0) + 1;
  }

  /** The schemas that have upcasters. */
  schemas(): string[] {
    return [...this.#chains.keys()].sort();
  }

  /** True when an upcaster from `from` exists. */
  has(schema: string, from: number): boolean {
    return this.#chains.get(schema)?.[from - 1] !== undefined;
  }

  /**
   * Brings `value`, written with version `from` (default 1), to the current version. An object
   * with a numeric `schemaVersion` member (a canonical entity) gets it set at every step.
   *
   * @throws UpcastError for a version newer than the code knows, one below 1, or a failing step.
   */
  upcast(schema: string, value: unknown, from = 1): Upcasted {
    const current = this.currentVersion(schema);
    if (!Number.isInteger(from) || from < 1) {
      throw new UpcastError(`${schema}: schema version ${String(from)} is not a positive integer`);
    }
    if (from > current) {
      throw new UpcastError(
        `${schema}: the value has schema version ${from}, newer than this code's v${current}`,
      );
    }
    const chain = this.#chains.get(schema) ?? [];
    let out = value;
    const path = [from];
    for (let version = from; version < current; version += 1) {
      try {
        out = chain[version - 1]!.up(out);
      } catch (caught) {
        throw new UpcastError(
          `${schema}: upcasting v${version} → v${version + 1} failed: ${(caught as Error).message ?? String(caught)}`,
          { cause: caught },
        );
      }
      if (isVersioned(out)) out = { ...out, schemaVersion: version + 1 };
      path.push(version + 1);
    }
    return { value: out, version: current, path };
  }
}

function isVersioned(value: unknown): value is Record<string, unknown> & { schemaVersion: number } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { schemaVersion?: unknown }).schemaVersion === 'number'
  );
}

/**
 * The repository's upcasters, one per released version above 1 (none yet: every schema is at
 * v1). Add one here when `revsync schema check` reports an incompatible change, then run
 * `revsync schema bump <name>`; see docs/schemas.md.
 */
export const UPCASTERS: readonly Upcaster[] = [];

/** The registry of {@link UPCASTERS}, used by the router and `revsync schema`. */
export const upcasters = new UpcasterRegistry(UPCASTERS);
