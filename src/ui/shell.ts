import { ApiClient, type ApiError } from './api-client.ts';
import type { LiveEvent } from './api-types.ts';
import { badge } from './components.ts';
import { h, replaceChildren } from './dom.ts';
import { count } from './format.ts';
import { LiveEvents, throttle, type LiveState } from './live-events.ts';
import type { Page, PageContext, PageFactory } from './page.ts';
import { closePage } from './pages/close-page.ts';
import { approvalPage, approvalsPage } from './pages/approvals-page.ts';
import { connectionsPage } from './pages/connections-page.ts';
import { entityPage } from './pages/entity-page.ts';
import { exceptionPage } from './pages/exception-page.ts';
import { exceptionsPage } from './pages/exceptions-page.ts';
import { overviewPage } from './pages/overview-page.ts';
import { runPage } from './pages/run-page.ts';
import { runsPage } from './pages/runs-page.ts';
import { viewPage, viewsPage } from './pages/views-page.ts';
import type { Session } from './session.ts';

interface Route {
  pattern: RegExp;
  names: string[];
  page: PageFactory;
  /** Which navigation item is current. */
  nav: string;
}

const route = (path: string, page: PageFactory, nav: string): Route => {
  const names: string[] = [];
  const pattern = new RegExp(
    `^${path.replace(/:([a-zA-Z]+)/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    })}$`,
  );
  return { pattern, names, page, nav };
};

const ROUTES: Route[] = [
  route('/', overviewPage, 'overview'),
  route('/views', viewsPage, 'views'),
  route('/views/:name', viewPage, 'views'),
  route('/exceptions', exceptionsPage, 'exceptions'),
  route('/exceptions/:id', exceptionPage, 'exceptions'),
  route('/runs', runsPage, 'runs'),
  route('/runs/:id', runPage, 'runs'),
  route('/entities/:id', entityPage, 'entities'),
  route('/connections', connectionsPage, 'connections'),
  route('/close', closePage, 'close'),
  route('/approvals', approvalsPage, 'approvals'),
  route('/approvals/:id', approvalPage, 'approvals'),
];

const NAV = [
  { id: 'overview', href: '#/', label: 'Overview' },
  { id: 'views', href: '#/views', label: 'Business views' },
  { id: 'exceptions', href: '#/exceptions', label: 'Exceptions' },
  { id: 'runs', href: '#/runs', label: 'Runs' },
  { id: 'connections', href: '#/connections', label: 'Connections' },
  { id: 'close', href: '#/close', label: 'Close' },
  { id: 'approvals', href: '#/approvals', label: 'Approvals' },
];

const LIVE_LABEL: Record<LiveState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  stopped: 'Paused',
};

