/**
 * `npm run test:pack`: proves the published packages work on their own. Builds, packs `revsync`
 * and `@revsync/emulators` with `npm pack`, installs both tarballs into an empty directory (no
 * source tree, no dev dependencies, so no tsx), then runs the installed `revsync`:
 *
 *   1. `revsync --help` names every command;
 *   2. `revsync simulate --customers 5 --faults none` ends with the books balanced;
 *   3. `revsync demo` serves the dashboard, its bundle and the API until stopped.
 *
 *   node --import tsx scripts/pack-smoke.ts [--keep]     (--keep: leave the directory behind)
 *
 * The install compiles better-sqlite3 from source when no prebuilt binary can be fetched
 * (about 80 s on a 2-core machine).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const keep = process.argv.includes('--keep');
const dir = mkdtempSync(join(tmpdir(), 'revsync-pack-'));

function step(text: string): void {
  process.stdout.write(`\n==> ${text}\n`);
}

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(`pack smoke: ${message}`);
  process.stdout.write(`  ok: ${message}\n`);
}

async function freePort(): Promise<number> {
  return new Promise((done, failed) => {
    const server = createServer();
    server.once('error', failed);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Runs `revsync demo` until its banner shows, checks the served files, then stops it. */
async function demoSmoke(bin: string): Promise<void> {
  const port = await freePort();
  const child = spawn(bin, ['demo', '--port', String(port), '--faults', 'none'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  try {
    const deadline = Date.now() + 60_000;
    while (!output.includes('press Ctrl-C to stop')) {
      if (child.exitCode !== null) throw new Error(`revsync demo exited early:\n${output}`);
      if (Date.now() > deadline) throw new Error(`revsync demo did not start in 60 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const base = `http://127.0.0.1:${port}`;
    const page = await fetch(`${base}/`);
    check(page.ok && (await page.text()).includes('<html'), 'demo serves the dashboard page');
    const bundle = await fetch(`${base}/ui/app.js`);
    check(bundle.ok && (await bundle.text()).length > 10_000, 'demo serves the built UI bundle');
    const systems = await fetch(`${base}/v1/systems`, {
      headers: { authorization: 'Bearer rsk_demoviewer_revsync-demo-viewer-key-0001' },
    });
    check(systems.ok, `demo API answers /v1/systems (${systems.status})`);
  } finally {
    child.kill('SIGINT');
    const code = await exited;
    check(code === 0, `demo stops cleanly on SIGINT (exit ${code})`);
  }
}

try {
  step('npm run build');
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });

  step(`npm pack → ${dir}`);
  run('npm', ['pack', '--pack-destination', dir], root);
  run('npm', ['pack', '-w', '@revsync/emulators', '--pack-destination', dir], root);
  const tarballs = readdirSync(dir).filter((f) => f.endsWith('.tgz'));
  check(tarballs.length === 2, `two tarballs: ${tarballs.join(', ')}`);

  step('npm install the tarballs into an empty project (compiles better-sqlite3 if needed)');
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'revsync-pack-smoke',
        private: true,
        type: 'module',
        allowScripts: { 'better-sqlite3': true, esbuild: true },
      },
      null,
      2,
    ),
  );
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--omit=dev', ...tarballs.map((t) => `./${t}`)],
    dir,
  );
  const installed = readdirSync(join(dir, 'node_modules'));
  check(!installed.includes('tsx'), 'no tsx in the installed tree (runs compiled JavaScript)');
  const bin = join(dir, 'node_modules', '.bin', 'revsync');

  step("import('revsync/config') from an installed project");
  writeFileSync(
    join(dir, 'config-check.mjs'),
    "const m = await import('revsync/config');\nprocess.stdout.write(Object.keys(m).sort().join(','));\n",
  );
  const exported = run(process.execPath, ['config-check.mjs'], dir).split(',');
  check(
    exported.includes('defineConfig'),
    `revsync/config exports defineConfig (${exported.length} names)`,
  );

  step('revsync --help');
  const help = run(bin, ['--help'], dir);
  for (const command of ['start', 'demo', 'simulate', 'emulate'])
    check(help.includes(command), `--help names ${command}`);

  step('revsync simulate --seed 1 --customers 5 --faults none');
  const simulated = run(
    bin,
    ['simulate', '--seed', '1', '--customers', '5', '--faults', 'none', '--json'],
    dir,
  );
  const result = JSON.parse(simulated) as { passed?: boolean };
  check(result.passed === true, 'the installed simulator ends with the books balanced');

  step('revsync demo');
  await demoSmoke(bin);
  process.stdout.write('\npack smoke passed\n');
} finally {
  if (keep) process.stdout.write(`left ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}
