import { messageOf } from '../api-client.ts';
import type { AuditEntry, ExceptionDetail, WaitsForApproval } from '../api-types.ts';
import {
  badge,
  confirmAction,
  correlationLink,
  facts,
  idLink,
  jsonBlock,
  notice,
  pageHeader,
  section,
  table,
  time,
  timeAgo,
} from '../components.ts';
import { h, replaceChildren, type Child } from '../dom.ts';
import { count, json } from '../format.ts';
import { throttle } from '../live-events.ts';
import { loadInto, type PageContext, type PageFactory } from '../page.ts';
import { canAct } from '../session.ts';

/**
 * One exception: what failed and where (error class and code, message, attempts, failing step,
 * last input, correlation id, links to run and customer), its audit trail, and — for operators,
 * while it is open — retry, skip with a reason, and edit-and-resubmit.
 */
export const exceptionPage: PageFactory = (ctx) => {
  const id = ctx.params.id!;
  const messages = h('div', { class: 'messages' });
  const body = h('div', { class: 'stack' });
  let editing = false;
  let runId: string | null = null;

  const detail = loadInto(
    body,
    () => ctx.api.exception(id),
    (data) => {
      runId = data.exception.runId;
      return render(ctx, data, {
        messages,
        reload: () => void detail.refresh(),
        setEditing: (on) => (editing = on),
      });
    },
  );
  const refresh = throttle(() => {
    if (!editing) void detail.refresh();
  }, 3000);
  const stop = ctx.onLive((e) => {
    if (runId && e.run?.id === runId) refresh();
  });
  return {
    title: id,
    el: h('div', { class: 'page' }, messages, body),
    dispose() {
      stop();
      refresh.cancel();
    },
  };
};

interface Hooks {
  messages: HTMLElement;
  reload(): void;
  setEditing(on: boolean): void;
}

function render(ctx: PageContext, data: ExceptionDetail, hooks: Hooks): Child {
  const x = data.exception;
  const open = x.status === 'open';
  const title =
    x.kind === 'run'
      ? `${x.flow ?? 'run'} failed at ${x.step ?? 'a step'}`
      : 'Event could not be routed';
  const err = x.error;
  return [
    pageHeader(
      h('span', null, title, ' ', badge(x.status)),
      h('span', { class: 'mono' }, x.id),
      h('a', { href: '#/exceptions', class: 'button small' }, 'Exception queue'),
    ),
    h(
      'div',
      { class: 'callout callout-bad', role: 'note' },
      h(
        'div',
        { class: 'callout-title' },
        h('span', { class: 'error-code' }, x.errorCode),
        ' ',
        x.errorName,
      ),
      h('p', { class: 'callout-message', data: { testid: 'exception-message' } }, x.message),
      err.details?.length
        ? h(
            'ul',
            null,
            err.details.map((d) =>
              h('li', null, d.path ? h('span', { class: 'mono' }, `${d.path}: `) : null, d.message),
            ),
          )
        : null,
    ),
    x.resolution
      ? notice(
          'info',
          `${x.resolution.action === 'retry' ? 'Retried' : x.resolution.action === 'skip' ? 'Skipped' : x.resolution.action === 'resubmit' ? 'Edited and resubmitted' : 'Closed'} by ${x.resolution.actor} `,
          timeAgo(x.resolution.at, x.resolution.atMs),
          x.resolution.reason ? ` — “${x.resolution.reason}”` : '',
          x.runId
            ? [' · ', h('a', { href: `#/runs/${encodeURIComponent(x.runId)}` }, 'follow the run →')]
            : null,
        )
      : null,
    data.pendingApprovals.length > 0
      ? h(
          'div',
          { class: 'callout', role: 'status', data: { testid: 'waiting-for-approval' } },
          h('div', { class: 'callout-title' }, 'Waiting for approval'),
          data.pendingApprovals.map((cr) =>
            h(
              'p',
              null,
              `${cr.action} requested by ${cr.requestedBy} `,
              timeAgo(cr.requestedAt, cr.requestedAtMs),
              ' — ',
              h('a', { href: `#/approvals/${encodeURIComponent(cr.id)}` }, cr.id),
              ` (expires ${new Date(cr.expiresAtMs).toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
            ),
          ),
        )
      : null,
    open && canAct(ctx.session) ? actions(ctx, data, hooks) : null,
    h(
      'div',
      { class: 'columns' },
      section(
        'What failed',
        facts([
          ['Error class', h('span', { class: 'mono' }, x.errorName)],
          ['Error code', h('span', { class: 'mono' }, x.errorCode)],
          ['Retryable', err.retryable ? 'yes' : 'no'],
          ['Failing step', x.step ? h('span', { class: 'mono' }, x.step) : '—'],
          ['Attempts', count(x.attempts)],
          ['Flow', x.flow ?? '—'],
          ['System', err.system ?? '—'],
          ['Vendor status', err.status !== undefined ? String(err.status) : '—'],
        ]),
      ),
      section(
        'Where it belongs',
        facts([
          [
            'Run',
            x.runId
              ? h(
                  'span',
                  null,
                  idLink('runs', x.runId),
                  ' ',
                  data.run ? badge(data.run.status) : null,
                )
              : '—',
          ],
          ['Customer', idLink('entities', x.entityKey)],
          ['Correlation id', correlationLink(x.correlationId)],
          [
            'Event',
            data.event
              ? h(
                  'span',
                  null,
                  h('span', { class: 'mono' }, data.event.type),
                  ` #${data.event.seq}`,
                )
              : x.eventSeq !== null
                ? `#${x.eventSeq}`
                : '—',
          ],
          ['Opened', time(x.createdAt, x.createdAtMs)],
          ['Updated', time(x.updatedAt, x.updatedAtMs)],
        ]),
      ),
    ),
    section(
      x.kind === 'run' ? 'Last input of the run' : 'Data of the event',
      jsonBlock(x.lastInput, 'Last input as JSON'),
    ),
    section('Audit trail', auditTable(data.audit)),
  ];
}

