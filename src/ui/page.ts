import type { ApiClient } from './api-client.ts';
import { messageOf } from './api-client.ts';
import type { LiveEvent } from './api-types.ts';
import { failure, loading } from './components.ts';
import { replaceChildren, type Child } from './dom.ts';
import type { Session } from './session.ts';

/** What a page gets from the shell. */
export interface PageContext {
  api: ApiClient;
  session: Session;
  /** Path parameters of the route, e.g. `{ id: 'run_…' }`. */
  params: Record<string, string>;
  /** The query part of the hash: `#/exceptions?status=open` → `status=open`. */
  query: URLSearchParams;
  /** Goes to another page of the dashboard (`#/…`). */
  navigate(hash: string): void;
  /** Listens to the live event stream while the page is shown; returns how to stop. */
  onLive(listener: (event: LiveEvent) => void): () => void;
  /** Called after the stream reconnected (events may have been missed). */
  onReconnect(listener: () => void): () => void;
  /** Tells the shell how many exceptions are open (the navigation's badge). */
  setOpenExceptions(count: number): void;
}

/** A page of the dashboard: its element, its title, and how to clean up when leaving it. */
export interface Page {
  title: string;
  el: HTMLElement;
  dispose?(): void;
}

/** Makes a page for a route. */
export type PageFactory = (ctx: PageContext) => Page;

/**
 * Loads data into a container: a loading state first, then what `render` makes of it, or an
 * error state with "Try again". Later refreshes keep what is shown until the new data is there;
 * if a refresh fails, the old data stays with a note that it could not be refreshed.
 */
export function loadInto<T>(
  container: HTMLElement,
  load: () => Promise<T>,
  render: (data: T) => Child,
): { refresh(): Promise<void> } {
  let shown = false;
  let pending: Promise<void> | undefined;
  let again = false;
  const run = async (): Promise<void> => {
    if (!shown) replaceChildren(container, loading());
    container.setAttribute('aria-busy', 'true');
    try {
      const data = await load();
      replaceChildren(container, render(data));
      shown = true;
      delete container.dataset.stale;
    } catch (caught) {
      if (!shown)
        replaceChildren(
          container,
          failure(messageOf(caught), () => void refresh()),
        );
      else container.dataset.stale = messageOf(caught);
    } finally {
      container.removeAttribute('aria-busy');
    }
  };
  // One load at a time; a refresh asked for during a load runs once after it.
  const refresh = (): Promise<void> => {
    if (pending) {
      again = true;
      return pending;
    }
    pending = run().finally(() => {
      pending = undefined;
      if (again) {
        again = false;
        void refresh();
      }
    });
    return pending;
  };
  void refresh();
  return { refresh };
}
