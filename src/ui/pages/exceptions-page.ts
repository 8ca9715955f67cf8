import { messageOf } from '../api-client.ts';
import type { ExceptionRecord } from '../api-types.ts';
import {
  badge,
  confirmAction,
  idLink,
  notice,
  pageHeader,
  table,
  timeAgo,
  type Column,
} from '../components.ts';
import { h, replaceChildren } from '../dom.ts';
import { count, plural } from '../format.ts';
import { throttle } from '../live-events.ts';
import { loadInto, type PageFactory } from '../page.ts';
import { canAct } from '../session.ts';

const STATUSES = ['open', 'retried', 'resubmitted', 'skipped', 'resolved', 'all'] as const;
const LIMIT = 200;

/**
 * The exception queue: filter by status and flow; operators select open rows and retry them
 * together. The list follows the live stream (a run parks, a retried run is picked up).
 */
export const exceptionsPage: PageFactory = (ctx) => {
  const status = (STATUSES as readonly string[]).includes(ctx.query.get('status') ?? '')
    ? ctx.query.get('status')!
    : 'open';
  const flow = ctx.query.get('flow') ?? '';
  const operator = canAct(ctx.session);
  const selected = new Set<string>();
  const flows = new Set<string>(flow ? [flow] : []);
  const messages = h('div', { class: 'messages' });
  const listEl = h('div', { class: 'stack' });
  const toolbar = h('div', { class: 'toolbar' });
  let rows: ExceptionRecord[] = [];

  const flowList = h('datalist', { id: 'flow-names' });
  const statusSelect = h(
    'select',
    { id: 'filter-status', name: 'status' },
    STATUSES.map((s) =>
      h('option', { value: s, selected: s === status }, s === 'all' ? 'all statuses' : s),
    ),
  );
  const flowInput = h('input', {
    id: 'filter-flow',
    name: 'flow',
    list: 'flow-names',
    value: flow,
    placeholder: 'any flow',
    autocomplete: 'off',
  });
  const apply = () => {
    const q = new URLSearchParams();
    if (statusSelect.value !== 'open') q.set('status', statusSelect.value);
    if (flowInput.value.trim()) q.set('flow', flowInput.value.trim());
    ctx.navigate(`#/exceptions${q.size ? `?${q}` : ''}`);
  };
  statusSelect.addEventListener('change', apply);
  const filters = h(
    'form',
    { class: 'filters', on: { submit: (e) => (e.preventDefault(), apply()) } },
    h('label', { for: 'filter-status' }, 'Status'),
    statusSelect,
    h('label', { for: 'filter-flow' }, 'Flow'),
    flowInput,
    flowList,
    h('button', { type: 'submit', class: 'button small' }, 'Filter'),
    flow || status !== 'open'
      ? h('a', { href: '#/exceptions', class: 'button small link' }, 'Clear')
      : null,
  );

  const retrySelected = h(
    'button',
    { type: 'button', class: 'button primary small', disabled: true },
    'Retry selected',
  );
  const updateToolbar = () => {
    retrySelected.disabled = selected.size === 0;
    retrySelected.textContent =
      selected.size === 0 ? 'Retry selected' : `Retry selected (${count(selected.size)})`;
  };
  retrySelected.addEventListener('click', () => {
    const ids = [...selected];
    void confirmAction({
      title: `Retry ${plural(ids.length, 'exception')}?`,
      body: h(
        'p',
        null,
        'Each parked run goes back to the queue unchanged, from its failing step. Completed steps are not repeated.',
      ),
      confirm: `Retry ${count(ids.length)}`,
    }).then(async (ok) => {
      if (!ok) return;
      retrySelected.disabled = true;
      try {
        const result = await ctx.api.retryMany(ids);
        selected.clear();
        const failures = result.results.filter((r) => !r.ok);
        replaceChildren(
          messages,
          notice(
            failures.length ? 'error' : 'ok',
            `Retried ${plural(result.retried, 'exception')}${failures.length ? `; ${count(result.failed)} could not be retried:` : '.'}`,
            failures.length
              ? h(
                  'ul',
                  null,
                  failures.map((f) =>
                    h('li', null, h('span', { class: 'mono' }, f.id), `: ${f.error ?? 'failed'}`),
                  ),
                )
              : null,
          ),
        );
      } catch (caught) {
        replaceChildren(messages, notice('error', `Bulk retry failed: ${messageOf(caught)}`));
      }
      await list.refresh();
      updateToolbar();
    });
  });
  if (operator && status === 'open') toolbar.append(retrySelected);

  const render = (data: { exceptions: ExceptionRecord[] }) => {
    rows = data.exceptions;
    for (const id of [...selected])
      if (!rows.some((r) => r.id === id && r.status === 'open')) selected.delete(id);
    for (const r of rows) if (r.flow) flows.add(r.flow);
    flowList.replaceChildren(...[...flows].sort().map((f) => h('option', { value: f })));
    // The navigation's count is of every open exception: only an unfiltered list knows it.
    if (status === 'open' && !flow && rows.length < LIMIT) ctx.setOpenExceptions(rows.length);
    updateToolbar();
    const columns: Column<ExceptionRecord>[] = [];
    if (operator && status === 'open') {
      const all = h('input', {
        type: 'checkbox',
        'aria-label': 'Select every exception shown',
        checked: rows.length > 0 && rows.every((r) => selected.has(r.id)),
        data: { focus: 'select-all' },
        on: {
          change: (e) => {
            const on = (e.target as HTMLInputElement).checked;
            for (const r of rows) {
              if (on) selected.add(r.id);
              else selected.delete(r.id);
            }
            void list.refreshFromCache();
          },
        },
      });
      columns.push({
        title: all,
        className: 'select',
        cell: (r) =>
          h('input', {
            type: 'checkbox',
            checked: selected.has(r.id),
            'aria-label': `Select ${r.id}`,
            data: { focus: `select-${r.id}` },
            on: {
              change: (e) => {
                if ((e.target as HTMLInputElement).checked) selected.add(r.id);
                else selected.delete(r.id);
                all.checked = rows.every((x) => selected.has(x.id));
                updateToolbar();
              },
            },
          }),
      });
    }
    columns.push(
      { title: 'Opened', cell: (r) => timeAgo(r.createdAt, r.createdAtMs) },
      {
        title: 'Flow',
        cell: (r) =>
          r.flow ??
          (r.kind === 'event'
            ? 'event routing'
            : r.kind === 'discrepancy'
              ? 'reconciliation'
              : r.kind === 'message'
                ? 'stream ingest'
                : '—'),
      },
      { title: 'Step', cell: (r) => (r.step ? h('span', { class: 'mono' }, r.step) : '—') },
      {
        title: 'Error',
        className: 'wrap',
        cell: (r) =>
          h(
            'div',
            null,
            h('span', { class: 'error-code' }, r.errorCode),
            ' ',
            h(
              'a',
              { href: `#/exceptions/${encodeURIComponent(r.id)}`, data: { focus: `open-${r.id}` } },
              r.message,
            ),
          ),
      },
      { title: 'Customer', cell: (r) => idLink('entities', r.entityKey) },
      { title: 'Attempts', numeric: true, cell: (r) => count(r.attempts) },
      { title: 'Status', cell: (r) => badge(r.status) },
    );
    const tableEl = table(columns, rows, {
      caption: `${status === 'all' ? 'All' : status[0]!.toUpperCase() + status.slice(1)} exceptions${flow ? ` of ${flow}` : ''}`,
      hideCaption: true,
      empty:
        status === 'open'
          ? 'No open exceptions. Every run that failed for good has been handled.'
          : 'No exceptions match these filters.',
      rowKey: (r) => r.id,
    });
    return rows.length >= LIMIT
      ? [
          tableEl,
          h(
            'p',
            { class: 'hint' },
            `Showing the newest ${count(LIMIT)}; filter by flow to see others.`,
          ),
        ]
      : tableEl;
  };

  const loader = loadInto(
    listEl,
    () => ctx.api.exceptions({ status, flow: flow || undefined, limit: LIMIT }),
    render,
  );
  const list = {
    refresh: loader.refresh,
    // Re-renders the rows already loaded (selection changes) without asking the API again.
    refreshFromCache: async () => replaceChildren(listEl, render({ exceptions: rows })),
  };
  const refresh = throttle(() => void list.refresh(), 3000);
  const stop = ctx.onLive((e) => {
    if (
      e.name === 'run.parked' ||
      e.name === 'run.claimed' ||
      e.name === 'event.poisoned' ||
      e.name === 'run.completed'
    )
      refresh();
  });
  const stopReconnect = ctx.onReconnect(() => void list.refresh());

  return {
    title: 'Exceptions',
    el: h(
      'div',
      { class: 'page' },
      pageHeader(
        'Exception queue',
        'Runs that failed for good and events no flow could take. Retry, skip with a reason, or edit the input and resubmit.',
      ),
      h('div', { class: 'list-controls' }, filters, toolbar),
      messages,
      listEl,
    ),
    dispose() {
      stop();
      stopReconnect();
      refresh.cancel();
    },
  };
};
