import { h, type Child } from './dom.ts';
import { ago, dateTimeOf, json, shortId } from './format.ts';

/** A status as a coloured badge; the colour follows what the status means for finance. */
export function badge(status: string, label = status.replace(/_/g, ' ')): HTMLElement {
  return h('span', { class: ['badge', `tone-${toneOf(status)}`], data: { status } }, label);
}

const TONES: Record<string, string> = {
  completed: 'good',
  resolved: 'good',
  closed: 'good',
  routed: 'good',
  ok: 'good',
  running: 'info',
  queued: 'neutral',
  received: 'neutral',
  retried: 'info',
  resubmitted: 'info',
  waiting: 'warn',
  retrying: 'warn',
  sleeping: 'neutral',
  half_open: 'warn',
  'not started': 'warn',
  parked: 'bad',
  open: 'bad',
  failed: 'bad',
  skipped: 'muted',
  cancelled: 'muted',
};

function toneOf(status: string): string {
  return TONES[status] ?? 'neutral';
}

/** An instant shown local and relative; the ISO value is kept for machines and tooltips. */
export function time(iso: string | null | undefined, ms?: number | null): HTMLElement | string {
  if (!iso) return '—';
  const at = ms ?? Date.parse(iso);
  return h(
    'time',
    { datetime: iso, title: `${iso} (UTC)`, class: 'when' },
    h('span', { class: 'when-local' }, dateTimeOf(at)),
    ' ',
    h('span', { class: 'when-ago' }, `(${ago(at)})`),
  );
}

/** A short relative instant for dense tables: `3 min. ago`, local time in the tooltip. */
export function timeAgo(iso: string | null | undefined, ms?: number | null): HTMLElement | string {
  if (!iso) return '—';
  const at = ms ?? Date.parse(iso);
  return h('time', { datetime: iso, title: dateTimeOf(at) }, ago(at));
}

/** A link inside the dashboard. */
export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href }, ...children);
}

/** An id linked to its page, shortened with the full id as tooltip and for screen readers. */
export function idLink(kind: 'runs' | 'exceptions' | 'entities', id: string | null): Child {
  if (!id) return '—';
  return h(
    'a',
    { href: `#/${kind}/${encodeURIComponent(id)}`, class: 'mono', title: id, 'aria-label': id },
    shortId(id),
  );
}

/** A correlation id linked to every run that carries it. */
export function correlationLink(id: string | null): Child {
  if (!id) return '—';
  return h(
    'a',
    {
      href: `#/runs?correlationId=${encodeURIComponent(id)}`,
      class: 'mono',
      title: `Every run with correlation id ${id}`,
    },
    id,
  );
}

/** Formatted JSON in a scrollable block. */
export function jsonBlock(value: unknown, label?: string): HTMLElement {
  return h(
    'pre',
    { class: 'json', tabindex: 0, ...(label && { 'aria-label': label }) },
    json(value),
  );
}

/** A collapsible JSON block, closed by default. */
export function jsonDetails(summary: string, value: unknown): HTMLElement {
  return h(
    'details',
    { class: 'json-details' },
    h('summary', null, summary),
    jsonBlock(value, summary),
  );
}

/** Label–value pairs. */
export function facts(pairs: [string, Child][]): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    pairs.map(([term, value]) => h('div', null, h('dt', null, term), h('dd', null, value))),
  );
}

/** A placeholder while data loads. */
export function loading(what = 'Loading…'): HTMLElement {
  return h(
    'p',
    { class: 'state state-loading', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    what,
  );
}

/** A visible empty state. */
export function empty(message: string, hint?: string): HTMLElement {
  return h(
    'div',
    { class: 'state state-empty' },
    h('p', null, message),
    hint ? h('p', { class: 'hint' }, hint) : null,
  );
}

/** A visible error state with a retry button. */
export function failure(message: string, retry?: () => void): HTMLElement {
  return h(
    'div',
    { class: 'state state-error', role: 'alert' },
    h('p', null, h('strong', null, 'Could not load this. '), message),
    retry
      ? h('button', { type: 'button', class: 'button', on: { click: retry } }, 'Try again')
      : null,
  );
}

/** A result message: success, failure or information. */
export function notice(kind: 'ok' | 'error' | 'info', ...children: Child[]): HTMLElement {
  return h(
    'div',
    { class: ['notice', `notice-${kind}`], role: kind === 'error' ? 'alert' : 'status' },
    ...children,
  );
}

/** A column of {@link table}. */
export interface Column<Row> {
  /** Header text (or a control, e.g. a select-all checkbox). */
  title: Child;
  /** Right-aligned, tabular figures (counts, money, durations). */
  numeric?: boolean;
  cell(row: Row): Child;
  /** A class for the cells (e.g. `wrap` for long messages). */
  className?: string;
}

/** A data table with a caption; numbers right-aligned; an empty state when there are no rows. */
export function table<Row>(
  columns: Column<Row>[],
  rows: readonly Row[],
  options: { caption: string; empty: string; rowKey?: (row: Row) => string; hideCaption?: boolean },
): HTMLElement {
  if (rows.length === 0) return empty(options.empty);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data' },
      h('caption', { class: options.hideCaption ? 'sr-only' : undefined }, options.caption),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          columns.map((c) =>
            h('th', { scope: 'col', class: c.numeric ? 'num' : undefined }, c.title),
          ),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((row) =>
          h(
            'tr',
            { data: { key: options.rowKey?.(row) } },
            columns.map((c) => h('td', { class: [c.numeric && 'num', c.className] }, c.cell(row))),
          ),
        ),
      ),
    ),
  );
}

/**
 * Asks before an action, in a modal `<dialog>` (focus moves into it and Escape cancels).
 * Resolves true when confirmed.
 */
export function confirmAction(options: {
  title: string;
  body: Child;
  confirm: string;
  danger?: boolean;
}): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { class: 'dialog', 'aria-labelledby': 'dialog-title' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'dialog-title' }, options.title),
        h('div', { class: 'dialog-body' }, options.body),
        h(
          'div',
          { class: 'dialog-actions' },
          h('button', { value: 'cancel', class: 'button', type: 'submit' }, 'Cancel'),
          h(
            'button',
            {
              value: 'confirm',
              class: ['button', options.danger ? 'danger' : 'primary'],
              type: 'submit',
              autofocus: true,
            },
            options.confirm,
          ),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** A page header: title, optional subtitle and actions on the right. */
export function pageHeader(title: Child, subtitle?: Child, actions?: Child): HTMLElement {
  return h(
    'header',
    { class: 'page-header' },
    h(
      'div',
      null,
      h('h1', { tabindex: -1 }, title),
      subtitle ? h('p', { class: 'subtitle' }, subtitle) : null,
    ),
    actions ? h('div', { class: 'page-actions' }, actions) : null,
  );
}

/** A titled section of a page. */
export function section(title: Child, ...children: Child[]): HTMLElement {
  return h('section', { class: 'panel' }, h('h2', null, title), ...children);
}
