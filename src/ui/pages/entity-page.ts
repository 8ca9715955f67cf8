import type { EntityDetail, Lineage } from '../api-types.ts';
import {
  badge,
  correlationLink,
  empty,
  facts,
  idLink,
  jsonDetails,
  pageHeader,
  section,
} from '../components.ts';
import { h, type Child } from '../dom.ts';
import { clock, count, dateTimeOf, ago } from '../format.ts';
import { throttle } from '../live-events.ts';
import { loadInto, type PageFactory } from '../page.ts';
import { roleOf, roleOfStep, systemName, type SystemRole } from '../systems.ts';

/**
 * One customer across the systems: its ids in each (cross-references), its canonical record,
 * and its lineage — inbox events, runs, steps and exceptions, oldest first, each with the
 * correlation id that ties one business change together from CRM to ERP.
 */
export const entityPage: PageFactory = (ctx) => {
  const id = ctx.params.id!;
  const body = h('div', { class: 'stack' });
  let correlation = ctx.query.get('correlation') ?? '';
  let latest: EntityDetail | undefined;
  let routing = false;
  const paint = (focus: string) => {
    if (latest)
      body.replaceChildren(...flatten(render(latest, { correlation, routing }, controls)));
    body.querySelector<HTMLElement>(focus)?.focus();
  };
  const controls: Controls = {
    correlation: (c) => ((correlation = c), paint('#lineage-correlation')),
    routing: (on) => ((routing = on), paint('#lineage-routing')),
  };
  const detail = loadInto(
    body,
    () => ctx.api.entity(id),
    (data) => {
      latest = data;
      return render(data, { correlation, routing }, controls);
    },
  );
  const refresh = throttle(() => void detail.refresh(), 3000);
  const stop = ctx.onLive((e) => {
    if (e.run?.entityKey === id) refresh();
  });
  return {
    title: id,
    el: h('div', { class: 'page' }, body),
    dispose() {
      stop();
      refresh.cancel();
    },
  };
};

function flatten(child: Child): Node[] {
  const holder = h('div', null, child);
  return [...holder.childNodes];
}

interface Controls {
  correlation(id: string): void;
  routing(show: boolean): void;
}

function render(
  data: EntityDetail,
  { correlation, routing }: { correlation: string; routing: boolean },
  controls: Controls,
): Child {
  const record = data.entity;
  const values = (record?.data ?? {}) as Record<string, unknown>;
  const fields = (
    typeof values.fields === 'object' && values.fields !== null ? values.fields : values
  ) as Record<string, unknown>;
  const name = typeof fields.name === 'string' ? fields.name : data.id;
  const correlations = [
    ...new Set(data.lineage.map((l) => l.correlationId).filter((c): c is string => !!c)),
  ];
  // `event.routed` follows `event.received` within milliseconds; hidden unless asked for.
  const shown = data.lineage.filter(
    (l) =>
      (!correlation || l.correlationId === correlation) && (routing || l.kind !== 'event.routed'),
  );

  const picker = h(
    'select',
    {
      id: 'lineage-correlation',
      on: { change: (e) => controls.correlation((e.target as HTMLSelectElement).value) },
    },
    h('option', { value: '' }, `every correlation id (${count(correlations.length)})`),
    correlations.map((c) => h('option', { value: c, selected: c === correlation }, c)),
  );

  return [
    pageHeader(
      name,
      h(
        'span',
        null,
        record ? `${record.type} · version ${record.version} · ` : 'no canonical record yet · ',
        h('span', { class: 'mono' }, data.id),
      ),
      h(
        'a',
        { href: `#/runs?entityKey=${encodeURIComponent(data.id)}`, class: 'button small' },
        'Runs of this customer',
      ),
    ),
    section(
      'In each system',
      data.xrefs.length === 0
        ? empty(
            'No cross-references yet: revsync has not created or matched this record in another system.',
          )
        : h(
            'div',
            { class: 'xrefs' },
            h(
              'div',
              { class: ['xref', 'system-revsync'] },
              h(
                'div',
                { class: 'xref-system' },
                'revsync',
                h('span', { class: 'xref-role' }, 'canonical'),
              ),
              h('div', { class: 'xref-type' }, record?.type ?? 'entity'),
              h('div', { class: 'mono xref-id' }, data.id),
            ),
            data.xrefs.map((x) =>
              h(
                'div',
                { class: ['xref', `system-${(roleOf(x.system) ?? 'other').toLowerCase()}`] },
                h(
                  'div',
                  { class: 'xref-system' },
                  systemName(x.system),
                  h('span', { class: 'xref-role' }, roleOf(x.system) ?? ''),
                ),
                h('div', { class: 'xref-type' }, x.objectType),
                h('div', { class: 'mono xref-id' }, x.externalId),
              ),
            ),
          ),
      record ? customerFacts(fields) : null,
      record
        ? jsonDetails(
            `Canonical record (updated by ${record.updatedBy} ${ago(record.updatedAtMs)})`,
            record.data,
          )
        : null,
    ),
    section(
      h('span', null, `Lineage (${count(shown.length)} moments)`),
      h(
        'div',
        { class: 'filters' },
        h('label', { for: 'lineage-correlation' }, 'Correlation id'),
        picker,
        h(
          'label',
          { class: 'check' },
          h('input', {
            id: 'lineage-routing',
            type: 'checkbox',
            checked: routing,
            on: { change: (e) => controls.routing((e.target as HTMLInputElement).checked) },
          }),
          ' show routing of events',
        ),
      ),
      shown.length === 0 ? empty('Nothing has happened for this customer yet.') : timeline(shown),
    ),
  ];
}

