import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';

/** `prev_hash` of the first audit entry: 64 zeros (there is no entry before it). */
export const GENESIS_HASH = '0'.repeat(64);

/** Version of the hashed document; part of what is hashed, so a new layout cannot collide. */
export const AUDIT_HASH_VERSION = 1;

/** The fields of an audit entry that its hash covers (everything but the row id and the hash). */
export interface ChainedFields {
  seq: number;
  at: number;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
}

/**
 * The document an entry's hash is computed over: its fields, the previous entry's hash and the
 * layout version, as canonical JSON (see {@link canonicalJson}):
 *
 * `{"action":…,"actor":…,"at":…,"details":{…},"prevHash":"…","seq":…,"targetId":…,"targetType":…,"v":1}`
 */
export function auditHashInput(entry: ChainedFields, prevHash: string): string {
  return canonicalJson({
    v: AUDIT_HASH_VERSION,
    seq: entry.seq,
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    details: entry.details,
    prevHash,
  });
}

/** SHA-256 (lowercase hex) of {@link auditHashInput}: the entry's `hash`, the next one's `prev_hash`. */
export function auditEntryHash(entry: ChainedFields, prevHash: string): string {
  return sha256Hex(auditHashInput(entry, prevHash));
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Details as they will read back from the database (a JSON text column): hashing this instead
 * of the caller's object keeps `undefined` members, `toJSON` and the like from making a hash
 * that the stored row cannot reproduce.
 */
export function storedDetails(details: Record<string, unknown>): Record<string, unknown> {
  return (JSON.parse(JSON.stringify(details ?? {})) as Record<string, unknown> | null) ?? {};
}
