import type { EmulatorResponse } from '../kit/index.ts';
import type { ApiRequest, ApiRoute, SalesforceContext } from './api-router.ts';
import { SalesforceError } from './errors.ts';
import { runSoql, type SoqlChildResult } from './soql-executor.ts';
import type { SfRecord } from './state.ts';

/** Default and bounds of `Sforce-Query-Options: batchSize=N`. */
export const QUERY_BATCH = { default: 2000, min: 200, max: 2000 } as const;
/**
 * Child records of one parent a subquery returns inline; the rest through the nested result's
 * `nextRecordsUrl`. Salesforce documents no fixed figure (it pages children "if there are many");
 * the emulator uses 200, small enough for tests to reach.
 */
export const CHILD_BATCH = 200;
/** An open query cursor lives 15 minutes after its last use (emulator clock). */
const CURSOR_IDLE_MS = 15 * 60_000;
const MAX_CURSORS = 200;

interface Cursor {
  records: SfRecord[];
  totalSize: number;
  batchSize: number;
  lastUsed: number;
}

/**
 * Open query cursors: a query's rows are fixed when it runs (as a Salesforce query locator
 * snapshots its result), then served `batchSize` at a time through `nextRecordsUrl`.
 */
export class QueryCursors {
  private cursors = new Map<string, Cursor>();
  private counter = 0;

  /** Drops every cursor. */
  clear(): void {
    this.cursors.clear();
  }

  /** Number of open cursors. */
  get size(): number {
    return this.cursors.size;
  }

  /** The first page of a result; opens a cursor when more pages follow. */
  first(
    records: SfRecord[],
    totalSize: number,
    batchSize: number,
    now: number,
    version: string,
  ): EmulatorResponse {
    if (records.length <= batchSize) return this.page(records, totalSize, undefined, version);
    const id = `01g${String(++this.counter).padStart(12, '0')}`;
    this.cursors.set(id, { records, totalSize, batchSize, lastUsed: now });
    if (this.cursors.size > MAX_CURSORS)
      this.cursors.delete(this.cursors.keys().next().value as string);
    return this.page(records.slice(0, batchSize), totalSize, `${id}-${batchSize}`, version);
  }

  /**
   * A subquery's nested result for one parent: every child inline up to {@link CHILD_BATCH},
   * else the first batch and a cursor for the rest (read like any query locator).
   */
  children(records: SfRecord[], now: number, version: string): SoqlChildResult {
    return this.first(records, records.length, CHILD_BATCH, now, version).body as SoqlChildResult;
  }

  /** The page at a locator (`01g…-2000`). */
  next(locator: string, now: number, version: string): EmulatorResponse {
    const m = /^(01g\w+)-(\d+)$/.exec(locator);
    const cursor = m ? this.cursors.get(m[1] as string) : undefined;
    if (!m || !cursor || now - cursor.lastUsed > CURSOR_IDLE_MS) {
      if (m) this.cursors.delete(m[1] as string);
      throw new SalesforceError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    }
    cursor.lastUsed = now;
    const start = Number(m[2]);
    const end = start + cursor.batchSize;
    const more = end < cursor.records.length;
    if (!more) this.cursors.delete(m[1] as string);
    return this.page(
      cursor.records.slice(start, end),
      cursor.totalSize,
      more ? `${m[1]}-${end}` : undefined,
      version,
    );
  }

  private page(
    records: SfRecord[],
    totalSize: number,
    locator: string | undefined,
    version: string,
  ): EmulatorResponse {
    return {
      status: 200,
      body: {
        totalSize,
        done: locator === undefined,
        ...(locator !== undefined && {
          nextRecordsUrl: `/services/data/v${version}/query/${locator}`,
        }),
        records,
      },
    };
  }
}

function batchSizeOf(req: ApiRequest): number {
  const m = /batchSize\s*=\s*(\d+)/i.exec(req.headers['sforce-query-options'] ?? '');
  if (!m) return QUERY_BATCH.default;
  return Math.min(QUERY_BATCH.max, Math.max(QUERY_BATCH.min, Number(m[1])));
}

/** `GET /query?q=`, `GET /queryAll?q=` and their `nextRecordsUrl` pages. */
export function queryRoutes(ctx: SalesforceContext, cursors: QueryCursors): ApiRoute[] {
  const run = (req: ApiRequest, includeDeleted: boolean): EmulatorResponse => {
    const soql = req.searchParams.get('q');
    if (req.searchParams.has('explain')) {
      throw new SalesforceError(
        400,
        'MALFORMED_QUERY',
        'explain is not supported by the Salesforce emulator',
      );
    }
    if (!soql)
      throw new SalesforceError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
    const now = ctx.clock.now();
    const result = runSoql(soql, {
      state: ctx.state,
      version: req.version,
      includeDeleted,
      now,
      pageChildren: (records) => cursors.children(records, now, req.version),
    });
    return cursors.first(result.records, result.totalSize, batchSizeOf(req), now, req.version);
  };
  const more = (req: ApiRequest): EmulatorResponse =>
    cursors.next(req.params['locator'] ?? '', ctx.clock.now(), req.version);
  return [
    { method: 'GET', path: '/query', handler: (req) => run(req, false) },
    { method: 'GET', path: '/queryAll', handler: (req) => run(req, true) },
    { method: 'GET', path: '/query/:locator', handler: more },
    { method: 'GET', path: '/queryAll/:locator', handler: more },
  ];
}