/** The customer's master data as revsync holds it (the fields finance asks about first). */
function customerFacts(fields: Record<string, unknown>): HTMLElement | null {
  const wanted: [string, string][] = [
    ['region', 'Region'],
    ['subsidiary', 'Subsidiary'],
    ['currency', 'Currency'],
    ['domain', 'Domain'],
    ['email', 'Billing email'],
    ['taxId', 'Tax id'],
  ];
  const pairs = wanted
    .filter(([key]) => typeof fields[key] === 'string' || typeof fields[key] === 'number')
    .map(([key, label]): [string, Child] => [label, String(fields[key])]);
  return pairs.length ? facts(pairs) : null;
}

function timeline(items: Lineage[]): HTMLElement {
  let day = '';
  const rows: Child[] = [];
  for (const item of items) {
    const d = dateTimeOf(item.atMs).split(',')[0] ?? '';
    if (d !== day) {
      day = d;
      rows.push(h('li', { class: 'timeline-day' }, d));
    }
    const role = systemOf(item);
    rows.push(
      h(
        'li',
        {
          class: ['timeline-item', `kind-${item.kind.replace('.', '-')}`],
          data: { kind: item.kind },
        },
        h(
          'span',
          { class: 'timeline-time' },
          h(
            'time',
            { datetime: item.at, title: `${dateTimeOf(item.atMs)} (${ago(item.atMs)})` },
            clock(item.atMs, true),
          ),
        ),
        h('span', { class: 'timeline-dot', 'aria-hidden': 'true' }),
        h(
          'div',
          { class: 'timeline-body' },
          h(
            'div',
            { class: 'timeline-title' },
            role
              ? h('span', { class: ['system-chip', `system-${role.toLowerCase()}`] }, role)
              : null,
            ' ',
            item.title,
          ),
          h(
            'div',
            { class: 'timeline-meta' },
            item.status ? badge(item.status) : null,
            item.runId ? ['run ', idLink('runs', item.runId)] : null,
            item.exceptionId ? ['exception ', idLink('exceptions', item.exceptionId)] : null,
            item.correlationId
              ? [
                  'correlation ',
                  h(
                    'span',
                    { class: 'correlation', data: { hue: hue(item.correlationId) } },
                    correlationLink(item.correlationId),
                  ),
                ]
              : null,
          ),
        ),
      ),
    );
  }
  const list = h('ol', { class: 'timeline' }, rows);
  // A colour per correlation id (through the CSSOM; the page's CSP allows no style attributes).
  for (const el of list.querySelectorAll<HTMLElement>('.correlation')) {
    el.style.borderColor = `hsl(${el.dataset.hue} 60% 45%)`;
  }
  return list;
}

function systemOf(item: Lineage): SystemRole | undefined {
  if (item.kind.startsWith('event.')) {
    const source = item.title.split(' ')[0]?.split('.')[0] ?? '';
    return roleOf(source) ?? undefined;
  }
  if (item.step) return roleOfStep(item.step);
  return undefined;
}

function hue(text: string): number {
  let n = 0;
  for (const ch of text) n = (n * 31 + ch.charCodeAt(0)) % 360;
  return n;
}
