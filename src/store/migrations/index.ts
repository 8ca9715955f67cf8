import type { Migration, MigrationProvider } from 'kysely';
import { migration0001 } from './0001_inbox.ts';
import { migration0002 } from './0002_xrefs_entities.ts';
import { migration0003 } from './0003_engine.ts';
import { migration0004 } from './0004_conflicts_usage.ts';
import { migration0005 } from './0005_api_keys.ts';
import { migration0006 } from './0006_canonical_events.ts';
import { migration0007 } from './0007_audit_chain.ts';
import { migration0008 } from './0008_change_requests.ts';
import { migration0010 } from './0010_api_key_expiry.ts';
import { migration0011 } from './0011_run_claim_index.ts';
import { migration0012 } from './0012_recon_runs.ts';
import { migration0013 } from './0013_crm_writebacks.ts';
import type { DialectName, RevsyncMigration } from './migration.ts';

/** Every migration, in order. Append only: a released migration is never changed. */
export const MIGRATIONS: Record<string, RevsyncMigration> = {
  '0001_inbox': migration0001,
  '0002_xrefs_entities': migration0002,
  '0003_engine': migration0003,
  '0004_conflicts_usage': migration0004,
  '0005_api_keys': migration0005,
  '0006_canonical_events': migration0006,
  '0007_audit_chain': migration0007,
  '0008_change_requests': migration0008,
  '0010_api_key_expiry': migration0010,
  '0011_run_claim_index': migration0011,
  '0012_recon_runs': migration0012,
  '0013_crm_writebacks': migration0013,
};

/** Hands Kysely's migrator the migrations above, bound to one dialect. */
export function migrationProvider(dialect: DialectName): MigrationProvider {
  return {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, m] of Object.entries(MIGRATIONS)) {
        out[name] = { up: (db) => m.up(db, dialect) };
      }
      return out;
    },
  };
}
