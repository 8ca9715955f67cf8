import { messageOf } from '../api-client.ts';
import type { Attempt, RunDetail, Step } from '../api-types.ts';
import {
  badge,
  confirmAction,
  correlationLink,
  facts,
  idLink,
  jsonBlock,
  jsonDetails,
  notice,
  pageHeader,
  section,
  table,
  time,
} from '../components.ts';
import { h, replaceChildren, type Child } from '../dom.ts';
import { count, duration } from '../format.ts';
import { throttle } from '../live-events.ts';
import { loadInto, type PageContext, type PageFactory } from '../page.ts';
import { canAct } from '../session.ts';

/**
 * One run: status, flow, customer, correlation and causation ids, its steps with results and
 * attempts, failed attempts with their errors, the trigger event, and (operators) replay. It
 * follows the live stream while the run is active.
 */
export const runPage: PageFactory = (ctx) => {
  const id = ctx.params.id!;
  const messages = h('div', { class: 'messages' });
  const body = h('div', { class: 'stack' });
  const detail = loadInto(
    body,
    () => ctx.api.run(id),
    (data) => render(ctx, data, messages),
  );
  const refresh = throttle(() => void detail.refresh(), 1500);
  const stop = ctx.onLive((e) => {
    if (e.run?.id === id) refresh();
  });
  const stopReconnect = ctx.onReconnect(() => void detail.refresh());
  return {
    title: id,
    el: h('div', { class: 'page' }, messages, body),
    dispose() {
      stop();
      stopReconnect();
      refresh.cancel();
    },
  };
};

/** A step as the table shows it: completed (with its result) or failing (with its last error). */
interface StepRow {
  name: string;
  position: number;
  status: string;
  attempts: number;
  step: Step | undefined;
  failures: Attempt[];
}

/** Completed steps plus the step failing now, which has failed attempts but no result yet. */
function stepRows(data: RunDetail): StepRow[] {
  const rows: StepRow[] = data.steps.map((step) => ({
    name: step.name,
    position: step.position,
    status: step.status,
    attempts: step.attempts,
    step,
    failures: data.failedAttempts.filter((a) => a.step === step.name),
  }));
  const done = new Set(data.steps.map((s) => s.name));
  const failing = [...new Set(data.failedAttempts.map((a) => a.step))].filter((n) => !done.has(n));
  for (const name of failing) {
    const failures = data.failedAttempts.filter((a) => a.step === name);
    const retrying = data.run.currentStep === name && data.run.status !== 'parked';
    rows.push({
      name,
      position: rows.length,
      status: retrying ? 'retrying' : 'failed',
      attempts: Math.max(...failures.map((f) => f.attempt)),
      step: undefined,
      failures,
    });
  }
  return rows;
}

