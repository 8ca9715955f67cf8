import type { ColumnType, ViewResult } from '../api-types.ts';
import {
  badge,
  correlationLink,
  idLink,
  pageHeader,
  table,
  time,
  type Column,
} from '../components.ts';
import { h, type Child } from '../dom.ts';
import { count, isMoney, money, number } from '../format.ts';
import { throttle } from '../live-events.ts';
import { loadInto, type PageFactory } from '../page.ts';
import { viewCards } from './overview-page.ts';

/** Every business view as a card with its count. */
export const viewsPage: PageFactory = (ctx) => {
  const cards = h('div', { class: 'view-cards' });
  const views = loadInto(
    cards,
    async () => {
      const { views: list } = await ctx.api.views();
      return Promise.all(
        list.map((v) =>
          ctx.api
            .view(v.name)
            .then((r) => ({ info: v, count: r.rowCount }))
            .catch(() => ({ info: v, count: null })),
        ),
      );
    },
    (results) => viewCards(results),
  );
  const refresh = throttle(() => void views.refresh(), 10_000);
  const stop = ctx.onLive((e) => {
    if (e.name.startsWith('run.')) refresh();
  });
  return {
    title: 'Business views',
    el: h(
      'div',
      { class: 'page' },
      pageHeader(
        'Business views',
        'What is not yet where it should be, and why — refreshed as runs finish.',
      ),
      cards,
    ),
    dispose() {
      stop();
      refresh.cancel();
    },
  };
};

/** One business view as a table, cells formatted by column type. */
export const viewPage: PageFactory = (ctx) => {
  const name = ctx.params.name!;
  const header = h('div', { class: 'stack' });
  const body = h('div', { class: 'stack' });
  const view = loadInto(
    body,
    () => ctx.api.view(name),
    (result) => {
      header.replaceChildren(
        pageHeader(
          result.title,
          `${result.description} · ${count(result.rowCount)} ${result.rowCount === 1 ? 'row' : 'rows'}`,
          h('a', { href: '#/views', class: 'button small' }, 'All views'),
        ),
      );
      return viewTable(result);
    },
  );
  header.append(pageHeader(name));
  const refresh = throttle(() => void view.refresh(), 5000);
  const stop = ctx.onLive((e) => {
    if (e.name.startsWith('run.')) refresh();
  });
  return {
    title: name,
    el: h('div', { class: 'page' }, header, body),
    dispose() {
      stop();
      refresh.cancel();
    },
  };
};

const NUMERIC: ColumnType[] = ['number', 'money'];

function viewTable(result: ViewResult): HTMLElement {
  const columns: Column<Record<string, unknown>>[] = result.columns.map((c) => ({
    title: c.title,
    numeric: NUMERIC.includes(c.type),
    className:
      c.type === 'json' || c.name === 'reason' || c.name === 'message' ? 'wrap' : undefined,
    cell: (row) => cell(c.name, c.type, row[c.name], row),
  }));
  return table(columns, result.rows, {
    caption: result.title,
    hideCaption: true,
    empty: 'Nothing here: everything this view looks for is where it should be.',
  });
}

/** A cell by the column's type; ids become links to their pages. */
function cell(name: string, type: ColumnType, value: unknown, row: Record<string, unknown>): Child {
  if (value === null || value === undefined || value === '')
    return h('span', { class: 'muted' }, '—');
  switch (type) {
    case 'money':
      return isMoney(value) ? money(value) : JSON.stringify(value);
    case 'timestamp':
      return typeof value === 'string' ? time(value) : String(value);
    case 'number':
      return typeof value === 'number' ? number(value) : String(value);
    case 'boolean':
      return value === true ? 'Yes' : value === false ? 'No' : String(value);
    case 'json':
      return h('code', { class: 'json-inline' }, JSON.stringify(value));
    case 'string':
      break;
  }
  const text = String(value);
  if (name === 'customer' || name === 'entityKey') return idLink('entities', text);
  if (name === 'runId' || name === 'run') return idLink('runs', text);
  if (name === 'exceptionId') return idLink('exceptions', text);
  if (name === 'correlationId') return correlationLink(text);
  if (name === 'status') return badge(text);
  if (name === 'subject' || name === 'invoice') {
    // A subject has no page of its own: it leads to the run working on it, else to its customer.
    const run = typeof row.runId === 'string' ? row.runId : undefined;
    const customer = typeof row.customer === 'string' ? row.customer : undefined;
    const href = run
      ? `#/runs/${encodeURIComponent(run)}`
      : customer
        ? `#/entities/${encodeURIComponent(customer)}`
        : undefined;
    return href
      ? h('a', { href, class: 'mono', title: run ? 'Open the run' : 'Open the customer' }, text)
      : h('span', { class: 'mono' }, text);
  }
  return text;
}
