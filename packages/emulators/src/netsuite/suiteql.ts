import type { EmulatorRequest, EmulatorResponse } from '../kit/index.ts';
import { invalidContent, netsuiteError } from './errors.ts';
import { CONTENT_TYPE, originOf, pageLinks, readPaging } from './paging.ts';
import type { NetsuiteState } from './state.ts';
import { renderSqlValue, runSuiteql } from './suiteql-engine.ts';
import { SuiteqlError } from './suiteql-parser.ts';

/** SuiteQL over REST returns at most this many results. */
export const SUITEQL_MAX_RESULTS = 100_000;

/** What the SuiteQL endpoint needs. */
export interface SuiteqlEndpointOptions {
  state: NetsuiteState;
  now: () => number;
  /** Default {@link SUITEQL_MAX_RESULTS}. */
  maxResults?: number;
}

/**
 * `POST /services/rest/query/v1/suiteql?limit=&offset=` with `Prefer: transient` and body
 * `{"q": "SELECT …"}`. Values come back as text (numbers without trailing zeros, dates as
 * `M/D/YYYY`, booleans `T`/`F`); NULL columns are left out of an item.
 */
export function createSuiteqlHandler(
  options: SuiteqlEndpointOptions,
): (req: EmulatorRequest) => EmulatorResponse {
  const maxResults = options.maxResults ?? SUITEQL_MAX_RESULTS;
  return (req) => {
    if (!/(^|[\s,;])transient($|[\s,;])/i.test(req.headers['prefer'] ?? '')) {
      throw netsuiteError(
        400,
        'INVALID_HEADER',
        "SuiteQL queries need the header 'Prefer: transient'.",
        { 'o:errorHeader': 'Prefer' },
      );
    }
    const body = req.json();
    const q =
      body && typeof body === 'object' && !Array.isArray(body)
        ? (body as { q?: unknown }).q
        : undefined;
    if (typeof q !== 'string' || q.trim() === '') {
      throw invalidContent('The request body needs the SuiteQL query as {"q": "SELECT …"}.', 'q');
    }
    const { limit, offset } = readPaging(req);
    let result;
    try {
      result = runSuiteql(q, options.state, options.now());
    } catch (err) {
      if (!(err instanceof SuiteqlError)) throw err;
      throw netsuiteError(
        400,
        'INVALID_PARAMETER',
        `Invalid search query. Detailed unprocessed description follows. Search error occurred: ${err.message}`,
        { 'o:errorPath': 'q' },
      );
    }
    const total = result.rows.length;
    const end = Math.min(offset + limit, total);
    if (end > maxResults || (offset >= maxResults && total > 0)) {
      throw netsuiteError(
        400,
        'INVALID_PARAMETER',
        `SuiteQL queries return at most ${maxResults} results; this query has ${total}. Narrow it, e.g. with a cursor on lastmodifieddate.`,
        { 'o:errorQueryParam': 'offset' },
      );
    }
    const items = result.rows.slice(offset, end).map((values) => {
      const item: Record<string, unknown> = { links: [] };
      result.columns.forEach((column, i) => {
        const v = renderSqlValue(values[i] ?? null);
        if (v !== null) item[column] = v;
      });
      return item;
    });
    const href = `${originOf(req)}/services/rest/query/v1/suiteql`;
    return {
      status: 200,
      headers: { 'content-type': CONTENT_TYPE.collection },
      body: {
        links: pageLinks(href, req.searchParams, { limit, offset, total }),
        count: items.length,
        hasMore: end < total,
        items,
        offset,
        totalResults: total,
      },
    };
  };
}
