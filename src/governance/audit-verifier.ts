import type { KeyObject } from 'node:crypto';
import { auditEntryHash, GENESIS_HASH } from '../store/audit-chain.ts';
import type { AuditCheckpointRecord } from '../store/audit-checkpoint-repository.ts';
import type { AuditHead, AuditRecord } from '../store/audit-repository.ts';
import { checkpointSignatureProblem } from './audit-signing.ts';

/**
 * What was done to the trail, as far as the evidence tells:
 * - `edited`: an entry's fields no longer match its hash (or its hash was recomputed and the
 *   next entry still links to the old one);
 * - `deleted`: positions are missing, or an entry links to a hash no stored entry has;
 * - `inserted`: entries that the chain does not go through (the next entry links past them);
 * - `reordered`: the entries are all there but their positions were swapped;
 * - `rewritten`: the chain is consistent, but a signed checkpoint says it had another hash at
 *   that position: entries were changed together with every hash after them;
 * - `bad_checkpoint`: a checkpoint's signature does not hold (or not with the trusted key).
 */
export type AuditProblemKind =
  'edited' | 'deleted' | 'inserted' | 'reordered' | 'rewritten' | 'bad_checkpoint';

export interface AuditProblem {
  kind: AuditProblemKind;
  /** The position of the first bad entry (for `deleted`: the first missing position). */
  seq: number;
  /** Row id of the entry named, when there is one. */
  id?: number;
  message: string;
}

/** One checkpoint checked against the chain. */
export interface CheckpointCheck {
  source: 'store' | 'file';
  seq: number;
  at: number;
  keyId: string;
  ok: boolean;
  problem?: string;
}

export interface AuditVerifyReport {
  ok: boolean;
  entries: number;
  /** Position of the last entry verified before the first problem (or of the last entry). */
  verifiedThrough: number;
  head?: AuditHead;
  /** The first bad entry of the chain itself, if any. */
  firstProblem?: AuditProblem;
  /** Every problem found: the chain's first one, then the checkpoints'. */
  problems: AuditProblem[];
  checkpoints: CheckpointCheck[];
  /** Whether checkpoint signatures were checked against a trusted (configured) public key. */
  keyPinned: boolean;
}

export interface AuditVerifyInput {
  /** Every stored entry in (seq, id) order, as stored. */
  entries: AuditRecord[];
  head?: AuditHead;
  /** Checkpoints from the store. */
  checkpoints?: AuditCheckpointRecord[];
  /** Checkpoints kept outside the database (`--from-checkpoint`). */
  external?: AuditCheckpointRecord[];
  /** Entries from an export kept outside the database, compared one by one. */
  exported?: AuditRecord[];
  /** The public key checkpoints must be signed with; without it each one's own key is used. */
  trustedKey?: KeyObject;
  /** Where the entries start (an export's first `prevHash`); default: the genesis. */
  start?: { seq: number; hash: string };
}

/** How many renumbered positions a verifier tries when an entry's hash does not match. */
const RENUMBER_SEARCH = 1000;

/**
 * Recomputes the hash chain and checks the checkpoints. Names the first entry that was edited,
 * deleted, inserted or reordered; a checkpoint from outside the database also catches a rewrite
 * of entries together with every later hash.
 */