function auditTable(entries: AuditEntry[]): HTMLElement {
  return table(
    [
      { title: 'When', cell: (e) => time(e.at, e.atMs) },
      { title: 'Who', cell: (e) => e.actor },
      { title: 'Action', cell: (e) => h('span', { class: 'mono' }, e.action) },
      { title: 'Details', className: 'wrap', cell: (e) => auditDetails(e.details) },
    ],
    entries,
    { caption: 'Audit trail', hideCaption: true, empty: 'Nobody has acted on this exception yet.' },
  );
}

function auditDetails(details: Record<string, unknown>): Child {
  const parts: Child[] = [];
  if (typeof details.reason === 'string' && details.reason)
    parts.push(h('div', null, `Reason: “${details.reason}”`));
  const changes = Array.isArray(details.changes)
    ? (details.changes as { path: string; before: unknown; after: unknown }[])
    : [];
  if (changes.length) {
    parts.push(
      h(
        'ul',
        { class: 'changes' },
        changes.map((c) =>
          h(
            'li',
            null,
            h('span', { class: 'mono' }, c.path),
            ': ',
            h('del', null, JSON.stringify(c.before)),
            ' → ',
            h('ins', null, JSON.stringify(c.after)),
          ),
        ),
      ),
    );
  }
  const rest = Object.fromEntries(
    Object.entries(details).filter(([k]) => k !== 'reason' && k !== 'changes'),
  );
  if (Object.keys(rest).length)
    parts.push(h('code', { class: 'json-inline' }, JSON.stringify(rest)));
  return parts.length ? parts : '—';
}