/** Splits `#/runs/run_1?flow=x` into path and query. */
export function parseHash(hash: string): { path: string; query: URLSearchParams } {
  const raw = hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  const path = (q < 0 ? raw : raw.slice(0, q)) || '/';
  return { path, query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

/**
 * The signed-in dashboard: top bar (who, live state, go-to-id, sign out), navigation with the
 * open-exception count, and the current page, chosen by the location hash. One live event
 * stream serves every page.
 */
export function startShell(
  root: HTMLElement,
  session: Session,
  signOut: (message?: string) => void,
): () => void {
  const unauthorized = (error?: ApiError) =>
    signOut(
      error
        ? `Signed out: the API no longer accepts this key (${error.message}).`
        : 'Signed out: the API no longer accepts this key.',
    );
  const api = new ApiClient(session.key, unauthorized);
  const listeners = new Set<(event: LiveEvent) => void>();
  const reconnectListeners = new Set<() => void>();
  let lastState: LiveState = 'connecting';

  const liveDot = h('span', { class: 'live-dot', 'aria-hidden': 'true' });
  const liveText = h('span', null, LIVE_LABEL.connecting);
  const live = h(
    'span',
    {
      class: 'live',
      data: { state: 'connecting' },
      role: 'status',
      title: 'Live updates from GET /v1/events',
    },
    liveDot,
    liveText,
  );
  const openBadge = h('span', {
    class: 'nav-count',
    hidden: true,
    'aria-label': 'open exceptions',
  });
  const navLinks = NAV.map((item) =>
    h(
      'a',
      { href: item.href, data: { nav: item.id } },
      item.label,
      item.id === 'exceptions' ? openBadge : null,
    ),
  );
  const main = h('main', { id: 'main', tabindex: -1 });
  const goto = h('input', {
    type: 'search',
    name: 'id',
    placeholder: 'Go to id: run_…, exc_…, cus_…',
    'aria-label': 'Go to a run, exception or customer by id',
    autocomplete: 'off',
    spellcheck: 'false',
  });

  const setOpenExceptions = (n: number) => {
    openBadge.hidden = n === 0;
    openBadge.textContent = count(n);
  };
  const refreshBadge = throttle(() => {
    // The smallest summary: its `openExceptions` counts every open exception in the store.
    api
      .metricsSummary('1m', '1m')
      .then((summary) => setOpenExceptions(summary.openExceptions))
      .catch(() => undefined);
  }, 5000);

  const stream = new LiveEvents({
    headers: api.headers,
    onEvent(event) {
      if (
        event.name === 'run.parked' ||
        event.name === 'run.claimed' ||
        event.name === 'event.poisoned'
      ) {
        refreshBadge();
      }
      for (const listener of listeners) listener(event);
    },
    onState(state) {
      if (state === 'live' && lastState === 'reconnecting') {
        for (const listener of reconnectListeners) listener();
      }
      lastState = state;
      live.dataset.state = state;
      liveText.textContent = LIVE_LABEL[state];
    },
    onUnauthorized: () => unauthorized(),
  });

  const skip = h(
    'button',
    { type: 'button', class: 'skip-link', on: { click: () => main.focus() } },
    'Skip to content',
  );
  const shell = h(
    'div',
    { class: 'shell' },
    skip,
    h(
      'header',
      { class: 'topbar' },
      h(
        'a',
        { class: 'brand', href: '#/' },
        h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '⇄'),
        'revsync',
      ),
      h(
        'form',
        {
          class: 'goto',
          role: 'search',
          on: {
            submit: (event) => {
              event.preventDefault();
              const id = goto.value.trim();
              if (!id) return;
              const kind = id.startsWith('run_')
                ? 'runs'
                : id.startsWith('exc_')
                  ? 'exceptions'
                  : 'entities';
              goto.value = '';
              location.hash = `#/${kind}/${encodeURIComponent(id)}`;
            },
          },
        },
        goto,
      ),
      live,
      h(
        'span',
        { class: 'who' },
        h('span', { class: 'who-name', data: { testid: 'who' } }, session.name),
        ' ',
        badge(`role-${session.role}`, session.role),
      ),
      h(
        'button',
        { type: 'button', class: 'button small', on: { click: () => signOut() } },
        'Sign out',
      ),
    ),
    h('nav', { class: 'sidenav', 'aria-label': 'Main' }, navLinks),
    main,
  );
  replaceChildren(root, shell);

  let current: Page | undefined;
  const show = () => {
    const { path, query } = parseHash(location.hash);
    current?.dispose?.();
    listeners.clear();
    reconnectListeners.clear();
    const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
    for (const a of navLinks) {
      if (a.dataset.nav === match?.r.nav) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    if (!match?.m) {
      current = {
        title: 'Not found',
        el: h(
          'div',
          { class: 'state state-empty' },
          h('h1', { tabindex: -1 }, 'No such page'),
          h('p', null, h('a', { href: '#/' }, 'Go to the overview')),
        ),
      };
    } else {
      const params: Record<string, string> = {};
      match.r.names.forEach((name, i) => (params[name] = decodeURIComponent(match.m![i + 1]!)));
      const ctx: PageContext = {
        api,
        session,
        params,
        query,
        navigate: (hash) => (location.hash = hash),
        onLive(listener) {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
        onReconnect(listener) {
          reconnectListeners.add(listener);
          return () => reconnectListeners.delete(listener);
        },
        setOpenExceptions,
      };
      current = match.r.page(ctx);
    }
    document.title = `${current.title} · revsync`;
    replaceChildren(main, current.el);
    // Move focus to the new page's heading so keyboard and screen-reader users land there.
    main.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  };

  window.addEventListener('hashchange', show);
  const badgeTimer = setInterval(refreshBadge, 30_000);
  stream.start();
  refreshBadge();
  show();
  return () => {
    window.removeEventListener('hashchange', show);
    clearInterval(badgeTimer);
    refreshBadge.cancel();
    current?.dispose?.();
    stream.stop();
  };
}
