/**
 * The revsync dashboard (browser entry point, bundled by esbuild and served at `/ui/app.js`).
 * Signs in with an API key, then shows the pages of the shell; everything comes from `/v1`.
 */
import { ApiClient, ApiError, messageOf } from './api-client.ts';
import { learnSystems } from './systems.ts';
import type { Whoami } from './api-types.ts';
import { failure, loading } from './components.ts';
import { h, replaceChildren } from './dom.ts';
import { signInPage } from './pages/sign-in-page.ts';
import { forgetKey, storedKey, storeKey, type Session } from './session.ts';
import { startShell } from './shell.ts';

const root = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
root.removeAttribute('aria-live');
let stopShell: (() => void) | undefined;

function signIn(message?: string): void {
  stopShell?.();
  stopShell = undefined;
  document.title = 'Sign in · revsync';
  replaceChildren(
    root,
    signInPage((key, who) => {
      storeKey(key);
      enter({ key, ...who });
    }, message),
  );
}

/** Learns the running stack's systems (display names), then opens the shell. */
function enter(session: Session): void {
  void new ApiClient(session.key)
    .systems()
    .then(({ systems }) => learnSystems(systems))
    // Without them the pages show system names as the API gives them.
    .catch(() => undefined)
    .then(() => openShell(session));
}

function openShell(session: Session): void {
  stopShell?.();
  stopShell = startShell(root, session, (message) => {
    forgetKey();
    signIn(message ?? 'You are signed out.');
  });
}

async function boot(): Promise<void> {
  const key = storedKey();
  if (!key) return signIn();
  replaceChildren(root, loading('Signing in…'));
  try {
    const who: Whoami = await new ApiClient(key).whoami();
    enter({ key, ...who });
  } catch (caught) {
    if (caught instanceof ApiError && caught.status === 401) {
      forgetKey();
      signIn('The stored API key is no longer accepted; sign in again.');
    } else {
      replaceChildren(
        root,
        failure(messageOf(caught), () => void boot()),
      );
    }
  }
}

void boot();
