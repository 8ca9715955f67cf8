import { messageOf } from '../api-client.ts';
import type { ChangeRequest } from '../api-types.ts';
import {
  badge,
  confirmAction,
  facts,
  jsonBlock,
  notice,
  pageHeader,
  section,
  table,
  time,
  timeAgo,
} from '../components.ts';
import { h, replaceChildren, type Child } from '../dom.ts';
import { loadInto, type PageContext, type PageFactory } from '../page.ts';
import { canApprove } from '../session.ts';

const STATUSES = ['pending', 'approved', 'executed', 'failed', 'rejected', 'expired', 'all'];

/** Where a change request's target lives on the dashboard. */
function targetLink(cr: ChangeRequest): Child {
  const path =
    cr.targetType === 'exception'
      ? 'exceptions'
      : cr.targetType === 'run'
        ? 'runs'
        : cr.targetType === 'entity'
          ? 'entities'
          : null;
  const label = `${cr.targetType} ${cr.targetId}`;
  return path ? h('a', { href: `#/${path}/${encodeURIComponent(cr.targetId)}` }, label) : label;
}

function stake(cr: ChangeRequest): string {
  return cr.amountAtStake
    ? `${cr.amountAtStake.amount.toLocaleString('en')} ${cr.amountAtStake.currency ?? ''} (minor units)`
    : '—';
}

/** The approvals inbox: change requests (pending by default) with links to each. */
export const approvalsPage: PageFactory = (ctx: PageContext) => {
  const status = ctx.query.get('status') ?? 'pending';
  const body = h('div', { class: 'stack' });
  const filter = h(
    'select',
    { 'aria-label': 'Status', id: 'approvals-status' },
    STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)),
  );
  filter.addEventListener('change', () => ctx.navigate(`#/approvals?status=${filter.value}`));
  loadInto(
    body,
    () => ctx.api.approvals({ status }),
    ({ changeRequests }) =>
      table<ChangeRequest>(
        [
          {
            title: 'Request',
            cell: (cr) =>
              h('a', { href: `#/approvals/${encodeURIComponent(cr.id)}`, class: 'mono' }, cr.id),
          },
          { title: 'Status', cell: (cr) => badge(cr.status) },
          { title: 'Action', cell: (cr) => h('span', { class: 'mono' }, cr.action) },
          { title: 'Target', cell: targetLink },
          { title: 'Amount at stake', numeric: true, cell: stake },
          { title: 'Requested by', cell: (cr) => cr.requestedBy },
          { title: 'Requested', cell: (cr) => timeAgo(cr.requestedAt, cr.requestedAtMs) },
          { title: 'Expires', cell: (cr) => time(cr.expiresAt, cr.expiresAtMs) },
        ],
        changeRequests,
        {
          caption: 'Change requests',
          empty:
            status === 'pending' ? 'Nothing waits for approval.' : `No ${status} change requests.`,
          rowKey: (cr) => cr.id,
        },
      ),
  );
  return {
    title: 'Approvals',
    el: h(
      'div',
      { class: 'page' },
      pageHeader(
        'Approvals',
        'Financially impacting actions wait here until a second person approves them.',
        filter,
      ),
      body,
    ),
  };
};

/** One change request: who asked for what, the before/after diff, approve and reject. */
export const approvalPage: PageFactory = (ctx: PageContext) => {
  const id = ctx.params.id!;
  const messages = h('div', { class: 'messages' });
  const body = h('div', { class: 'stack' });
  const detail = loadInto(
    body,
    () => ctx.api.approval(id),
    ({ changeRequest }) => render(ctx, changeRequest, messages, () => void detail.refresh()),
  );
  return { title: id, el: h('div', { class: 'page' }, messages, body) };
};

function render(
  ctx: PageContext,
  cr: ChangeRequest,
  messages: HTMLElement,
  reload: () => void,
): Child {
  const own = cr.requestedBy === ctx.session.name;
  return [
    pageHeader(
      h('span', null, `${cr.action} `, badge(cr.status, cr.status)),
      h('span', { class: 'mono' }, cr.id),
      h('a', { href: '#/approvals', class: 'button small' }, 'Approvals'),
    ),
    section(
      'Request',
      facts([
        ['Target', targetLink(cr)],
        ['Requested by', cr.requestedBy],
        ['Requested', time(cr.requestedAt, cr.requestedAtMs)],
        ['Reason', cr.reason ?? '—'],
        ['Amount at stake', stake(cr)],
        ['Approvals', `${cr.approvals.length} of ${cr.approvalsRequired}`],
        ['Expires', time(cr.expiresAt, cr.expiresAtMs)],
        ...(cr.decidedBy
          ? ([
              [
                'Decided by',
                `${cr.decidedBy}${cr.decisionReason ? ` — “${cr.decisionReason}”` : ''}`,
              ],
            ] as [string, Child][])
          : []),
      ]),
    ),
    section(
      'Change',
      table<ChangeRequest['diff'][number]>(
        [
          { title: 'Field', cell: (d) => h('span', { class: 'mono' }, d.path) },
          {
            title: 'Before',
            className: 'wrap',
            cell: (d) => h('code', null, JSON.stringify(d.before)),
          },
          {
            title: 'After',
            className: 'wrap',
            cell: (d) => h('code', null, JSON.stringify(d.after)),
          },
        ],
        cr.diff,
        { caption: 'Before and after', empty: 'No field changes.', rowKey: (d) => d.path },
      ),
    ),
    cr.result ? section('Outcome', jsonBlock(cr.result)) : null,
    cr.status === 'pending' && canApprove(ctx.session)
      ? decide(ctx, cr, own, messages, reload)
      : null,
  ];
}

function decide(
  ctx: PageContext,
  cr: ChangeRequest,
  own: boolean,
  messages: HTMLElement,
  reload: () => void,
): HTMLElement {
  const approve = h('button', { type: 'button', class: 'button primary' }, 'Approve');
  const reject = h('button', { type: 'button', class: 'button danger' }, 'Reject…');
  const reason = h('input', {
    id: 'reject-reason',
    type: 'text',
    'aria-label': 'Reason for rejecting',
    placeholder: 'Reason (required to reject)',
  });
  approve.addEventListener('click', () => {
    void confirmAction({
      title: 'Approve this change?',
      body: h('p', null, `It runs at once as ${cr.requestedBy}’s ${cr.action}.`),
      confirm: 'Approve',
    }).then(async (ok) => {
      if (!ok) return;
      try {
        const { changeRequest } = await ctx.api.approve(cr.id);
        replaceChildren(messages, notice('ok', `Approved: ${changeRequest.status}.`));
        reload();
      } catch (caught) {
        replaceChildren(messages, notice('error', `Approve refused: ${messageOf(caught)}`));
      }
    });
  });
  reject.addEventListener('click', () => {
    const text = reason.value.trim();
    if (!text) {
      replaceChildren(messages, notice('error', 'Give a reason to reject.'));
      reason.focus();
      return;
    }
    void (async () => {
      try {
        await ctx.api.reject(cr.id, text);
        replaceChildren(messages, notice('ok', 'Rejected.'));
        reload();
      } catch (caught) {
        replaceChildren(messages, notice('error', `Reject refused: ${messageOf(caught)}`));
      }
    })();
  });
  return h(
    'div',
    { class: 'action-area', data: { testid: 'decide' } },
    own
      ? notice(
          'info',
          'You requested this change: another approver must approve it (four-eyes rule).',
        )
      : null,
    h('div', { class: 'form-actions' }, approve, reason, reject),
  );
}
