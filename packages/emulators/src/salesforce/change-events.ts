import type { Clock, Route } from '../kit/index.ts';
import { SalesforceError } from './errors.ts';

/** The kinds of record change Change Data Capture reports. */
export type ChangeType = 'CREATE' | 'UPDATE' | 'DELETE' | 'UNDELETE';

/** `ChangeEventHeader` as in a Salesforce change event. */
export interface ChangeEventHeader {
  entityName: string;
  recordIds: string[];
  changeType: ChangeType;
  changeOrigin: string;
  transactionKey: string;
  sequenceNumber: number;
  commitTimestamp: number;
  commitNumber: number;
  commitUser: string;
  changedFields: string[];
  diffFields: string[];
  nulledFields: string[];
}

/** One retained change event. */
export interface ChangeEvent {
  /** Increasing; treat as opaque (pass it back as `replayId` to read what follows). */
  replayId: number;
  /** `/data/AccountChangeEvent`, `/data/Invoice__ChangeEvent`, … */
  channel: string;
  payload: { ChangeEventHeader: ChangeEventHeader } & Record<string, unknown>;
}

/** A record change as the DML layer reports it, before it is committed. */
export interface RecordChange {
  entityName: string;
  recordId: string;
  changeType: ChangeType;
  /** Field values carried by the event (all non-null fields on create/undelete, the changed ones on update). */
  fields: Record<string, unknown>;
  changedFields: string[];
  nulledFields: string[];
}

/** What one committed transaction adds to the log. */
export interface CommitInfo {
  transactionKey: string;
  commitTimestamp: number;
  commitUser: string;
  changeOrigin: string;
}

/** The answer of {@link ChangeEventLog.read}. */
export interface ChangeEventPage {
  events: ChangeEvent[];
  /** Pass back as `replayId` to continue after this page. */
  latestReplayId: number;
  /** More matching events follow (the page was cut by `limit`). */
  hasMore: boolean;
}

/** Retention of change events: 72 hours of emulator time, as Salesforce keeps them. */
export const CHANGE_EVENT_RETENTION_MS = 72 * 3600 * 1000;

/** `Account` → `AccountChangeEvent`; `Invoice__c` → `Invoice__ChangeEvent`. */
export function changeEventName(entityName: string): string {
  return entityName.endsWith('__c')
    ? `${entityName.slice(0, -3)}__ChangeEvent`
    : `${entityName}ChangeEvent`;
}

const CHANNEL = /^\/data\/(ChangeEvents|[A-Za-z][A-Za-z0-9_]*ChangeEvent)$/;

/**
 * The change event stream of the emulated org: every committed create, update, delete and
 * undelete, in commit order, with increasing replay ids; pruned after 72 h of emulator time.
 * Salesforce delivers these over CometD or the Pub/Sub gRPC API; the emulator serves them
 * through `GET /_emulator/cdc/events` instead.
 */
export class ChangeEventLog {
  private events: ChangeEvent[] = [];
  private nextReplayId = 1;
  private nextCommitNumber = 1;
  /** The highest replay id pruned by retention (0 when none). */
  private prunedThrough = 0;

  constructor(private readonly clock: Clock) {}

  /** Appends one transaction's changes, numbered in order. */
  commit(changes: readonly RecordChange[], info: CommitInfo): void {
    if (changes.length === 0) return;
    const commitNumber = this.nextCommitNumber++;
    changes.forEach((c, i) => {
      const header: ChangeEventHeader = {
        entityName: c.entityName,
        recordIds: [c.recordId],
        changeType: c.changeType,
        changeOrigin: info.changeOrigin,
        transactionKey: info.transactionKey,
        sequenceNumber: i + 1,
        commitTimestamp: info.commitTimestamp,
        commitNumber,
        commitUser: info.commitUser,
        changedFields: c.changedFields,
        diffFields: [],
        nulledFields: c.nulledFields,
      };
      this.events.push({
        replayId: this.nextReplayId++,
        channel: `/data/${changeEventName(c.entityName)}`,
        payload: { ChangeEventHeader: header, ...c.fields },
      });
    });
    this.prune();
  }

