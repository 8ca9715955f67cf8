import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { GENESIS_HASH } from '../store/audit-chain.ts';
import type { AuditCheckpointRecord } from '../store/audit-checkpoint-repository.ts';
import type { Store } from '../store/store.ts';
import { checkpointFile } from './audit-files.ts';
import {
  checkpointSignatureProblem,
  signCheckpoint,
  type AuditSigningKey,
} from './audit-signing.ts';
import { walkChain } from './audit-verifier.ts';

/** When to write a checkpoint: after this many new entries, or this many minutes. */
export interface CheckpointEvery {
  entries: number;
  minutes: number;
}

export const DEFAULT_CHECKPOINT_EVERY: CheckpointEvery = { entries: 1000, minutes: 60 };

export interface AuditCheckpointerOptions {
  store: Store;
  key: AuditSigningKey;
  every?: Partial<CheckpointEvery>;
  clock?: { now(): number };
  /** Also write each checkpoint as `checkpoint-<seq>.json` into this directory. */
  dir?: string;
  logger?: Logger;
  /** How often the chain head is looked at (default 5 s). */
  pollMs?: number;
}

/**
 * Writes a signed checkpoint of the audit chain every N entries or M minutes (whichever comes
 * first, noticed at the next poll) — only when there are new entries, and only after the
 * entries since the last checkpoint verified: a checkpoint never vouches for a broken chain.
 * Several workers may run one each; a position is checkpointed once.
 */
export class AuditCheckpointer {
  readonly #o: AuditCheckpointerOptions;
  readonly #every: CheckpointEvery;
  readonly #clock: { now(): number };
  readonly #startedAt: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(options: AuditCheckpointerOptions) {
    this.#o = options;
    this.#every = { ...DEFAULT_CHECKPOINT_EVERY, ...options.every };
    this.#clock = options.clock ?? { now: () => Date.now() };
    this.#startedAt = this.#clock.now();
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#running) return;
      this.#running = this.tick()
        .catch((caught: unknown) =>
          this.#o.logger?.error({ err: caught }, 'audit checkpoint failed'),
        )
        .finally(() => (this.#running = undefined));
    }, this.#o.pollMs ?? 5_000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** Writes a checkpoint if N entries or M minutes have passed since the last one. */
  async tick(): Promise<AuditCheckpointRecord | undefined> {
    const { store } = this.#o;
    const [head, last] = await Promise.all([
      store.audit.head(store.db),
      store.auditCheckpoints.latest(store.db),
    ]);
    if (!head || head.seq <= (last?.seq ?? 0)) return undefined;
    const since = last?.at ?? this.#startedAt;
    const due =
      head.seq - (last?.seq ?? 0) >= this.#every.entries ||
      this.#clock.now() - since >= this.#every.minutes * 60_000;
    return due ? this.checkpoint() : undefined;
  }

  /**
   * Writes a checkpoint at the chain head now (unless the head is already checkpointed) and
   * returns the latest checkpoint. Throws if the entries since the last checkpoint do not verify.
   */
  async checkpoint(): Promise<AuditCheckpointRecord | undefined> {
    const { store } = this.#o;
    const last = await store.auditCheckpoints.latest(store.db);
    const head = await store.audit.head(store.db);
    if (!head || head.seq === 0 || head.seq <= (last?.seq ?? 0)) return last;
    // Verify from the last checkpoint only if it is our own; else from the start.
    const trusted = last && !checkpointSignatureProblem(last, this.#o.key.publicKey);
    const from = trusted ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: GENESIS_HASH };
    const entries = (await store.audit.chain(store.db, { fromSeq: from.seq + 1 })).filter(
      (e) => e.seq <= head.seq,
    );
    const walk = walkChain(entries, head, from);
    if (walk.problem) {
      throw new Error(
        `the audit chain does not verify, no checkpoint written: ${walk.problem.message}`,
      );
    }
    const checkpoint = signCheckpoint(this.#o.key, {
      seq: head.seq,
      hash: head.hash,
      at: this.#clock.now(),
    });
    if (await store.auditCheckpoints.insert(store.db, checkpoint)) {
      if (this.#o.dir) {
        mkdirSync(this.#o.dir, { recursive: true });
        writeFileSync(
          join(this.#o.dir, `checkpoint-${checkpoint.seq}.json`),
          `${JSON.stringify(checkpointFile(checkpoint), null, 2)}\n`,
        );
      }
      this.#o.logger?.info({ seq: checkpoint.seq, keyId: checkpoint.keyId }, 'audit checkpoint');
    }
    return store.auditCheckpoints.latest(store.db);
  }
}
