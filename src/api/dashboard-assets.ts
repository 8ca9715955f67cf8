import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The dashboard's static files, held in memory once built or read. */
export interface DashboardAssets {
  /** The bundled browser code (ES module), ending with a `sourceMappingURL` comment when mapped. */
  js: string;
  /** Its source map, when there is one. */
  map: string | undefined;
  css: string;
  /** A short hash of the three files, for `ETag`. */
  etag: string;
}

/** Where the dashboard's sources and its prebuilt bundle live, relative to this module. */
export interface DashboardLocations {
  /** `src/ui/main.ts`: present in a checkout, absent in an installed package. */
  entry: string;
  /** `src/ui/styles.css`. */
  styles: string;
  /** `dist/ui`: where `scripts/build-ui.ts` writes `app.js`, `app.js.map` and `app.css`. */
  prebuilt: string;
}

/**
 * From `src/api/` the sources are `../ui/`; from the compiled `dist/api/` the same relative
 * path is `dist/ui/`, which holds the prebuilt bundle instead (tsc does not copy CSS, and
 * `dist/ui/main.js` is tsc's unbundled output, not something a browser can load).
 */
export const DASHBOARD_LOCATIONS: DashboardLocations = {
  entry: fileURLToPath(new URL('../ui/main.ts', import.meta.url)),
  styles: fileURLToPath(new URL('../ui/styles.css', import.meta.url)),
  prebuilt: fileURLToPath(new URL('../ui/', import.meta.url)),
};

/**
 * Bundles the dashboard with esbuild: `main.ts` and everything it imports into one ES module
 * (type-only imports of the API's schemas vanish), minified, with a linked source map; and the
 * stylesheet, minified. Nothing is written to disk unless `outdir` is given.
 */
export async function buildDashboardAssets(
  locations: Pick<DashboardLocations, 'entry' | 'styles'> = DASHBOARD_LOCATIONS,
  options: { minify?: boolean } = {},
): Promise<DashboardAssets> {
  // Imported here so an installed package serving the prebuilt bundle never loads esbuild.
  const esbuild = await import('esbuild');
  // Output paths are virtual (nothing is written), but the source map's paths are relative to
  // them: `<repo>/ui/app.js` makes them `../src/ui/…`, as a browser's devtools expect.
  const root = resolve(dirname(locations.entry), '..', '..');
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [
      { in: locations.entry, out: 'app' },
      { in: locations.styles, out: 'app' },
    ],
    bundle: true,
    write: false,
    outdir: join(root, 'ui'),
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    minify: options.minify ?? true,
    sourcemap: 'linked',
    sourcesContent: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const file = (name: string) =>
    result.outputFiles.find((f) => f.path === join(root, 'ui', name))?.text;
  const js = file('app.js');
  const css = file('app.css');
  if (js === undefined || css === undefined) {
    throw new Error('esbuild did not produce app.js and app.css');
  }
  return withEtag({ js, map: file('app.js.map'), css });
}

/** Reads a bundle written by `scripts/build-ui.ts`. */
export async function readPrebuiltAssets(dir: string): Promise<DashboardAssets> {
  const [js, map, css] = await Promise.all([
    readFile(`${dir}/app.js`, 'utf8'),
    readFile(`${dir}/app.js.map`, 'utf8').catch(() => undefined),
    readFile(`${dir}/app.css`, 'utf8'),
  ]);
  return withEtag({ js, map, css });
}

/**
 * The dashboard's assets: bundled from `src/ui` when the sources are there (a checkout, `tsx`),
 * else read from the prebuilt `dist/ui` (an installed package). Throws a message naming the
 * build step when neither exists.
 */
export async function loadDashboardAssets(
  locations: DashboardLocations = DASHBOARD_LOCATIONS,
): Promise<DashboardAssets> {
  if (existsSync(locations.entry)) return buildDashboardAssets(locations);
  if (existsSync(`${locations.prebuilt}/app.js`)) return readPrebuiltAssets(locations.prebuilt);
  throw new Error(
    `the dashboard is not built: neither ${locations.entry} nor ${locations.prebuilt}/app.js exists (run "node --import tsx scripts/build-ui.ts" after "tsc")`,
  );
}

function withEtag(files: Omit<DashboardAssets, 'etag'>): DashboardAssets {
  const hash = createHash('sha256')
    .update(files.js)
    .update('\0')
    .update(files.map ?? '')
    .update('\0')
    .update(files.css)
    .digest('base64url')
    .slice(0, 16);
  return { ...files, etag: `"${hash}"` };
}
