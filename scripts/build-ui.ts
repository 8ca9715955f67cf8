/**
 * Writes the dashboard's bundle next to the compiled API, for installs without `src/ui`:
 * `dist/ui/app.js`, `app.js.map` and `app.css`. Run after `tsc -p tsconfig.build.json`:
 *
 *   node --import tsx scripts/build-ui.ts [outdir]      (default: dist/ui)
 *
 * `src/api/dashboard-assets.ts` serves these files when `../ui/main.ts` is not next to it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDashboardAssets } from '../src/api/dashboard-assets.ts';

const outdir = resolve(process.argv[2] ?? fileURLToPath(new URL('../dist/ui', import.meta.url)));
const assets = await buildDashboardAssets();
mkdirSync(outdir, { recursive: true });
writeFileSync(join(outdir, 'app.js'), assets.js);
if (assets.map !== undefined) writeFileSync(join(outdir, 'app.js.map'), assets.map);
writeFileSync(join(outdir, 'app.css'), assets.css);
console.log(
  `dashboard bundle: ${outdir}/app.js (${Math.round(assets.js.length / 1024)} KiB), app.css (${Math.round(assets.css.length / 1024)} KiB)`,
);
