/**
 * The webhook → ERP latency of the load harness's invoices, broken into stages from the
 * timestamps the parts already keep: the harness's finalize time, the Stripe emulator's webhook
 * delivery attempts (sent, answered), the engine's store (inbox `received_at` / `routed_at`, run
 * `started_at`, each step's `started_at` / `completed_at`) and the NetSuite emulator's receipt.
 * All processes run on one machine, so their wall clocks agree.
 */
import BetterSqlite3 from 'better-sqlite3';
import { percentile } from '../harness.ts';

/** One webhook delivery as `GET /_emulator/state` of the Stripe emulator lists it. */
export interface DeliveryView {
  payload: { type?: string; data?: { object?: { id?: string } } };
  attempts: { at: number; durationMs: number; status?: number }[];
}

/** Per stage: p50 and p99 over the invoices, ms. */
export type StageBreakdown = Record<string, { p50: number; p99: number; n: number }>;

const STEP_ORDER = [
  'invoice:already-posted',
  'invoice:read',
  'invoice:resolve-customer',
  'invoice:erp-customer',
  'invoice:post',
];

interface RunRow {
  input: string;
  received_at: number;
  routed_at: number | null;
  run_created_at: number;
  started_at: number | null;
  completed_at: number | null;
  run_id: string;
}

/**
 * Stages of each finalized invoice (id → finalize time) that reached the ERP (id → receipt time).
 * `dbFile` is the engine's SQLite file (read while the engine runs: WAL allows it).
 */
export function stageBreakdown(
  dbFile: string,
  finalized: Map<string, number>,
  received: Map<string, number>,
  deliveries: DeliveryView[],
): StageBreakdown {
  const db = new BetterSqlite3(dbFile, { readonly: true, fileMustExist: true });
  try {
    const since = Math.min(...finalized.values());
    const runs = db
      .prepare(
        `select r.input, i.received_at, i.routed_at, r.created_at as run_created_at,
                r.started_at, r.completed_at, r.id as run_id
           from runs r
           join canonical_events c on c.event_id = r.trigger_event_id
           join inbox_events i on i.seq = c.inbox_seq
          where r.flow = 'invoice-to-erp' and r.created_at >= ?`,
      )
      .all(since) as RunRow[];
    const steps = db.prepare(
      'select name, started_at, completed_at from steps where run_id = ? order by position',
    );
    const sent = new Map<string, { at: number; answeredAt: number }>();
    for (const d of deliveries) {
      const id = d.payload.data?.object?.id;
      const ok = d.attempts.find((a) => a.status !== undefined && a.status < 300);
      if (d.payload.type === 'invoice.finalized' && id && ok && !sent.has(id))
        sent.set(id, { at: ok.at, answeredAt: ok.at + ok.durationMs });
    }
    const stages = new Map<string, number[]>();
    const add = (name: string, value: number | undefined) => {
      if (value === undefined || !Number.isFinite(value)) return;
      const list = stages.get(name) ?? [];
      list.push(value);
      stages.set(name, list);
    };
    for (const run of runs) {
      const invoiceId = (JSON.parse(run.input) as { invoiceId?: string }).invoiceId;
      if (!invoiceId) continue;
      const at = finalized.get(invoiceId);
      const erpAt = received.get(invoiceId);
      if (at === undefined || erpAt === undefined) continue;
      const delivery = sent.get(invoiceId);
      add('total: finalize → ERP receipt', erpAt - at);
      add('finalize → webhook sent (emulator)', delivery && delivery.at - at);
      add('webhook sent → received (HTTP, signature)', delivery && run.received_at - delivery.at);
      add('received → 2xx (inbox commit)', delivery && delivery.answeredAt - run.received_at);
      add('received → routed (run created)', (run.routed_at ?? NaN) - run.received_at);
      add('routed → run claimed', (run.started_at ?? NaN) - run.run_created_at);
      if (process.env['BENCH_STAGES_DEBUG'] && (run.started_at ?? 0) - run.run_created_at > 100) {
        const ahead = db
          .prepare(
            `select flow, created_at, started_at, completed_at, status, attempt from runs
              where entity_key = (select entity_key from runs where id = ?)
                and created_at <= ? and (completed_at is null or completed_at >= ?) and id <> ?`,
          )
          .all(run.run_id, run.run_created_at, run.run_created_at, run.run_id);
        process.stderr.write(
          `slow claim ${invoiceId}: created ${run.run_created_at} started ${run.started_at}; active runs of its key: ${JSON.stringify(ahead)}\n`,
        );
      }
      const rows = steps.all(run.run_id) as {
        name: string;
        started_at: number;
        completed_at: number | null;
      }[];
      let prev = run.started_at ?? NaN;
      for (const name of STEP_ORDER) {
        const s = rows.find((r) => r.name === name);
        if (!s) continue;
        add(`before step ${name} (previous checkpoint commit)`, s.started_at - prev);
        if (name === 'invoice:post') {
          add(`step ${name} start → ERP receipt`, erpAt - s.started_at);
        } else {
          add(`step ${name}`, (s.completed_at ?? NaN) - s.started_at);
        }
        prev = s.completed_at ?? NaN;
      }
    }
    const out: StageBreakdown = {};
    for (const [name, values] of stages) {
      out[name] = { p50: percentile(values, 50), p99: percentile(values, 99), n: values.length };
    }
    return out;
  } finally {
    db.close();
  }
}

/** The breakdown as aligned text lines. */
export function formatStages(stages: StageBreakdown): string {
  const width = Math.max(...Object.keys(stages).map((k) => k.length));
  return Object.entries(stages)
    .map(
      ([name, s]) =>
        `    ${name.padEnd(width)}  p50 ${String(s.p50).padStart(5)} ms  p99 ${String(s.p99).padStart(5)} ms  (n ${s.n})`,
    )
    .join('\n');
}