  /** The replay id of the newest event (0 when none was ever published). */
  latestReplayId(): number {
    return this.nextReplayId - 1;
  }

  /** Retained events (after pruning). */
  retained(): readonly ChangeEvent[] {
    this.prune();
    return this.events;
  }

  /**
   * Events on `channel` after `replayId` (`-1`: none, only the current position; `-2`: all
   * retained), at most `limit`. A replay id older than the retention window is refused with
   * 400 `INVALID_REPLAY_ID`, as Salesforce refuses to replay events it no longer has.
   */
  read(channel: string, replayId: number, limit: number): ChangeEventPage {
    if (!CHANNEL.test(channel)) {
      throw new SalesforceError(
        400,
        'INVALID_CHANNEL',
        `Unknown channel '${channel}': use /data/ChangeEvents or /data/<Entity>ChangeEvent`,
      );
    }
    this.prune();
    const latest = this.latestReplayId();
    if (replayId === -1) return { events: [], latestReplayId: latest, hasMore: false };
    let after = replayId;
    if (replayId === -2) after = this.prunedThrough;
    else if (!Number.isInteger(replayId) || replayId < 0) {
      throw new SalesforceError(
        400,
        'INVALID_REPLAY_ID',
        `The replayId ${replayId} you provided was invalid. Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.`,
      );
    } else if (replayId < this.prunedThrough) {
      throw new SalesforceError(
        400,
        'INVALID_REPLAY_ID',
        `The replayId ${replayId} is older than the 72-hour retention window (events up to ${this.prunedThrough} were discarded); resynchronise, then continue from -1.`,
      );
    }
    const all = channel === '/data/ChangeEvents';
    const events: ChangeEvent[] = [];
    let hasMore = false;
    for (const e of this.events) {
      if (e.replayId <= after || (!all && e.channel !== channel)) continue;
      if (events.length === limit) {
        hasMore = true;
        break;
      }
      events.push(e);
    }
    const last = events[events.length - 1];
    const latestReplayId = hasMore && last ? last.replayId : Math.max(latest, after);
    return { events, latestReplayId, hasMore };
  }

  /** Forgets every event (replay ids restart at 1). */
  clear(): void {
    this.events = [];
    this.nextReplayId = 1;
    this.nextCommitNumber = 1;
    this.prunedThrough = 0;
  }

  private prune(): void {
    const horizon = this.clock.now() - CHANGE_EVENT_RETENTION_MS;
    let n = 0;
    while (
      n < this.events.length &&
      (this.events[n] as ChangeEvent).payload.ChangeEventHeader.commitTimestamp < horizon
    )
      n++;
    if (n === 0) return;
    this.prunedThrough = (this.events[n - 1] as ChangeEvent).replayId;
    this.events = this.events.slice(n);
  }
}

/**
 * `GET /_emulator/cdc/events?channel=/data/AccountChangeEvent&replayId=<after>&limit=N`:
 * the emulator's stand-in for subscribing to Change Data Capture over CometD / Pub/Sub API.
 * `replayId` -1 (default) answers only the current position, -2 replays everything retained.
 */
export function changeEventRoutes(log: ChangeEventLog): Route[] {
  return [
    {
      method: 'GET',
      path: '/_emulator/cdc/events',
      handler: (req) => {
        const channel = req.searchParams.get('channel') ?? '/data/ChangeEvents';
        const replayId = Number(req.searchParams.get('replayId') ?? '-1');
        const limitParam = Number(req.searchParams.get('limit') ?? '100');
        const limit =
          Number.isInteger(limitParam) && limitParam > 0 ? Math.min(limitParam, 1000) : 100;
        return { status: 200, body: log.read(channel, replayId, limit) };
      },
    },
  ];
}