function render(ctx: PageContext, data: RunDetail, messages: HTMLElement): Child {
  const run = data.run;
  const replay = canAct(ctx.session)
    ? h('button', { type: 'button', class: 'button', data: { action: 'replay' } }, 'Replay')
    : null;
  replay?.addEventListener('click', () => {
    void confirmAction({
      title: 'Replay this run?',
      body: h(
        'p',
        null,
        'A new run of ',
        h('strong', null, run.flow),
        ' starts on the same input, at the end of this customer’s queue. Effects already made are not repeated where the target system honours idempotency keys.',
      ),
      confirm: 'Replay',
    }).then(async (ok) => {
      if (!ok) return;
      try {
        const answer = await ctx.api.replayRun(run.id);
        if ('changeRequest' in answer) {
          const cr = answer.changeRequest;
          replaceChildren(
            messages,
            notice(
              'info',
              'Waiting for approval: ',
              h('a', { href: `#/approvals/${encodeURIComponent(cr.id)}` }, cr.id),
              ` — another approver must approve this replay before it runs.`,
            ),
          );
          return;
        }
        const next = answer.run;
        replaceChildren(messages, notice('ok', 'Replay queued as ', idLink('runs', next.id), '.'));
        ctx.navigate(`#/runs/${encodeURIComponent(next.id)}`);
      } catch (caught) {
        replaceChildren(messages, notice('error', `Replay failed: ${messageOf(caught)}`));
      }
    });
  });
  const rows = stepRows(data);

  return [
    pageHeader(
      h(
        'span',
        null,
        run.flow,
        ' ',
        h('span', { data: { testid: 'run-status' } }, badge(run.status)),
      ),
      h('span', { class: 'mono' }, run.id),
      replay,
    ),
    run.error && run.status !== 'completed'
      ? h(
          'div',
          {
            class: ['callout', run.status === 'parked' ? 'callout-bad' : 'callout-warn'],
            role: 'note',
          },
          h(
            'div',
            { class: 'callout-title' },
            h('span', { class: 'error-code' }, run.error.code),
            ' ',
            run.error.name,
            run.currentStep ? ` in step ${run.currentStep}` : '',
          ),
          h('p', { class: 'callout-message' }, run.error.message),
          data.exception
            ? h(
                'p',
                null,
                'Open exception: ',
                h(
                  'a',
                  { href: `#/exceptions/${encodeURIComponent(data.exception.id)}` },
                  data.exception.id,
                ),
              )
            : null,
        )
      : null,
    h(
      'div',
      { class: 'columns' },
      section(
        'Run',
        facts([
          ['Status', badge(run.status)],
          ['Flow', `${run.flow} (v${run.flowVersion})`],
          ['Customer', idLink('entities', run.entityKey)],
          ['Correlation id', correlationLink(run.correlationId)],
          ['Causation id', run.causationId ? h('span', { class: 'mono' }, run.causationId) : '—'],
          ['Replay of', run.replayOf ? idLink('runs', run.replayOf) : '—'],
          ['Current step', run.currentStep ? h('span', { class: 'mono' }, run.currentStep) : '—'],
          ['Waiting for', run.waitSignal ?? '—'],
        ]),
      ),
      section(
        'Timing',
        facts([
          ['Created', time(run.createdAt, run.createdAtMs)],
          ['Started', time(run.startedAt, run.startedAtMs)],
          ['Completed', time(run.completedAt, run.completedAtMs)],
          ['Duration', duration(run.durationMs)],
          ['Attempt', count(run.attempt)],
          ['Priority', count(run.priority)],
          ['Input revision', count(run.inputRevision)],
          ['Lease', run.leaseOwner ? `${run.leaseOwner} until ${run.leaseExpiresAt ?? '—'}` : '—'],
        ]),
      ),
    ),
    section(
      `Steps (${count(rows.length)})`,
      table(
        [
          { title: '#', numeric: true, cell: (r: StepRow) => count(r.position + 1) },
          { title: 'Step', cell: (r) => h('span', { class: 'mono' }, r.name) },
          { title: 'Status', cell: (r) => badge(r.status) },
          { title: 'Attempts', numeric: true, cell: (r) => count(r.attempts) },
          {
            title: 'Completed',
            cell: (r) => (r.step ? time(r.step.completedAt, r.step.completedAtMs) : '—'),
          },
          {
            title: 'Took',
            numeric: true,
            cell: (r) =>
              r.step && r.step.completedAtMs !== null
                ? duration(r.step.completedAtMs - r.step.startedAtMs)
                : '—',
          },
          {
            title: 'Result',
            className: 'wrap',
            cell: (r) => {
              const last = r.failures[r.failures.length - 1];
              if (!r.step) {
                return last
                  ? h(
                      'div',
                      { class: 'step-error' },
                      h('span', { class: 'error-code' }, last.error.code),
                      ' ',
                      last.error.message,
                    )
                  : '—';
              }
              return [
                r.failures.length
                  ? h(
                      'div',
                      { class: 'muted' },
                      `completed after ${count(r.failures.length)} failed attempt(s)`,
                    )
                  : null,
                jsonDetails('result', r.step.result),
              ];
            },
          },
        ],
        rows,
        { caption: 'Steps', hideCaption: true, empty: 'No step has run yet.' },
      ),
    ),
    section(
      `Failed attempts (${count(data.failedAttempts.length)})`,
      table(
        [
          { title: 'Step', cell: (a: Attempt) => h('span', { class: 'mono' }, a.step) },
          { title: 'Attempt', numeric: true, cell: (a) => count(a.attempt) },
          { title: 'When', cell: (a) => time(a.at, a.atMs) },
          { title: 'Took', numeric: true, cell: (a) => duration(a.durationMs) },
          {
            title: 'Error',
            className: 'wrap',
            cell: (a) => [
              h('span', { class: 'error-code' }, a.error.code),
              ' ',
              a.error.message,
              a.error.retryable ? h('span', { class: 'muted' }, ' (retryable)') : null,
            ],
          },
        ],
        data.failedAttempts,
        { caption: 'Failed attempts', hideCaption: true, empty: 'No attempt failed.' },
      ),
    ),
    section(
      'Trigger event',
      data.triggerEvent
        ? [
            facts([
              ['Type', h('span', { class: 'mono' }, data.triggerEvent.type)],
              ['Source', data.triggerEvent.source],
              [
                'Subject',
                data.triggerEvent.subject
                  ? h('span', { class: 'mono' }, data.triggerEvent.subject)
                  : '—',
              ],
              ['Event id', h('span', { class: 'mono' }, data.triggerEvent.eventId)],
              ['Received', time(data.triggerEvent.receivedAt, data.triggerEvent.receivedAtMs)],
              ['Status', badge(data.triggerEvent.status)],
            ]),
            jsonDetails('CloudEvents envelope', data.triggerEvent.envelope),
          ]
        : h(
            'p',
            { class: 'muted' },
            run.replayOf
              ? 'A replay has no trigger event of its own.'
              : 'No trigger event (started by hand or by another run).',
          ),
    ),
    h(
      'div',
      { class: 'columns' },
      section('Input', jsonBlock(run.input, 'Input')),
      section('Output', jsonBlock(run.output, 'Output')),
    ),
  ];
}
