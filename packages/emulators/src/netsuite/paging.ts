import type { EmulatorRequest } from '../kit/index.ts';
import { invalidParameter } from './errors.ts';
import { percentEncode } from './oauth.ts';

/** NetSuite's page size limit for record collections and SuiteQL. */
export const MAX_PAGE_SIZE = 1000;

/** `limit` (1–1000, default 1000) and `offset` (≥ 0, default 0) from the query string. */
export function readPaging(req: EmulatorRequest): { limit: number; offset: number } {
  const read = (name: string, fallback: number, min: number, max: number): number => {
    const raw = req.searchParams.get(name);
    if (raw === null || raw === '') return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max) {
      throw invalidParameter(
        `Invalid value for query parameter '${name}': ${raw}. Use an integer from ${min} to ${max}.`,
        name,
      );
    }
    return n;
  };
  return {
    limit: read('limit', MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE),
    offset: read('offset', 0, 0, Number.MAX_SAFE_INTEGER),
  };
}

/** The scheme and host the client used, for absolute `links` and `Location` headers. */
export function originOf(req: EmulatorRequest): string {
  const proto = req.headers['x-forwarded-proto']?.split(',')[0]?.trim() || 'http';
  return `${proto}://${req.headers['host'] ?? 'localhost'}`;
}

/** A collection's `links`: first/previous (past the first page), next/last (when more), self. */
export function pageLinks(
  href: string,
  keep: URLSearchParams,
  page: { limit: number; offset: number; total: number },
): { rel: string; href: string }[] {
  const at = (offset: number): string => {
    const params = new URLSearchParams(keep);
    params.delete('limit');
    params.delete('offset');
    params.set('limit', String(page.limit));
    params.set('offset', String(offset));
    // RFC 3986 encoding (spaces as %20), so a client that signs the link as it is gets it right.
    const query = [...params].map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
    return `${href}?${query}`;
  };
  const links: { rel: string; href: string }[] = [];
  if (page.offset > 0) {
    links.push({ rel: 'first', href: at(0) });
    links.push({ rel: 'previous', href: at(Math.max(0, page.offset - page.limit)) });
  }
  if (page.offset + page.limit < page.total) {
    const last = Math.floor((page.total - 1) / page.limit) * page.limit;
    links.push({ rel: 'next', href: at(page.offset + page.limit) });
    links.push({ rel: 'last', href: at(last) });
  }
  links.push({ rel: 'self', href: at(page.offset) });
  return links;
}

/** Content types of NetSuite REST resources. */
export const CONTENT_TYPE = {
  singular: 'application/vnd.oracle.resource+json; type=singular-resource',
  collection: 'application/vnd.oracle.resource+json; type=collection',
} as const;
