import type { Connection } from '../api-types.ts';
import { badge, empty, pageHeader, timeAgo } from '../components.ts';
import { h, type Child } from '../dom.ts';
import { count, number } from '../format.ts';
import { loadInto, type PageFactory } from '../page.ts';
import { roleOf, systemName } from '../systems.ts';

/**
 * Outbound connections: circuit state, the governor's in-flight and queued calls, rate-limit
 * use, what the vendor reports about its own limits, calls and failures, the last error.
 * Refreshed every 5 s (these figures change without engine events).
 */
export const connectionsPage: PageFactory = (ctx) => {
  const body = h('div', { class: 'stack' });
  // Calls granted per second, measured between two refreshes of the page.
  const previous = new Map<string, { granted: number; at: number }>();
  const list = loadInto(
    body,
    () => ctx.api.connections(),
    (data) => {
      const now = Date.now();
      const cards = data.connections.map((c) => {
        const before = previous.get(c.name);
        previous.set(c.name, { granted: c.governor.granted, at: now });
        const rate =
          before && now > before.at
            ? ((c.governor.granted - before.granted) * 1000) / (now - before.at)
            : null;
        return card(c, rate);
      });
      return cards.length === 0
        ? empty('No outbound connections: this server runs without a gateway.')
        : h('div', { class: 'connection-cards' }, cards);
    },
  );
  const timer = setInterval(() => void list.refresh(), 5000);
  return {
    title: 'Connections',
    el: h(
      'div',
      { class: 'page' },
      pageHeader(
        'Connections',
        'Each outbound API account: circuit breaker, governor (rate and concurrency), vendor-reported usage. Refreshes every 5 s.',
      ),
      body,
    ),
    dispose: () => clearInterval(timer),
  };
};

function card(c: Connection, rate: number | null): HTMLElement {
  const g = c.governor;
  const queued = g.queued.critical + g.queued.high + g.queued.normal + g.queued.low;
  const failureRate = c.calls > 0 ? (c.failures / c.calls) * 100 : 0;
  const usage = c.reportedUsage;
  return h(
    'article',
    { class: ['connection', `circuit-${c.circuit.state}`], data: { connection: c.name } },
    h(
      'header',
      null,
      h(
        'h2',
        null,
        systemName(c.system),
        h('span', { class: 'xref-role' }, roleOf(c.system) ?? ''),
      ),
      h('span', { class: 'mono muted' }, c.name),
      h(
        'span',
        { class: 'connection-circuit' },
        'circuit ',
        badge(
          c.circuit.state === 'closed' ? 'closed' : c.circuit.state,
          c.circuit.state.replace('_', '-'),
        ),
      ),
    ),
    c.circuit.state !== 'closed'
      ? h(
          'p',
          { class: 'notice notice-error' },
          `Open after ${count(c.circuit.consecutiveFailures)} failures in a row`,
          c.circuit.retryAt
            ? [', next try ', timeAgo(c.circuit.retryAt, c.circuit.retryAtMs)]
            : null,
          '. Runs that need it wait; they resume by themselves.',
        )
      : null,
    h(
      'div',
      { class: 'meters' },
      meter(
        'In flight',
        g.inFlight,
        g.maxConcurrent,
        g.maxConcurrent === null
          ? `${count(g.inFlight)} (no limit)`
          : `${count(g.inFlight)} of ${count(g.maxConcurrent)}`,
      ),
      g.ratePerSecond !== null
        ? meter(
            'Rate-limit use',
            rate ?? 0,
            g.ratePerSecond,
            rate === null
              ? `measuring… (limit ${number(g.ratePerSecond)}/s)`
              : `${number(rate)}/s of ${number(g.ratePerSecond)}/s`,
          )
        : null,
      usage
        ? meter(
            'Vendor-reported usage',
            usage.used,
            usage.limit,
            `${count(usage.used)} of ${count(usage.limit)} (${number((usage.used / Math.max(1, usage.limit)) * 100)}%)`,
          )
        : null,
    ),
    h(
      'dl',
      { class: 'facts compact' },
      pair(
        'Queued',
        queued === 0
          ? '0'
          : `${count(queued)} (critical ${g.queued.critical}, high ${g.queued.high}, normal ${g.queued.normal}, low ${g.queued.low})`,
      ),
      pair('Rate limit', g.ratePerSecond === null ? 'none' : `${number(g.ratePerSecond)}/s`),
      pair(
        'Paused (Retry-After)',
        g.pausedUntil && (g.pausedUntilMs ?? 0) > Date.now()
          ? ['until ', timeAgo(g.pausedUntil, g.pausedUntilMs)]
          : 'no',
      ),
      pair('Granted', count(g.granted)),
      pair('Calls', count(c.calls)),
      pair('Failures', `${count(c.failures)} (${number(failureRate)}%)`),
      pair('Circuit opened', `${count(c.circuit.opens)} times`),
      pair('Usage reported', usage ? timeAgo(usage.at, usage.atMs) : 'not reported'),
    ),
    c.lastError
      ? h(
          'div',
          { class: 'last-error' },
          h('div', { class: 'muted' }, 'Last error ', timeAgo(c.lastError.at, c.lastError.atMs)),
          h('span', { class: 'error-code' }, c.lastError.code),
          ' ',
          c.lastError.message,
        )
      : h('div', { class: 'last-error muted' }, 'No errors.'),
  );
}

function pair(term: string, value: Child): HTMLElement {
  return h('div', null, h('dt', null, term), h('dd', null, value));
}

function meter(label: string, value: number, max: number | null, text: string): HTMLElement {
  const share = max && max > 0 ? Math.min(1, value / max) : 0;
  const bar = h('span', {
    class: ['meter-bar', share > 0.9 ? 'high' : share > 0.6 ? 'mid' : 'low'],
  });
  bar.style.width = `${Math.round(share * 100)}%`;
  return h(
    'div',
    { class: 'meter' },
    h('div', { class: 'meter-label' }, h('span', null, label), h('span', { class: 'num' }, text)),
    h(
      'span',
      {
        class: 'meter-track',
        role: 'meter',
        'aria-label': label,
        'aria-valuemin': 0,
        'aria-valuemax': max ?? value,
        'aria-valuenow': value,
      },
      bar,
    ),
  );
}
