import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { loadDashboardAssets, type DashboardAssets } from './dashboard-assets.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `dashboard` for the dashboard's static files; API routes leave it unset. */
    surface?: 'dashboard';
  }
}

/** The paths the dashboard is served at (all public: the page holds no data). */
export const DASHBOARD_PATHS = ['/', '/ui/app.js', '/ui/app.js.map', '/ui/app.css'] as const;

// The page loads only its own script and stylesheet and talks only to this origin. Styles are
// set through the CSSOM (allowed), never through style attributes or inline <style>.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const INDEX_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light" />
    <title>revsync</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/ui/app.css" />
    <script type="module" src="/ui/app.js"></script>
  </head>
  <body>
    <div id="app" aria-live="polite">Loading the revsync dashboard…</div>
    <noscript>The revsync dashboard needs JavaScript. The HTTP API is at /v1 (see /v1/openapi.json).</noscript>
  </body>
</html>
`;

export interface DashboardRouteOptions {
  /** Where the assets come from (default: bundle `src/ui`, else read the prebuilt `dist/ui`). */
  load?: () => Promise<DashboardAssets>;
}

/**
 * Serves the dashboard from the API's own process: `GET /` (the page), `GET /ui/app.js` (the
 * browser code bundled with esbuild on first request and then held in memory), its source map
 * and `GET /ui/app.css`. The routes are public — the page holds no data; everything it shows
 * comes from `/v1` with the API key the user signs in with.
 */
export function registerDashboardRoutes(
  app: FastifyInstance,
  options: DashboardRouteOptions = {},
): void {
  const load = options.load ?? (() => loadDashboardAssets());
  let assets: Promise<DashboardAssets> | undefined;
  const current = () => {
    // A failed build is not cached: fixing the source and reloading the page tries again.
    assets ??= load().catch((caught: unknown) => {
      assets = undefined;
      throw caught;
    });
    return assets;
  };
  const config = { access: 'public' as const, surface: 'dashboard' as const };

  app.get('/', { config }, async (_request, reply) => {
    securityHeaders(reply);
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .send(INDEX_HTML);
  });
  const file = (url: string, type: string, pick: (a: DashboardAssets) => string | undefined) => {
    app.get(url, { config }, async (request: FastifyRequest, reply: FastifyReply) => {
      const a = await current();
      const body = pick(a);
      securityHeaders(reply);
      if (body === undefined) {
        return reply.code(404).send({
          error: { code: 'not_found', message: `${url} is not part of this build` },
        });
      }
      reply.header('etag', a.etag).header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === a.etag) return reply.code(304).send();
      return reply.header('content-type', type).send(body);
    });
  };
  file('/ui/app.js', 'text/javascript; charset=utf-8', (a) => a.js);
  file('/ui/app.js.map', 'application/json; charset=utf-8', (a) => a.map);
  file('/ui/app.css', 'text/css; charset=utf-8', (a) => a.css);
}

function securityHeaders(reply: FastifyReply): void {
  reply
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer');
}
