import { ApiClient, ApiError, messageOf } from '../api-client.ts';
import type { Whoami } from '../api-types.ts';
import { notice } from '../components.ts';
import { h } from '../dom.ts';

/**
 * Sign in with an API key. The key is checked with `GET /v1/whoami` before it is kept, so a
 * wrong key says so here instead of failing on every page.
 */
export function signInPage(
  onSignedIn: (key: string, who: Whoami) => void,
  message?: string,
): HTMLElement {
  const input = h('input', {
    id: 'api-key',
    name: 'apiKey',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    placeholder: 'rsk_…',
    'aria-describedby': 'api-key-help',
  });
  const status = h('div', { class: 'sign-in-status' }, message ? notice('info', message) : null);
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'sign-in-form',
      on: {
        submit: (event) => {
          event.preventDefault();
          const key = input.value.trim();
          if (!key) return;
          submit.disabled = true;
          status.replaceChildren(notice('info', 'Checking the key…'));
          new ApiClient(key)
            .whoami()
            .then((who) => onSignedIn(key, who))
            .catch((caught: unknown) => {
              const text =
                caught instanceof ApiError && caught.status === 401
                  ? 'This API key was not accepted. Check that you copied all of it (rsk_…) and that it has not been revoked.'
                  : caught instanceof ApiError && caught.status === 429
                    ? 'Too many attempts with this key; wait a moment and try again.'
                    : `Could not sign in: ${messageOf(caught)}`;
              status.replaceChildren(notice('error', text));
              submit.disabled = false;
              input.select();
              input.focus();
            });
        },
      },
    },
    h('label', { for: 'api-key' }, 'API key'),
    input,
    h(
      'p',
      { id: 'api-key-help', class: 'hint' },
      'A viewer key shows everything; an operator key can also retry, skip, resubmit and replay. The key stays in this browser tab only (session storage) and is sent as Authorization: Bearer.',
    ),
    submit,
    status,
  );
  const page = h(
    'main',
    { class: 'sign-in', id: 'main' },
    h(
      'div',
      { class: 'sign-in-card' },
      h(
        'p',
        { class: 'brand' },
        h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '⇄'),
        'revsync',
      ),
      h('h1', { tabindex: -1 }, 'Sign in'),
      h(
        'p',
        { class: 'subtitle' },
        'Revenue sync between CRM, billing and ERP — runs, exceptions and business state.',
      ),
      form,
    ),
  );
  queueMicrotask(() => input.focus());
  return page;
}