export function verifyAuditTrail(input: AuditVerifyInput): AuditVerifyReport {
  const { entries } = input;
  const walk = walkChain(entries, input.head, input.start);
  const problems: AuditProblem[] = walk.problem ? [walk.problem] : [];
  const bySeq = new Map<number, AuditRecord>();
  for (const e of entries.slice(0, walk.goodCount)) bySeq.set(e.seq, e);

  const checkpoints: CheckpointCheck[] = [];
  const all = [
    ...(input.checkpoints ?? []).map((c) => ({ c, source: 'store' as const })),
    ...(input.external ?? []).map((c) => ({ c, source: 'file' as const })),
  ];
  const signatureProblems = all.map(({ c }) => checkpointSignatureProblem(c, input.trustedKey));
  const signed = all.filter((_, i) => signatureProblems[i] === undefined);
  for (const [i, { c, source }] of all.entries()) {
    const check: CheckpointCheck = { source, seq: c.seq, at: c.at, keyId: c.keyId, ok: true };
    checkpoints.push(check);
    const signature = signatureProblems[i];
    if (signature) {
      check.ok = false;
      check.problem = signature;
      problems.push({
        kind: 'bad_checkpoint',
        seq: c.seq,
        message: `checkpoint at seq ${c.seq} (${source}) is not valid: ${signature}`,
      });
      continue;
    }
    if (c.seq > walk.verifiedThrough) {
      // Beyond the verified part: after an earlier break there is nothing to compare with.
      if (walk.problem) {
        check.ok = false;
        check.problem = `the chain breaks before seq ${c.seq}`;
        continue;
      }
      check.ok = false;
      check.problem = `the chain ends at seq ${walk.verifiedThrough}`;
      problems.push({
        kind: 'deleted',
        seq: walk.verifiedThrough + 1,
        message: `entries from seq ${walk.verifiedThrough + 1} to ${c.seq} are missing: a checkpoint (${source}) signed at ${iso(c.at)} covers seq ${c.seq}`,
      });
      continue;
    }
    const at = c.seq === 0 ? undefined : bySeq.get(c.seq);
    const hash = c.seq === 0 ? GENESIS_HASH : at?.hash;
    if (hash !== c.hash) {
      check.ok = false;
      check.problem = `the chain has another hash at seq ${c.seq}`;
      const after = lastGoodCheckpointBefore(signed, c.seq, bySeq, input.start?.seq ?? 0);
      problems.push({
        kind: 'rewritten',
        seq: after + 1,
        message: `entries between seq ${after + 1} and ${c.seq} were rewritten together with their hashes: the chain no longer matches the checkpoint (${source}) signed at ${iso(c.at)}`,
      });
    }
  }

  if (input.exported) {
    const first = exportedMismatch(input.exported, entries);
    if (first) problems.push(first);
  }

  // The first problem names an entry where the evidence allows (edited, deleted, inserted,
  // reordered), the one at the lowest position; a checkpoint's range comes after, an invalid
  // checkpoint last.
  const ordered = [...problems].sort((a, b) => rank(a) - rank(b) || a.seq - b.seq);
  return {
    ok: ordered.length === 0,
    entries: entries.length,
    verifiedThrough: walk.verifiedThrough,
    ...(input.head && { head: input.head }),
    ...(ordered[0] && { firstProblem: ordered[0] }),
    problems: ordered,
    checkpoints,
    keyPinned: input.trustedKey !== undefined,
  };
}

function rank(p: AuditProblem): number {
  return p.kind === 'rewritten' ? 1 : p.kind === 'bad_checkpoint' ? 2 : 0;
}

/** The last position before `seq` that a validly signed checkpoint shows intact. */
function lastGoodCheckpointBefore(
  all: { c: AuditCheckpointRecord }[],
  seq: number,
  bySeq: Map<number, AuditRecord>,
  start: number,
): number {
  let best = start;
  for (const { c } of all) {
    if (c.seq < seq && c.seq > best && bySeq.get(c.seq)?.hash === c.hash) best = c.seq;
  }
  return best;
}

/** Compares entries exported earlier with the stored ones: the first that differs. */
function exportedMismatch(
  exported: AuditRecord[],
  entries: AuditRecord[],
): AuditProblem | undefined {
  const stored = new Map<number, AuditRecord>();
  for (const e of entries) if (!stored.has(e.seq)) stored.set(e.seq, e);
  for (const x of [...exported].sort((a, b) => a.seq - b.seq)) {
    const now = stored.get(x.seq);
    if (!now) {
      return {
        kind: 'deleted',
        seq: x.seq,
        id: x.id,
        message: `entry seq ${x.seq} (id ${x.id}) of the export is no longer stored`,
      };
    }
    if (now.hash !== x.hash || now.prevHash !== x.prevHash) {
      return {
        kind: 'edited',
        seq: x.seq,
        id: now.id,
        message: `entry seq ${x.seq} (id ${now.id}) differs from the exported copy (hash ${short(x.hash)} then, ${short(now.hash)} now)`,
      };
    }
  }
  return undefined;
}

