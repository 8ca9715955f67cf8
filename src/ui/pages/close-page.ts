import type { CloseBlocker, CloseStatus } from '../api-types.ts';
import { badge, correlationLink, idLink, notice, pageHeader, section } from '../components.ts';
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
          { type: 'button', class: 'button small', on: { click: () => void view.refresh() } },
          'Refresh',
        ),
      ),
      form,
      body,
    ),
  };
};
