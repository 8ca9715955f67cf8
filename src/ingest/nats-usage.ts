import {
  AckPolicy,
  connect,
  DeliverPolicy,
  nanos,
  NatsError,
  StorageType,
  type Consumer,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
} from 'nats';
import type { Logger } from 'pino';
import { coerceError, InvalidEventError } from '../model/revsync-error.ts';
import { UsageRecordInput } from '../model/usage-record.ts';
import type { Store } from '../store/store.ts';
import type { UsageRecordRow } from '../store/usage-repository.ts';

/** Where to read usage from and how much to hold at once. */
export interface NatsUsageOptions {
  store: Store;
  logger: Logger;
  /** Milliseconds since the epoch (the runtime's clock); stamps `received_at`. */
  now?: () => number;
  /** `nats://host:port`, or several comma-separated. */
  servers: string;
  /** The JetStream stream; created (file storage, subjects `[subject]`) when missing. */
  stream: string;
  /** Subject filter of the consumer (default `<stream>.>`). */
  subject?: string;
  /** Durable consumer name (default `revsync-usage`). */
  consumer?: string;
  /** Messages per fetch and per store transaction (default 1000). */
  batchSize?: number;
  /**
   * The consumer's `max_ack_pending` (default twice `batchSize`: one batch being written while
   * the next is fetched). The server delivers no more than this unacknowledged, so memory stays
   * bounded however far behind the ingest is.
   */
  maxAckPending?: number;
  /** The consumer's `ack_wait`: an unacknowledged message comes again after this (default 30 s). */
  ackWaitMs?: number;
  /**
   * How long one fetch waits for a full batch before taking what it has (default and least
   * 1000 ms, the client's minimum). A partial batch waits at most this long to be stored.
   */
  fetchExpiresMs?: number;
}

/** What the ingest has done since it started. */
export interface NatsUsageStats {
  batches: number;
  /** Records stored for the first time. */
  accepted: number;
  /** Records whose (source, dedupe key) was already stored: redeliveries and re-sends. */
  duplicates: number;
  /** Malformed messages: opened as `message` exceptions and terminated on the stream. */
  deadLettered: number;
  /** Batches whose write failed and were handed back to the stream (nak) to come again. */
  failedBatches: number;
}

/** The outcome of storing one batch. */
export interface StoredBatch {
  accepted: number;
  duplicates: number;
  /** Indexes (into the batch) of the messages that were dead-lettered. */
  deadLettered: number[];
}

/** The part of a JetStream message the store needs (a `JsMsg` has it). */
export interface UsageMessage {
  data: Uint8Array;
  subject: string;
  seq: number;
}

export const DEFAULT_CONSUMER = 'revsync-usage';
const DEFAULT_BATCH = 1000;

/**
 * High-volume usage ingest from NATS JetStream: a durable pull consumer with explicit acks.
 *
 * Each fetched batch (at most `batchSize` messages) is validated against the API's usage record
 * schema and written in one store transaction — the records de-duplicated by (source, dedupe
 * key), the malformed messages opened as `message` exceptions — and only after that commit are
 * the messages acknowledged (valid ones `ack`, malformed ones `term`). A crash anywhere before
 * the acks means JetStream redelivers the batch after `ack_wait`, and the de-duplication makes it
 * count once; a bad message never blocks the stream and is never dropped without a trace. A
 * failed write hands the batch back (`nak` with a delay). Back-pressure is the consumer's
 * `max_ack_pending`: the server stops delivering while that many are unacknowledged.
 */
export class NatsUsageIngest {
  readonly stats: NatsUsageStats = {
    batches: 0,
    accepted: 0,
    duplicates: 0,
    deadLettered: 0,
    failedBatches: 0,
  };
  readonly #options: NatsUsageOptions;
  readonly #stream: string;
  readonly #subject: string;
  readonly #name: string;
  readonly #batchSize: number;
  readonly #maxAckPending: number;
  readonly #ackWaitMs: number;
  readonly #expiresMs: number;
  readonly #now: () => number;
  #nc: NatsConnection | undefined;
  #consumer: Consumer | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  #wakeSleep: (() => void) | undefined;

