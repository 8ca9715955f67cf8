/**
 * `npm run bench`: every benchmark in one process, printed as a table and written to
 * bench/results/latest.json. Figures are for the machine they ran on; compare ratios measured in
 * the same run rather than absolute numbers across machines.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { benchEndToEnd } from './e2e.bench.ts';
import { benchEngine } from './engine.bench.ts';
import type { Measurement } from './harness.ts';
import { benchInbox } from './inbox.bench.ts';
import { benchRecon } from './recon.bench.ts';
import { benchUsageNats } from './usage-nats.bench.ts';

const suites: [string, () => Promise<Measurement[]>][] = [
  ['inbox', benchInbox],
  ['engine', benchEngine],
  ['e2e', benchEndToEnd],
  ['recon', benchRecon],
  ['usage-nats', benchUsageNats],
];

const only = process.argv.slice(2);
const results: Measurement[] = [];
for (const [name, run] of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`bench ${name}\n`);
  results.push(...(await run()));
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
console.log('\nrevsync benchmarks');
console.log(
  `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}\n`,
);
for (const m of results) {
  const target =
    m.target !== undefined
      ? `  (target ≥ ${fmt(m.target)}: ${m.value >= m.target ? 'met' : 'NOT met'})`
      : m.targetMax !== undefined
        ? `  (target ≤ ${fmt(m.targetMax)}: ${m.value <= m.targetMax ? 'met' : 'NOT met'})`
        : '';
  console.log(`${m.name.padEnd(44)} ${fmt(m.value).padStart(12)} ${m.unit}${target}`);
  for (const [k, v] of Object.entries(m.extra ?? {})) {
    console.log(
      `${''.padEnd(4)}${k.padEnd(40)} ${typeof v === 'number' ? fmt(v).padStart(12) : JSON.stringify(v)}`,
    );
  }
}

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL('./results/latest.json', import.meta.url);
writeFileSync(
  file,
  JSON.stringify(
    {
      at: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model,
        memoryGiB: totalmem() / 2 ** 30,
        node: process.version,
      },
      results,
    },
    null,
    2,
  ) + '\n',
);
console.log(`\nwritten to ${file.pathname}`);
