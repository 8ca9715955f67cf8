/** A field's value as two systems saw it, when both changed it since they last agreed. */
export interface FieldConflict {
  field: string;
  /** The system whose change could not be applied. */
  from: string;
  value: unknown;
  /** The owning system and its current value. */
  owner: string;
  current: unknown;
}

/** What each system last showed (or was sent) for each field. */
export type SeenValues = Record<string, Record<string, unknown>>;

/** The result of merging one system's view of a record into the canonical one. */
export interface Merge<T> {
  fields: T;
  seen: SeenValues;
  /** Fields changed in `from` and applied (it owns them). */
  applied: string[];
  /** Fields changed in `from` that it does not own and were not applied. */
  ignored: string[];
  conflicts: FieldConflict[];
}

/**
 * Field ownership: merges what `from` now shows into the canonical fields. A field counts as
 * changed in `from` when it differs from what `from` last showed or was sent. A change applies
 * only if `from` owns the field. A change to a field another system owns is not applied; if the
 * owner's value also moved since `from` last saw it, both sides changed it since the last sync:
 * that is a conflict, for a person to resolve.
 */
export function mergeOwnedFields<T extends object>(
  canonical: T,
  seen: SeenValues,
  from: string,
  incoming: Partial<T>,
  ownership: Record<string, string>,
  defaultOwner: string,
): Merge<T> {
  const fields = { ...canonical } as Record<string, unknown>;
  const nextSeen: SeenValues = { ...seen, [from]: { ...(seen[from] ?? {}) } };
  const result: Merge<T> = {
    fields: fields as T,
    seen: nextSeen,
    applied: [],
    ignored: [],
    conflicts: [],
  };
  for (const [field, value] of Object.entries(incoming)) {
    const last = seen[from]?.[field];
    if (same(value, last)) continue;
    nextSeen[from]![field] = value;
    const owner = ownership[field] ?? defaultOwner;
    if (owner === from) {
      fields[field] = value;
      result.applied.push(field);
    } else if (last !== undefined && !same(fields[field], last) && !same(fields[field], value)) {
      result.conflicts.push({ field, from, value, owner, current: fields[field] });
    } else {
      result.ignored.push(field);
    }
  }
  return result;
}

/** Records what was sent to `system`, so its echo is not taken for a change. */
export function markSeen(
  seen: SeenValues,
  system: string,
  sent: Record<string, unknown>,
): SeenValues {
  return { ...seen, [system]: { ...(seen[system] ?? {}), ...sent } };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
