import type { FastifyInstance } from 'fastify';

/**
 * The content security policy of everything but the dashboard's page: API responses are data
 * (JSON, Prometheus text, event streams) that a browser should never render as a document that
 * loads, runs or frames anything. The dashboard's page sets its own policy (`dashboard-routes.ts`).
 */
export const API_CONTENT_SECURITY_POLICY =
  "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Headers every response of the server carries (a route may set a stricter one itself). */
export const SECURITY_HEADERS = {
  'content-security-policy': API_CONTENT_SECURITY_POLICY,
  // Content types are meant: no guessing a JSON error body into HTML or a script.
  'x-content-type-options': 'nosniff',
  // Never framed (clickjacking); frame-ancestors says the same to browsers that read CSP.
  'x-frame-options': 'DENY',
  // Paths can hold ids (runs, exceptions, customers): send no referrer to other sites.
  'referrer-policy': 'no-referrer',
} as const;

/**
 * Adds {@link SECURITY_HEADERS} to every response — routes, errors, 404s, the dashboard, webhook
 * routes — keeping a header a route set itself (the dashboard page's own CSP). Streams that take
 * over the response (`/v1/events`) write them themselves.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      if (!reply.hasHeader(name)) reply.header(name, value);
    }
    return payload;
  });
}