  constructor(options: NatsUsageOptions) {
    this.#options = options;
    this.#stream = options.stream;
    this.#subject = options.subject ?? `${options.stream}.>`;
    this.#name = options.consumer ?? DEFAULT_CONSUMER;
    this.#batchSize = options.batchSize ?? DEFAULT_BATCH;
    this.#maxAckPending = options.maxAckPending ?? 2 * this.#batchSize;
    this.#ackWaitMs = options.ackWaitMs ?? 30_000;
    this.#expiresMs = Math.max(1_000, options.fetchExpiresMs ?? 1_000);
    this.#now = options.now ?? Date.now;
  }

  /** Connects, makes sure the stream and the durable consumer exist, and starts consuming. */
  async start(): Promise<void> {
    if (this.#running) return;
    const nc = await connect({
      servers: this.#options.servers.split(',').map((s) => s.trim()),
      name: `revsync ${this.#name}`,
      maxReconnectAttempts: -1,
    });
    try {
      const jsm = await nc.jetstreamManager();
      await this.#ensureStream(jsm);
      await this.#ensureConsumer(jsm);
      this.#consumer = await nc.jetstream().consumers.get(this.#stream, this.#name);
    } catch (caught) {
      await nc.close();
      throw caught;
    }
    this.#nc = nc;
    this.#running = true;
    this.#loop = this.#run();
    this.#options.logger.info(
      { stream: this.#stream, subject: this.#subject, consumer: this.#name },
      'consuming usage from NATS JetStream',
    );
  }

  /**
   * Stops fetching, stores and acknowledges what was already fetched, then drains the
   * connection (pending acks flushed). Resolves when nothing is left in flight.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#wakeSleep?.();
    await this.#loop;
    await this.#nc?.drain();
    this.#nc = undefined;
  }

  async #ensureStream(jsm: JetStreamManager): Promise<void> {
    try {
      await jsm.streams.info(this.#stream);
    } catch (caught) {
      if (!isNotFound(caught)) throw caught;
      await jsm.streams.add({
        name: this.#stream,
        subjects: [this.#subject],
        storage: StorageType.File,
      });
      this.#options.logger.info(
        { stream: this.#stream, subject: this.#subject },
        'created the usage stream',
      );
    }
  }

  async #ensureConsumer(jsm: JetStreamManager): Promise<void> {
    const limits = { max_ack_pending: this.#maxAckPending, ack_wait: nanos(this.#ackWaitMs) };
    try {
      const info = await jsm.consumers.info(this.#stream, this.#name);
      if (
        info.config.max_ack_pending !== limits.max_ack_pending ||
        info.config.ack_wait !== limits.ack_wait
      ) {
        await jsm.consumers.update(this.#stream, this.#name, limits);
      }
    } catch (caught) {
      if (!isNotFound(caught)) throw caught;
      await jsm.consumers.add(this.#stream, {
        durable_name: this.#name,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: this.#subject,
        ...limits,
      });
    }
  }

  /**
   * Fetch, store, acknowledge — with the next fetch already under way while a batch is written
   * (at most two batches in memory).
   */
  async #run(): Promise<void> {
    let next: Promise<JsMsg[]> | undefined = this.#fetch();
    while (next) {
      const batch = await next;
      next = this.#running ? this.#fetch() : undefined;
      try {
        if (batch.length > 0) await this.#handle(batch);
      } catch (caught) {
        // Whatever was not acknowledged comes again after ack_wait and is de-duplicated then.
        this.#options.logger.error(
          { err: coerceError(caught), stream: this.#stream },
          'acknowledging a usage batch failed',
        );
      }
    }
  }

