import type { ApiClient } from '../api-client.ts';
import { messageOf } from '../api-client.ts';
import type { CloseBlocker, CloseStatus, ReconRun, ReconRunList } from '../api-types.ts';
import {
  badge,
  correlationLink,
  idLink,
  link,
  notice,
  pageHeader,
  section,
  table,
  time,
} from '../components.ts';
import { count } from '../format.ts';
import { canAct } from '../session.ts';
import { h, type Child } from '../dom.ts';
import { loadInto, type PageFactory } from '../page.ts';

const KIND_LABEL: Record<CloseBlocker['kind'], string> = {
  unposted_document: 'Not posted to the ERP',
  unapplied_payment: 'Payment not applied',
  open_exception: 'Open exception',
  sync_conflict: 'Sync conflict',
  usage_period_open: 'Usage period held back',
  revenue_schedule_mismatch: 'Revenue schedule does not sum',
  discrepancy: 'Discrepancy',
};

const RECORD_PAGE = { exception: 'exceptions', run: 'runs', entity: 'entities' } as const;

/** This month, `YYYY-MM` (UTC, as the books count). */
function currentPeriod(): string {
  return new Date().toISOString().slice(0, 7);
}

/** A blocker: what it is, the record that clears it, and its lineage. */
function blockerItem(b: CloseBlocker): HTMLElement {
  const record: Child = b.record
    ? h(
        'a',
        {
          href: `#/${RECORD_PAGE[b.record.type]}/${encodeURIComponent(b.record.id)}`,
          class: 'button small',
          data: { testid: 'blocker-record' },
        },
        `Open ${b.record.type} ${b.record.id}`,
      )
    : null;
  return h(
    'li',
    { class: 'blocker', data: { kind: b.kind, id: b.id } },
    h(
      'div',
      { class: 'blocker-head' },
      badge(b.kind, KIND_LABEL[b.kind]),
      ' ',
      h('span', { class: 'mono' }, b.id),
      b.inFlight ? h('span', { class: 'muted' }, ' (in flight)') : null,
    ),
    h('p', { class: 'wrap' }, b.message),
    h(
      'div',
      { class: 'blocker-links' },
      record,
      b.correlationId ? h('span', null, ' Lineage: ', correlationLink(b.correlationId)) : null,
      ...(b.runIds ?? []).slice(-3).map((id) => h('span', null, ' ', idLink('runs', id))),
    ),
  );
}

function statusView(status: CloseStatus): HTMLElement {
  const cards = status.subsidiaries.map((s) =>
    h(
      'section',
      {
        class: 'close-subsidiary card',
        data: { subsidiary: s.subsidiary, ready: String(s.ready) },
        'aria-label': `Subsidiary ${s.subsidiary}`,
      },
      h(
        'h2',
        null,
        `Subsidiary ${s.subsidiary} `,
        badge(s.ready ? 'ready' : 'blocked', s.ready ? 'READY' : 'BLOCKED'),
      ),
      s.ready
        ? h('p', { class: 'muted' }, 'Nothing blocks the close of this subsidiary.')
        : h('ul', { class: 'blockers' }, s.blockers.map(blockerItem)),
    ),
  );
  return h(
    'div',
    { class: 'stack' },
    ...status.notes.map((n) => notice('info', n)),
    cards.length > 0
      ? h('div', { class: 'stack' }, cards)
      : section('Subsidiaries', h('p', null, 'No subsidiary has documents in this period.')),
  );
}

/**
 * Downloads a run's CSV: the export needs the API key, so the link fetches it with the key and
 * hands the browser the file (a plain link would be refused without the key).
 */
async function downloadCsv(api: ApiClient, run: ReconRun, link: HTMLAnchorElement): Promise<void> {
  try {
    const { blob, filename } = await api.reconCsv(run.id);
    const url = URL.createObjectURL(blob);
    const save = h('a', { href: url, download: filename, class: 'sr-only' });
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    delete link.dataset.error;
  } catch (caught) {
    link.dataset.error = messageOf(caught);
    link.title = messageOf(caught);
  }
}

