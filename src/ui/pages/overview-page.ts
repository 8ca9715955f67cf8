import type { MetricsSummary, ViewInfo } from '../api-types.ts';
import { lineChart } from '../chart.ts';
import { empty, pageHeader, section } from '../components.ts';
import { h, type Child } from '../dom.ts';
import { clock, count, duration, number } from '../format.ts';
import { throttle } from '../live-events.ts';
import { loadInto, type PageFactory } from '../page.ts';

/** Windows offered above the charts, with 60–96 buckets each; 15 minutes by default. */
const WINDOWS = [
  { window: '5m', bucket: '5s', label: '5 min' },
  { window: '15m', bucket: '15s', label: '15 min' },
  { window: '1h', bucket: '1m', label: '1 hour' },
  { window: '6h', bucket: '5m', label: '6 hours' },
  { window: '24h', bucket: '15m', label: '24 hours' },
] as const;
const DEFAULT_WINDOW = WINDOWS[1];

/**
 * Overview: throughput, latency, retries and failures over time; the queue and open exceptions
 * now; and the business views as cards with their counts. Figures refresh as live events
 * arrive (at most every 3 s; the view counts every 10 s) and every 15 s regardless, so the
 * newest bucket moves on.
 */
export const overviewPage: PageFactory = (ctx) => {
  const chosen = WINDOWS.find((w) => w.window === ctx.query.get('window')) ?? DEFAULT_WINDOW;
  const figures = h('div', { class: 'overview-figures' });
  const cards = h('div', { class: 'view-cards' });
  const updated = h('span', { class: 'updated' });

  const summary = loadInto(
    figures,
    () => ctx.api.metricsSummary(chosen.window, chosen.bucket),
    (data) => {
      ctx.setOpenExceptions(data.openExceptions);
      updated.textContent = `updated ${clock(Date.now(), true)}`;
      return renderFigures(data, chosen.label);
    },
  );
  const views = loadInto(
    cards,
    async () => {
      const { views: list } = await ctx.api.views();
      const results = await Promise.all(
        list.map((v) =>
          ctx.api
            .view(v.name)
            .then((r) => ({ info: v, count: r.rowCount }))
            .catch(() => ({ info: v, count: null })),
        ),
      );
      return results;
    },
    (results) => renderCards(results),
  );

  const refreshSummary = throttle(() => void summary.refresh(), 3000);
  const refreshViews = throttle(() => void views.refresh(), 10_000);
  const stopLive = ctx.onLive((event) => {
    if (event.name === 'step.completed' || event.name === 'step.failed') return;
    refreshSummary();
    refreshViews();
  });
  const stopReconnect = ctx.onReconnect(() => {
    void summary.refresh();
    void views.refresh();
  });
  const timer = setInterval(() => void summary.refresh(), 15_000);

  const windowPicker = h(
    'div',
    { class: 'segmented', role: 'group', 'aria-label': 'Time window' },
    WINDOWS.map((w) =>
      h(
        'a',
        {
          href: w === DEFAULT_WINDOW ? '#/' : `#/?window=${w.window}`,
          class: 'segment',
          'aria-current': w === chosen ? 'true' : undefined,
        },
        w.label,
      ),
    ),
  );

  return {
    title: 'Overview',
    el: h(
      'div',
      { class: 'page overview' },
      pageHeader(
        'Overview',
        h('span', null, `Flow runs over the last ${chosen.label} · `, updated),
        windowPicker,
      ),
      figures,
      section(
        h(
          'span',
          null,
          'Business state ',
          h('a', { href: '#/views', class: 'section-link' }, 'all views →'),
        ),
        cards,
      ),
    ),
    dispose() {
      stopLive();
      stopReconnect();
      refreshSummary.cancel();
      refreshViews.cancel();
      clearInterval(timer);
    },
  };
};