  async #fetch(): Promise<JsMsg[]> {
    const batch: JsMsg[] = [];
    try {
      const messages = await this.#consumer!.fetch({
        max_messages: this.#batchSize,
        expires: this.#expiresMs,
      });
      for await (const m of messages) batch.push(m);
    } catch (caught) {
      if (!this.#running) return batch;
      this.#options.logger.warn(
        { err: coerceError(caught), stream: this.#stream },
        'fetching usage from NATS failed; trying again',
      );
      await this.#sleep(1_000);
    }
    return batch;
  }

  async #handle(batch: JsMsg[]): Promise<void> {
    let stored: StoredBatch;
    try {
      stored = await storeUsageBatch(this.#options.store, this.#stream, batch, this.#now());
    } catch (caught) {
      // Nothing was committed: hand the batch back; it comes again after the delay.
      this.stats.failedBatches += 1;
      this.#options.logger.error(
        { err: coerceError(caught), stream: this.#stream, messages: batch.length },
        'storing a usage batch failed; it will be redelivered',
      );
      for (const m of batch) m.nak(1_000);
      return;
    }
    const dead = new Set(stored.deadLettered);
    batch.forEach((m, i) => {
      // No reason text: servers before 2.10 do not understand `+TERM <reason>` and would leave it pending.
      if (dead.has(i)) m.term();
      else m.ack();
    });
    this.stats.batches += 1;
    this.stats.accepted += stored.accepted;
    this.stats.duplicates += stored.duplicates;
    this.stats.deadLettered += dead.size;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wakeSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/**
 * Stores one batch of usage messages in one transaction (a group commit): the valid records
 * de-duplicated by (source, dedupe key), each malformed message as an open `message` exception
 * whose id names the stream and sequence (so its redelivery opens no second one). Resolves once
 * durable; the caller acknowledges only then.
 */
export async function storeUsageBatch(
  store: Store,
  stream: string,
  messages: readonly UsageMessage[],
  now: number,
): Promise<StoredBatch> {
  const rows: UsageRecordRow[] = [];
  const bad: { index: number; message: UsageMessage; error: InvalidEventError }[] = [];
  messages.forEach((message, index) => {
    const parsed = parseUsageMessage(message.data);
    if (parsed.ok) rows.push(parsed.row);
    else bad.push({ index, message, error: parsed.error });
  });
  const accepted = await store.grouped(async (trx) => {
    for (const { message, error } of bad) {
      const id = `nats:${stream}:${message.seq}`;
      if (await store.exceptions.get(trx, id)) continue;
      await store.exceptions.open(trx, {
        id,
        kind: 'message',
        runId: null,
        eventSeq: null,
        flow: null,
        entityKey: null,
        stepName: null,
        error: error.toJSON(),
        attempts: 1,
        lastInput: {
          stream,
          subject: message.subject,
          streamSequence: message.seq,
          data: new TextDecoder().decode(message.data),
        },
        correlationId: null,
        createdAt: now,
      });
    }
    return rows.length > 0 ? store.usage.insert(trx, rows, now) : 0;
  });
  return {
    accepted,
    duplicates: rows.length - accepted,
    deadLettered: bad.map((b) => b.index),
  };
}

/** One message's body as a usage record (the `POST /v1/usage` record schema), or why not. */
export function parseUsageMessage(
  data: Uint8Array,
): { ok: true; row: UsageRecordRow } | { ok: false; error: InvalidEventError } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch (caught) {
    return {
      ok: false,
      error: new InvalidEventError(`usage message is not JSON: ${coerceError(caught).message}`),
    };
  }
  const parsed = UsageRecordInput.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      error: new InvalidEventError(
        `usage message is not a usage record: ${parsed.error.issues
          .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
          .join('; ')}`,
        {
          details: parsed.error.issues.map((i) => ({
            path: i.path.join('.'),
            message: i.message,
          })),
        },
      ),
    };
  }
  const r = parsed.data;
  return {
    ok: true,
    row: {
      source: r.source,
      dedupeKey: r.dedupeKey,
      subscriptionItemId: r.subscriptionItemId,
      quantity: r.quantity,
      timestamp: Date.parse(r.timestamp),
    },
  };
}

/** A JetStream API "not found" answer (stream or consumer). */
function isNotFound(caught: unknown): boolean {
  return caught instanceof NatsError && caught.api_error?.code === 404;
}
