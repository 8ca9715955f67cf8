import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { reconcile } from '../src/recon/reconcile.ts';
import type { BillingDocument, ErpDocument } from '../src/recon/documents.ts';
import type { DiscrepancyClass } from '../src/recon/report.ts';
import { progress, type Measurement } from './harness.ts';

const PAIRS = Number(process.env.RECON_BENCH_PAIRS ?? 1_000_000);
const PAGE = 1000;
const PERIOD = '2026-11';

/**
 * The discrepancy injected into pair `i` (one pair in a hundred), or none. Each injects exactly
 * one discrepancy of its class.
 */
const INJECTED: DiscrepancyClass[] = [
  'missing_in_erp',
  'amount_mismatch',
  'tax_mismatch',
  'period_mismatch',
  'status_mismatch',
  'duplicate_in_erp', // same external id
  'duplicate_in_erp', // another external id: found by customer + amount + date + memo reference
  'missing_in_billing',
];
const injected = (i: number) => (i % 100 === 37 ? INJECTED[Math.floor(i / 100) % 8] : undefined);
const variant = (i: number) => Math.floor(i / 100) % 8;

const customer = (i: number) => `cus_${i % 25_000}`;
const amount = (i: number) => 1_000 + ((i * 7_919) % 100_000);
const tax = (i: number) => Math.round(amount(i) * 0.08);
const date = (i: number) => `2026-11-${String(1 + (i % 28)).padStart(2, '0')}`;

function billingDoc(i: number): BillingDocument {
  return {
    kind: 'invoice',
    id: `in_${i}`,
    customer: customer(i),
    subsidiary: 'SUB-1',
    currency: 'usd',
    amount: amount(i),
    tax: tax(i),
    period: PERIOD,
    date: date(i),
    reference: `INV-${i}`,
    status: 'paid',
  };
}

function erpDoc(i: number): ErpDocument {
  return {
    kind: 'invoice',
    id: String(1_000_000 + i),
    externalId: `in_${i}`,
    customer: customer(i),
    subsidiary: 'SUB-1',
    currency: 'USD',
    amount: amount(i),
    tax: tax(i),
    period: PERIOD,
    date: date(i),
    memo: `INV-${i} (subscription_cycle)`,
    status: 'paid',
  };
}

/** The ERP documents of pair `i` after its injection. */
function erpDocs(i: number): ErpDocument[] {
  const doc = erpDoc(i);
  switch (injected(i) === undefined ? -1 : variant(i)) {
    case 0:
      return [];
    case 1:
      return [{ ...doc, amount: doc.amount + 1 }];
    case 2:
      return [{ ...doc, tax: doc.tax! + 1 }];
    case 3:
      return [{ ...doc, period: '2026-12' }];
    case 4:
      return [{ ...doc, status: 'open' }];
    case 5:
      return [doc, { ...doc, id: `dup-${i}` }];
    case 6:
      return [doc, { ...doc, id: `legacy-${i}`, externalId: `legacy-${i}`, memo: `Inv INV-${i}` }];
    case 7:
      return [
        doc,
        {
          ...doc,
          id: `manual-${i}`,
          externalId: `manual-${i}`,
          customer: `cus_manual_${i}`,
          memo: 'manual',
        },
      ];
    default:
      return [doc];
  }
}

async function* billingPages(): AsyncIterable<BillingDocument[]> {
  for (let start = 0; start < PAIRS; start += PAGE) {
    const page: BillingDocument[] = [];
    for (let i = start; i < Math.min(PAIRS, start + PAGE); i++) page.push(billingDoc(i));
    yield page;
  }
}

async function* erpPages(): AsyncIterable<ErpDocument[]> {
  for (let start = 0; start < PAIRS; start += PAGE) {
    const page: ErpDocument[] = [];
    for (let i = start; i < Math.min(PAIRS, start + PAGE); i++) page.push(...erpDocs(i));
    yield page;
  }
}

/**
 * One million billing/ERP invoice pairs (RECON_BENCH_PAIRS), generated in-process as pages of
 * 1,000 with 1 % injected discrepancies, through the same matcher `revsync recon` will use. The
 * report must name exactly the injected discrepancies. It runs in a child process of its own,
 * so the peak RSS (`process.resourceUsage().maxRSS`) is the reconciliation's, not that of the
 * suites that ran before it in `npm run bench`.
 */
export async function benchRecon(): Promise<Measurement[]> {
  progress(`${PAIRS.toLocaleString('en-US')} invoice pairs, pages of ${PAGE}, in a child process`);
  const out = execFileSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url)],
    {
      env: { ...process.env, RECON_BENCH_CHILD: '1' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!) as Measurement[];
}

async function measure(): Promise<Measurement[]> {
  const expected: Partial<Record<DiscrepancyClass, number>> = {};
  for (let i = 37; i < PAIRS; i += 100) {
    const cls = injected(i)!;
    expected[cls] = (expected[cls] ?? 0) + 1;
  }
  const rssBeforeMb = process.resourceUsage().maxRSS / 1024;
  const start = process.hrtime.bigint();
  const report = await reconcile(
    { billing: { invoices: billingPages() }, erp: { invoices: erpPages() } },
    { period: PERIOD },
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;

  const found = Object.fromEntries(Object.entries(report.summary).filter(([, n]) => n > 0));
  const total = Object.values(expected).reduce((a, b) => a + b, 0);
  if (JSON.stringify(found) !== JSON.stringify(sortLike(expected, report.summary)))
    throw new Error(
      `recon bench: expected ${JSON.stringify(expected)}, reported ${JSON.stringify(found)}`,
    );
  const scale = PAIRS / 1_000_000;
  return [
    {
      name: 'recon_1m_pairs_seconds',
      value: seconds / scale,
      unit: 's',
      method: `${PAIRS.toLocaleString('en-US')} billing/ERP invoice pairs streamed in pages of ${PAGE} (1 % injected discrepancies, all found, none extra) through reconcile(); scaled to 1M when RECON_BENCH_PAIRS differs`,
      targetMax: 20,
      extra: {
        pairs: PAIRS,
        measured_seconds: seconds,
        pairs_per_s: PAIRS / seconds,
        discrepancies: report.discrepancies.length,
        injected: total,
      },
    },
    {
      name: 'recon_1m_pairs_peak_rss_mb',
      value: peakRssMb,
      unit: 'MB',
      method:
        'maximum resident set size of the process after the reconciliation (process.resourceUsage().maxRSS); not scaled',
      targetMax: 512,
      extra: { pairs: PAIRS, max_rss_before_mb: rssBeforeMb },
    },
  ];
}

/** `expected` in the summary's key order, for comparison. */
function sortLike(
  expected: Partial<Record<DiscrepancyClass, number>>,
  order: Record<DiscrepancyClass, number>,
) {
  return Object.fromEntries(
    Object.keys(order)
      .filter((k) => expected[k as DiscrepancyClass] !== undefined)
      .map((k) => [k, expected[k as DiscrepancyClass]]),
  );
}

if (process.env.RECON_BENCH_CHILD === '1' && process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await measure())}\n`);
}