interface Walk {
  /** Entries (from the start) that verified. */
  goodCount: number;
  verifiedThrough: number;
  problem?: AuditProblem;
}

/** Recomputes the chain in order and classifies the first break. */
export function walkChain(
  entries: AuditRecord[],
  head?: AuditHead,
  start: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH },
): Walk {
  const byHash = indexBy(entries, (e) => e.hash);
  const byPrev = indexBy(entries, (e) => e.prevHash);
  let prev = start.hash;
  let expected = start.seq + 1;
  let lastGood = -1;
  const broken = (problem: AuditProblem, goodCount: number): Walk => ({
    goodCount,
    verifiedThrough: expected - 1,
    problem,
  });
  for (let i = 0; i < entries.length; i += 1) {
    const e = entries[i]!;
    const own = hashHolds(e);
    if (e.prevHash === prev) {
      if (own && e.seq === expected) {
        prev = e.hash;
        expected += 1;
        lastGood = i;
        continue;
      }
      if (own && Number.isInteger(e.seq) && e.seq > expected) {
        return broken(deleted(expected, e), i);
      }
      return broken(edited(e, 'its fields no longer match its hash'), i);
    }
    // The link to the last verified entry is broken at e.
    if (head && Number.isSafeInteger(e.seq) && e.seq > head.seq && e.seq >= expected) {
      return broken(
        {
          kind: 'inserted',
          seq: e.seq,
          id: e.id,
          message: `entry seq ${e.seq} (id ${e.id}) was inserted: the chain head records ${head.seq} entries and it does not link to the last one`,
        },
        i,
      );
    }
    const next = byPrev.get(prev)?.find((j) => j > i);
    const target = byHash.get(e.prevHash);
    if (next !== undefined) {
      if (target?.some((k) => k >= i)) {
        const moved = entries[next]!;
        return broken(
          {
            kind: 'reordered',
            seq: e.seq,
            id: e.id,
            message: `entry seq ${e.seq} (id ${e.id}) is out of order: entry id ${moved.id} (now at seq ${moved.seq}) links to seq ${expected - 1} and belongs before it`,
          },
          i,
        );
      }
      return broken(
        {
          kind: 'inserted',
          seq: e.seq,
          id: e.id,
          message: `entry seq ${e.seq} (id ${e.id}) was inserted: the chain continues past it at entry id ${entries[next]!.id}${next - i > 1 ? ` (${next - i} entries inserted)` : ''}`,
        },
        i,
      );
    }
    const earlier = target?.find((k) => k < lastGood);
    if (earlier !== undefined) {
      const forged = entries[earlier + 1]!;
      return broken(
        {
          kind: 'inserted',
          seq: forged.seq,
          id: forged.id,
          message: `entry seq ${forged.seq} (id ${forged.id}) was inserted: entry id ${e.id} links to the entry before it${lastGood - earlier > 1 ? ` (${lastGood - earlier} entries inserted)` : ''}`,
        },
        earlier + 1,
      );
    }
    if (target?.some((k) => k > i)) {
      return broken(
        {
          kind: 'reordered',
          seq: e.seq,
          id: e.id,
          message: `entry seq ${e.seq} (id ${e.id}) is out of order: the entry it links to comes after it`,
        },
        i,
      );
    }
    if (own) {
      if (Number.isInteger(e.seq) && e.seq > expected) return broken(deleted(expected, e), i);
      if (lastGood >= 0) {
        const last = entries[lastGood]!;
        return broken(
          edited(
            last,
            `its hash was recomputed: entry seq ${e.seq} (id ${e.id}) still links to its old hash`,
          ),
          lastGood,
        );
      }
      return broken(edited(e, 'it does not link to the start of the chain'), i);
    }
    const renumbered = renumberedBy(e);
    if (renumbered !== undefined && renumbered > 0) {
      return broken(
        {
          kind: 'deleted',
          seq: expected,
          message: `${renumbered === 1 ? 'the entry' : `${renumbered} entries`} at seq ${expected} ${renumbered === 1 ? 'is' : 'are'} missing and the later entries were renumbered (entry id ${e.id} was seq ${e.seq + renumbered})`,
        },
        i,
      );
    }
    return broken(edited(e, 'its fields and its link no longer match its hash'), i);
  }
  const last = expected - 1;
  if (head) {
    if (head.seq > last) {
      return {
        goodCount: entries.length,
        verifiedThrough: last,
        problem: {
          kind: 'deleted',
          seq: last + 1,
          message: `entries from seq ${last + 1} to ${head.seq} are missing (the chain head records ${head.seq} entries)`,
        },
      };
    }
    if (head.seq < last) {
      const e = entries.find((x) => x.seq === head.seq + 1);
      return {
        goodCount: entries.length,
        verifiedThrough: last,
        problem: {
          kind: 'inserted',
          seq: head.seq + 1,
          ...(e && { id: e.id }),
          message: `entries from seq ${head.seq + 1} to ${last} were not appended through revsync (the chain head records ${head.seq} entries)`,
        },
      };
    }
    if (head.hash !== prev) {
      return {
        goodCount: entries.length,
        verifiedThrough: last,
        problem: {
          kind: 'rewritten',
          seq: 1,
          message: `the chain ends in another hash than the chain head records: entries were rewritten together with their hashes (a checkpoint locates where)`,
        },
      };
    }
  }
  return { goodCount: entries.length, verifiedThrough: last };
}

