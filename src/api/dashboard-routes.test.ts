import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../../test/support/api-harness.ts';
import {
  DASHBOARD_LOCATIONS,
  buildDashboardAssets,
  loadDashboardAssets,
} from './dashboard-assets.ts';

describe('dashboard serving [sqlite]', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiHarness('sqlite');
  });
  afterAll(async () => h.close());

  it('serves the page at / without a key, with a strict content security policy', async () => {
    const res = await h.call(null, 'GET', '/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toContain('<script type="module" src="/ui/app.js"></script>');
    expect(res.body).toContain('href="/ui/app.css"');
  });

  it('bundles src/ui into one script with a source map of the UI’s own files only', async () => {
    const js = await h.call(null, 'GET', '/ui/app.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.body.trimEnd()).toMatch(/\/\/# sourceMappingURL=app\.js\.map$/);
    const etag = js.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await h.app.inject({ url: '/ui/app.js', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);

    const map = await h.call(null, 'GET', '/ui/app.js.map');
    expect(map.statusCode).toBe(200);
    const sources = (map.json() as { sources: string[] }).sources;
    expect(sources).toContain('../src/ui/main.ts');
    // Type-only imports of the API's schemas leave nothing behind: no zod, no server code.
    for (const source of sources) expect(source).toMatch(/^\.\.\/src\/ui\//);

    const css = await h.call(null, 'GET', '/ui/app.css');
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.body).toContain('.chart');
  });

  it('serves nothing at / with dashboard: false, and the API is unchanged', async () => {
    const off = await startApiHarness('sqlite', { dashboard: false });
    try {
      const page = await off.call(null, 'GET', '/');
      expect(page.statusCode).toBe(404);
      expect(page.json()).toMatchObject({ error: { code: 'not_found' } });
      expect((await off.call(null, 'GET', '/ui/app.js')).statusCode).toBe(404);
      expect((await off.call('viewer', 'GET', '/v1/whoami')).json()).toEqual({
        name: 'viewer-key',
        role: 'viewer',
        scopes: null,
      });
    } finally {
      await off.close();
    }
  });
});

describe('dashboard assets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'revsync-dashboard-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the prebuilt bundle when the sources are absent (an installed dist/)', async () => {
    const built = await buildDashboardAssets();
    writeFileSync(join(dir, 'app.js'), built.js);
    writeFileSync(join(dir, 'app.js.map'), built.map ?? '');
    writeFileSync(join(dir, 'app.css'), built.css);
    const loaded = await loadDashboardAssets({
      entry: join(dir, 'main.ts'),
      styles: join(dir, 'styles.css'),
      prebuilt: dir,
    });
    expect(loaded.js).toBe(built.js);
    expect(loaded.css).toBe(built.css);
    expect(loaded.etag).toBe(built.etag);
  });

  it('says how to build the bundle when there is neither source nor bundle', async () => {
    const nowhere = join(dir, 'nothing-here');
    await expect(
      loadDashboardAssets({
        ...DASHBOARD_LOCATIONS,
        entry: join(nowhere, 'main.ts'),
        prebuilt: nowhere,
      }),
    ).rejects.toThrow(/scripts\/build-ui\.ts/);
  });
});