function renderFigures(data: MetricsSummary, label: string): Child {
  const times = data.buckets.map((b) => b.startMs);
  const q = data.queue;
  const active = (q.queued ?? 0) + (q.running ?? 0);
  const tiles: [string, string, string, Child?][] = [
    [
      'throughput',
      'Throughput',
      `${number(data.totals.completedPerMinute)}/min`,
      `${count(data.totals.completed)} runs completed`,
    ],
    [
      'latency',
      'Latency p50 · p95',
      duration(data.totals.p50Ms),
      `p95 ${duration(data.totals.p95Ms)} · created → completed`,
    ],
    [
      'queue',
      'Queue now',
      count(active),
      `${count(q.queued ?? 0)} queued · ${count(q.running ?? 0)} running · ${count(q.waiting ?? 0)} waiting`,
    ],
    [
      'parked',
      'Parked runs',
      count(q.parked ?? 0),
      `${count(data.totals.parked)} parked in ${label}`,
    ],
    [
      'exceptions',
      'Open exceptions',
      count(data.openExceptions),
      h(
        'a',
        { href: '#/exceptions' },
        data.openExceptions > 0 ? 'review the queue →' : 'queue is empty',
      ),
    ],
    [
      'inbox',
      'Inbox',
      count(data.inbox.received),
      `waiting to route · ${count(data.inbox.failed)} poisoned`,
    ],
  ];
  const tone = (id: string) =>
    id === 'exceptions' && data.openExceptions > 0
      ? 'bad'
      : id === 'parked' && (q.parked ?? 0) > 0
        ? 'warn'
        : undefined;
  return [
    h(
      'div',
      { class: 'tiles' },
      tiles.map(([id, title, value, note]) =>
        h(
          'div',
          { class: ['tile', tone(id) && `tile-${tone(id)}`], data: { tile: id } },
          h('div', { class: 'tile-title' }, title),
          h('div', { class: 'tile-value' }, value),
          h('div', { class: 'tile-note' }, note),
        ),
      ),
    ),
    h(
      'div',
      { class: 'charts' },
      lineChart({
        id: 'throughput',
        title: `Completed runs per ${data.bucket}`,
        times,
        series: [
          { name: 'Completed', values: data.buckets.map((b) => b.completed), area: true, tone: 0 },
        ],
        format: (v) => number(v),
        empty: 'No runs completed in this window yet',
      }),
      lineChart({
        id: 'latency',
        title: 'Latency (created → completed)',
        times,
        series: [
          { name: 'p50', values: data.buckets.map((b) => b.p50Ms), tone: 0 },
          { name: 'p95', values: data.buckets.map((b) => b.p95Ms), tone: 1 },
        ],
        format: (v) => duration(v),
        empty: 'No completed runs to measure yet',
      }),
      lineChart({
        id: 'failures',
        title: `Retries, failures and parked per ${data.bucket}`,
        times,
        series: [
          { name: 'Failed attempts', values: data.buckets.map((b) => b.failedAttempts), tone: 3 },
          { name: 'Retries', values: data.buckets.map((b) => b.retries), tone: 1 },
          { name: 'Parked', values: data.buckets.map((b) => b.parked + b.poisoned), tone: 2 },
        ],
        format: (v) => number(v),
        empty: 'No failures in this window',
      }),
    ),
    data.latencySample.truncated
      ? h(
          'p',
          { class: 'hint' },
          `Latency percentiles from the newest ${count(data.latencySample.runs)} completions.`,
        )
      : null,
  ];
}

function renderCards(results: { info: ViewInfo; count: number | null }[]): Child {
  if (results.length === 0) return empty('This server offers no business views.');
  return results.map(({ info, count: n }) =>
    h(
      'a',
      {
        class: [
          'view-card',
          n === null ? 'tone-unknown' : n === 0 ? 'tone-clear' : 'tone-attention',
        ],
        href: `#/views/${encodeURIComponent(info.name)}`,
        data: { view: info.name, count: n ?? undefined },
      },
      h(
        'span',
        { class: 'view-card-count' },
        // Views answer at most 200 rows unless asked for more.
        n === null ? '?' : n >= 200 ? `${count(n)}+` : count(n),
      ),
      h('span', { class: 'view-card-title' }, info.title),
      h(
        'span',
        { class: 'view-card-description' },
        n === 0 ? 'All clear. ' : null,
        info.description,
      ),
    ),
  );
}

/** The business views as cards with their counts (the views page shows the same cards). */
export { renderCards as viewCards };
