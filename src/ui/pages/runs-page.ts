import type { Run } from '../api-types.ts';
import {
  badge,
  correlationLink,
  idLink,
  pageHeader,
  table,
  timeAgo,
  type Column,
} from '../components.ts';
import { h } from '../dom.ts';
import { duration } from '../format.ts';
import { throttle } from '../live-events.ts';
import { loadInto, type PageFactory } from '../page.ts';

const FILTERS = ['status', 'flow', 'entityKey', 'correlationId'] as const;
const STATUSES = [
  '',
  'queued',
  'running',
  'waiting',
  'parked',
  'completed',
  'skipped',
  'cancelled',
];

/** Runs, newest first, filtered by status, flow, customer or correlation id; paged. */
export const runsPage: PageFactory = (ctx) => {
  const values = Object.fromEntries(FILTERS.map((f) => [f, ctx.query.get(f) ?? ''])) as Record<
    (typeof FILTERS)[number],
    string
  >;
  const before = Number(ctx.query.get('before')) || undefined;
  const listEl = h('div', { class: 'stack' });
  const inputs = {
    status: h(
      'select',
      { id: 'runs-status', name: 'status' },
      STATUSES.map((s) =>
        h('option', { value: s, selected: s === values.status }, s || 'any status'),
      ),
    ),
    flow: h('input', {
      id: 'runs-flow',
      name: 'flow',
      value: values.flow,
      placeholder: 'any flow',
    }),
    entityKey: h('input', {
      id: 'runs-entity',
      name: 'entityKey',
      value: values.entityKey,
      placeholder: 'cus_…',
      class: 'mono',
    }),
    correlationId: h('input', {
      id: 'runs-correlation',
      name: 'correlationId',
      value: values.correlationId,
      placeholder: 'evt_…',
      class: 'mono',
    }),
  };
  const hashFor = (extra: Record<string, string | undefined> = {}) => {
    const q = new URLSearchParams();
    for (const f of FILTERS) if (inputs[f].value.trim()) q.set(f, inputs[f].value.trim());
    for (const [k, v] of Object.entries(extra)) if (v) q.set(k, v);
    return `#/runs${q.size ? `?${q}` : ''}`;
  };
  const form = h(
    'form',
    { class: 'filters', on: { submit: (e) => (e.preventDefault(), ctx.navigate(hashFor())) } },
    h('label', { for: 'runs-status' }, 'Status'),
    inputs.status,
    h('label', { for: 'runs-flow' }, 'Flow'),
    inputs.flow,
    h('label', { for: 'runs-entity' }, 'Customer'),
    inputs.entityKey,
    h('label', { for: 'runs-correlation' }, 'Correlation id'),
    inputs.correlationId,
    h('button', { type: 'submit', class: 'button small' }, 'Filter'),
    FILTERS.some((f) => values[f])
      ? h('a', { href: '#/runs', class: 'button small link' }, 'Clear')
      : null,
  );
  const columns: Column<Run>[] = [
    { title: 'Created', cell: (r) => timeAgo(r.createdAt, r.createdAtMs) },
    { title: 'Run', cell: (r) => idLink('runs', r.id) },
    { title: 'Flow', cell: (r) => r.flow },
    { title: 'Status', cell: (r) => badge(r.status) },
    {
      title: 'Step / error',
      className: 'wrap',
      cell: (r) =>
        r.error
          ? [h('span', { class: 'error-code' }, r.error.code), ' ', r.error.message]
          : (r.currentStep ?? ''),
    },
    { title: 'Customer', cell: (r) => idLink('entities', r.entityKey) },
    { title: 'Correlation id', cell: (r) => correlationLink(r.correlationId) },
    { title: 'Duration', numeric: true, cell: (r) => duration(r.durationMs) },
  ];
  const list = loadInto(
    listEl,
    () =>
      ctx.api.runs({
        status: values.status || undefined,
        flow: values.flow || undefined,
        entityKey: values.entityKey || undefined,
        correlationId: values.correlationId || undefined,
        before,
        limit: 50,
      }),
    (data) => [
      table(columns, data.runs, {
        caption: 'Runs',
        hideCaption: true,
        empty: 'No runs match these filters.',
        rowKey: (r) => r.id,
      }),
      h(
        'nav',
        { class: 'pager', 'aria-label': 'Pages' },
        before ? h('a', { href: hashFor(), class: 'button small' }, 'Newest') : null,
        data.nextBefore
          ? h(
              'a',
              { href: hashFor({ before: String(data.nextBefore) }), class: 'button small' },
              'Older →',
            )
          : null,
      ),
    ],
  );
  // Only the first page follows the stream; an older page stays still while it is read.
  const refresh = throttle(() => void list.refresh(), 3000);
  const stop = ctx.onLive((e) => {
    if (
      !before &&
      (e.name === 'run.claimed' || e.name === 'run.completed' || e.name === 'run.parked')
    )
      refresh();
  });
  return {
    title: 'Runs',
    el: h(
      'div',
      { class: 'page' },
      pageHeader(
        'Runs',
        'Flow runs, newest first. Follow a correlation id to see one business change across flows.',
      ),
      h('div', { class: 'list-controls' }, form),
      listEl,
    ),
    dispose() {
      stop();
      refresh.cancel();
    },
  };
};
