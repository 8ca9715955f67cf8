import type { CrmBillingStatus } from '../connectors/ports.ts';
import type { Clock } from '../engine/clock.ts';
import type { CrmWriteLedger, CrmWriteTarget } from '../flows/deps.ts';
import { canonicalJson } from '../store/canonical-json.ts';
import type { CrmWritebackTarget } from '../store/crm-writeback-repository.ts';
import type { Store } from '../store/store.ts';

/** How long a write-back counts as current when nothing changed (`crmWriteback.ttlSeconds`). */
export const DEFAULT_CRM_WRITE_TTL_MS = 10 * 60_000;

/**
 * The flows' {@link CrmWriteLedger} on the store's `crm_writebacks` table: one row per CRM
 * object and field, the canonical JSON of the value written and when. `ttlMs` 0 makes every
 * write-back go out (still without the connector's read).
 */
export function crmWriteLedger(
  store: Store,
  clock: Clock,
  crmSystem: string,
  ttlMs: number = DEFAULT_CRM_WRITE_TTL_MS,
): CrmWriteLedger {
  const targetOf = (t: CrmWriteTarget): CrmWritebackTarget => ({
    system: crmSystem,
    objectType: t.objectType,
    objectId: t.id,
  });
  return {
    async unchanged(target, status) {
      const wanted = encodedFields(status);
      const fields = Object.keys(wanted);
      if (ttlMs <= 0 || fields.length === 0) return false;
      const written = await store.crmWritebacks.lastWritten(store.db, targetOf(target), fields);
      const since = clock.now() - ttlMs;
      return fields.every((field) => {
        const last = written.get(field);
        return last !== undefined && last.value === wanted[field] && last.writtenAt > since;
      });
    },
    async written(target, status) {
      const values = encodedFields(status);
      if (Object.keys(values).length === 0) return;
      await store.grouped((trx) =>
        store.crmWritebacks.record(trx, targetOf(target), values, clock.now()),
      );
    },
  };
}

/** The fields `status` gives a value (undefined = not written), as canonical JSON. */
function encodedFields(status: CrmBillingStatus): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, value] of Object.entries(status))
    if (value !== undefined) out[field] = canonicalJson(value);
  return out;
}