/** The latest stored reconciliation of each period, with its CSV export. */
function reconView(api: ApiClient, list: ReconRunList, period: string): HTMLElement {
  const rows = list.latestPerPeriod;
  const running = list.runs.filter((r) => r.status === 'running');
  return h(
    'div',
    { class: 'stack' },
    ...running.map((r) => notice('info', `Reconciling ${r.period} (run ${r.id}) …`)),
    table<ReconRun>(
      [
        {
          title: 'Period',
          cell: (r) =>
            r.period === period
              ? h('strong', null, r.period)
              : link(`#/close?period=${r.period}`, r.period),
        },
        {
          title: 'Result',
          cell: (r) =>
            badge(r.status === 'clean' ? 'ready' : 'blocked', r.status.replace('_', ' ')),
        },
        { title: 'Discrepancies', numeric: true, cell: (r) => count(r.discrepancyCount) },
        {
          title: 'By class',
          className: 'wrap',
          cell: (r) =>
            Object.entries(r.summary)
              .filter(([, n]) => n > 0)
              .map(([cls, n]) => `${cls} ${n}`)
              .join(', ') || '—',
        },
        { title: 'Matched', numeric: true, cell: (r) => count(r.matchedCount) },
        { title: 'Finished', cell: (r) => time(r.finishedAt) },
        { title: 'Started by', cell: (r) => `${r.trigger} (${r.actor})` },
        {
          title: 'Export',
          cell: (r) => {
            const a = h(
              'a',
              {
                href: api.reconCsvUrl(r.id),
                class: 'button small',
                download: '',
                data: { testid: 'recon-csv', run: r.id, period: r.period },
              },
              'CSV',
            );
            a.addEventListener('click', (event) => {
              event.preventDefault();
              void downloadCsv(api, r, a);
            });
            return a;
          },
        },
      ],
      rows,
      {
        caption: 'Latest reconciliation per period',
        empty: 'No reconciliation stored yet.',
        rowKey: (r) => r.period,
      },
    ),
  );
}

/**
 * Month-end close: per subsidiary READY or BLOCKED for the chosen period, each blocker linked to
 * the record that clears it (exception, run, customer) and to its lineage.
 */
export const closePage: PageFactory = (ctx) => {
  const period = ctx.query.get('period') ?? currentPeriod();
  const input = h('input', {
    type: 'month',
    name: 'period',
    value: period,
    'aria-label': 'Accounting period',
  });
  const form = h(
    'form',
    {
      class: 'filters',
      on: {
        submit: (event) => {
          event.preventDefault();
          const value = input.value.trim();
          if (/^\d{4}-\d{2}$/.test(value)) ctx.navigate(`#/close?period=${value}`);
        },
      },
    },
    h('label', null, 'Period ', input),
    h('button', { type: 'submit', class: 'button small' }, 'Show'),
  );
  const body = h('div', { class: 'stack', data: { testid: 'close-status' } });
  const view = loadInto(body, () => ctx.api.close(period), statusView);
  const reconBody = h('div', { class: 'stack', data: { testid: 'recon-runs' } });
  const recon = loadInto(
    reconBody,
    () => ctx.api.reconRuns({ limit: 20 }),
    (list) => reconView(ctx.api, list, period),
  );
  const reconNote = h('span', { class: 'muted', role: 'status', data: { testid: 'recon-note' } });
  const reconcileButton = (repair: boolean) =>
    h(
      'button',
      {
        type: 'button',
        class: 'button small',
        on: {
          click: () =>
            void (async () => {
              reconNote.textContent = '';
              try {
                const run = await ctx.api.startReconRun(period, undefined, repair);
                reconNote.textContent = `Reconciling ${period} (run ${run.id}) …`;
                await recon.refresh();
                for (let i = 0; i < 120; i++) {
                  await new Promise((r) => setTimeout(r, 1_000));
                  const { run: now } = await ctx.api.reconRun(run.id);
                  if (now.status !== 'running') {
                    reconNote.textContent =
                      `${period}: ${now.status} (${now.discrepancyCount} discrepancies)` +
                      (repair && now.discrepancyCount > 0
                        ? ' — repairs started; those above the approval threshold wait in Approvals, the rest in Exceptions'
                        : '');
                    break;
                  }
                }
                await Promise.all([recon.refresh(), view.refresh()]);
              } catch (caught) {
                reconNote.textContent = messageOf(caught);
              }
            })(),
        },
      },
      repair ? `Reconcile and repair ${period}` : `Reconcile ${period} now`,
    );
  const reconcileNow = reconcileButton(false);
  const reconcileAndRepair = reconcileButton(true);
  return {
    title: `Close ${period}`,
    el: h(
      'div',
      { class: 'page' },
      pageHeader(
        `Close ${period}`,
        'Can the period close? What blocks it, per subsidiary — read from the systems on each load.',
        h(
          'button',
          {
            type: 'button',
            class: 'button small',
            on: { click: () => void Promise.all([view.refresh(), recon.refresh()]) },
          },
          'Refresh',
        ),
      ),
      form,
      body,
      section(
        'Reconciliation',
        h(
          'p',
          { class: 'muted' },
          'The latest stored reconciliation of each period (scheduled, from the CLI or started here), with its discrepancies as CSV for auditors. ',
          canAct(ctx.session) ? reconcileNow : null,
          ' ',
          canAct(ctx.session) ? reconcileAndRepair : null,
          ' ',
          reconNote,
        ),
        reconBody,
      ),
    ),
  };
};