/** Retry, skip (reason required) and edit-and-resubmit (JSON checked before sending). */
function actions(ctx: PageContext, data: ExceptionDetail, hooks: Hooks): HTMLElement {
  const x = data.exception;
  const area = h('div', { class: 'action-area' });
  const done = (what: string) => {
    hooks.setEditing(false);
    replaceChildren(
      hooks.messages,
      notice(
        'ok',
        `${what}. `,
        x.runId
          ? h(
              'a',
              { href: `#/runs/${encodeURIComponent(x.runId)}`, data: { testid: 'follow-run' } },
              'Follow the run →',
            )
          : null,
      ),
    );
    hooks.reload();
  };
  /** A protected action answered 202: say so instead of "done". */
  const waits = (answer: object): boolean => {
    if (!('changeRequest' in answer)) return false;
    const cr = (answer as WaitsForApproval).changeRequest;
    hooks.setEditing(false);
    replaceChildren(
      hooks.messages,
      notice(
        'info',
        'Waiting for approval: ',
        h(
          'a',
          { href: `#/approvals/${encodeURIComponent(cr.id)}`, data: { testid: 'change-request' } },
          cr.id,
        ),
        ' — another approver must approve this change before it runs.',
      ),
    );
    hooks.reload();
    return true;
  };
  const failed = (what: string, caught: unknown) =>
    replaceChildren(hooks.messages, notice('error', `${what} failed: ${messageOf(caught)}`));

  const retry = h(
    'button',
    { type: 'button', class: 'button primary', data: { action: 'retry' } },
    'Retry',
  );
  retry.addEventListener('click', () => {
    void confirmAction({
      title: 'Retry this exception?',
      body: h(
        'p',
        null,
        'The run goes back to the queue unchanged and continues from ',
        h('span', { class: 'mono' }, x.step ?? 'its failing step'),
        '. Steps already done are not repeated.',
      ),
      confirm: 'Retry',
    }).then(async (ok) => {
      if (!ok) return;
      retry.disabled = true;
      try {
        await ctx.api.retry(x.id);
        done('Retried: the run is back in the queue');
      } catch (caught) {
        retry.disabled = false;
        failed('Retry', caught);
      }
    });
  });

  const skip = h('button', { type: 'button', class: 'button', data: { action: 'skip' } }, 'Skip…');
  skip.addEventListener('click', () => {
    hooks.setEditing(true);
    const reason = h('textarea', {
      id: 'skip-reason',
      rows: 3,
      required: true,
      maxlength: 2000,
      placeholder: 'e.g. posted by hand as INV-7',
    });
    const error = h('p', { class: 'field-error', id: 'skip-reason-error', role: 'alert' });
    const form = h(
      'form',
      {
        class: 'action-form',
        novalidate: true,
        'aria-label': 'Skip this exception',
        on: {
          submit: (e) => {
            e.preventDefault();
            const text = reason.value.trim();
            if (!text) {
              error.textContent = 'A reason is required: it goes into the audit trail.';
              reason.setAttribute('aria-invalid', 'true');
              reason.focus();
              return;
            }
            void confirmAction({
              title: 'Skip this exception?',
              body: h(
                'p',
                null,
                'The run is given up for good and later runs of this customer go ahead. Nothing is sent to the target systems for it.',
              ),
              confirm: 'Skip',
              danger: true,
            }).then(async (ok) => {
              if (!ok) return;
              try {
                if (waits(await ctx.api.skip(x.id, text))) return;
                done('Skipped');
              } catch (caught) {
                failed('Skip', caught);
              }
            });
          },
        },
      },
      h('h3', null, 'Skip'),
      h('label', { for: 'skip-reason' }, 'Reason (required, kept in the audit trail)'),
      reason,
      error,
      h(
        'div',
        { class: 'form-actions' },
        h('button', { type: 'submit', class: 'button danger' }, 'Skip exception'),
        h(
          'button',
          {
            type: 'button',
            class: 'button',
            on: { click: () => (hooks.setEditing(false), area.replaceChildren()) },
          },
          'Cancel',
        ),
      ),
    );
    area.replaceChildren(form);
    reason.focus();
  });

  const edit = h(
    'button',
    { type: 'button', class: 'button', data: { action: 'resubmit' } },
    'Edit and resubmit…',
  );
  edit.addEventListener('click', () => {
    hooks.setEditing(true);
    const original = json(x.lastInput);
    const editor = h('textarea', {
      id: 'resubmit-input',
      class: 'json-editor',
      rows: Math.min(24, Math.max(6, original.split('\n').length + 1)),
      spellcheck: 'false',
      'aria-describedby': 'resubmit-check',
      value: original,
    });
    const check = h('p', { id: 'resubmit-check', class: 'field-check', 'aria-live': 'polite' });
    const reason = h('input', {
      id: 'resubmit-reason',
      type: 'text',
      maxlength: 2000,
      placeholder: 'why the input changes (optional)',
    });
    const send = h('button', { type: 'submit', class: 'button primary' }, 'Resubmit');
    let parsed: { ok: true; value: unknown } | { ok: false; message: string } = {
      ok: true,
      value: x.lastInput,
    };
    const validate = () => {
      try {
        parsed = { ok: true, value: JSON.parse(editor.value) as unknown };
        const unchanged = JSON.stringify(parsed.value) === JSON.stringify(x.lastInput);
        check.textContent = unchanged
          ? 'Valid JSON, unchanged (resubmitting unchanged is the same as a retry).'
          : 'Valid JSON.';
        check.className = 'field-check ok';
        editor.removeAttribute('aria-invalid');
        send.disabled = false;
      } catch (caught) {
        parsed = { ok: false, message: caught instanceof Error ? caught.message : String(caught) };
        check.textContent = `Not valid JSON: ${parsed.message}`;
        check.className = 'field-check error';
        editor.setAttribute('aria-invalid', 'true');
        send.disabled = true;
      }
    };
    editor.addEventListener('input', validate);
    validate();
    const form = h(
      'form',
      {
        class: 'action-form',
        novalidate: true,
        'aria-label': 'Edit the input and resubmit',
        on: {
          submit: (e) => {
            e.preventDefault();
            validate();
            if (!parsed.ok) return editor.focus();
            const input = parsed.value;
            void confirmAction({
              title: 'Resubmit with this input?',
              body: h(
                'p',
                null,
                'The failing step and the ones after it run again with the edited input. Every changed field is recorded in the audit trail.',
              ),
              confirm: 'Resubmit',
            }).then(async (ok) => {
              if (!ok) return;
              try {
                const answer = await ctx.api.resubmit(
                  x.id,
                  input,
                  reason.value.trim() || undefined,
                );
                if (waits(answer)) return;
                done('Resubmitted with the edited input');
              } catch (caught) {
                failed('Resubmit', caught);
              }
            });
          },
        },
      },
      h('h3', null, 'Edit and resubmit'),
      h('label', { for: 'resubmit-input' }, 'Input (JSON)'),
      editor,
      check,
      h('label', { for: 'resubmit-reason' }, 'Reason'),
      reason,
      h(
        'div',
        { class: 'form-actions' },
        send,
        h(
          'button',
          {
            type: 'button',
            class: 'button',
            on: { click: () => ((editor.value = original), validate()) },
          },
          'Reset',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'button',
            on: { click: () => (hooks.setEditing(false), area.replaceChildren()) },
          },
          'Cancel',
        ),
      ),
    );
    area.replaceChildren(form);
    editor.focus();
  });

  return h(
    'section',
    { class: 'panel actions-panel', 'aria-label': 'Actions' },
    h('div', { class: 'action-buttons' }, retry, skip, edit),
    area,
  );
}