function hashHolds(e: AuditRecord): boolean {
  try {
    return (
      typeof e.hash === 'string' &&
      typeof e.prevHash === 'string' &&
      Number.isSafeInteger(e.seq) &&
      auditEntryHash(e, e.prevHash) === e.hash
    );
  } catch {
    return false;
  }
}

/** By how many positions an entry was moved down (its hash holds at seq + d), if at all. */
function renumberedBy(e: AuditRecord): number | undefined {
  if (!Number.isSafeInteger(e.seq) || typeof e.prevHash !== 'string') return undefined;
  for (let d = 1; d <= RENUMBER_SEARCH; d += 1) {
    try {
      if (auditEntryHash({ ...e, seq: e.seq + d }, e.prevHash) === e.hash) return d;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function deleted(expected: number, e: AuditRecord): AuditProblem {
  const count = e.seq - expected;
  return {
    kind: 'deleted',
    seq: expected,
    message:
      count === 1
        ? `the entry at seq ${expected} is missing (before entry id ${e.id} at seq ${e.seq})`
        : `entries from seq ${expected} to ${e.seq - 1} are missing (before entry id ${e.id})`,
  };
}

function edited(e: AuditRecord, why: string): AuditProblem {
  return {
    kind: 'edited',
    seq: e.seq,
    id: e.id,
    message: `entry seq ${e.seq} (id ${e.id}) was edited: ${why}`,
  };
}

function indexBy(entries: AuditRecord[], key: (e: AuditRecord) => unknown): Map<string, number[]> {
  const out = new Map<string, number[]>();
  entries.forEach((e, i) => {
    const k = key(e);
    if (typeof k !== 'string') return;
    const list = out.get(k);
    if (list) list.push(i);
    else out.set(k, [i]);
  });
  return out;
}

function short(hash: string): string {
  return typeof hash === 'string' ? hash.slice(0, 12) : String(hash);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
