/**
 * A tiny DOM helper: `h('td', { class: 'num' }, '42')`. Text is always set as text (never as
 * HTML), so data from the API cannot inject markup; styles go through the CSSOM, which the
 * page's Content-Security-Policy allows.
 */

/** What can be a child: nodes, text, numbers; null, undefined and false are left out. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** Attributes and properties of an element made by {@link h}. */
export interface Props {
  class?: string | (string | false | null | undefined)[];
  /** Inline style properties (CSSOM), e.g. `{ width: '40%' }`. */
  style?: Partial<Record<'width' | 'height' | 'left' | 'top' | 'background' | 'color', string>>;
  /** `data-*` attributes. */
  data?: Record<string, string | number | undefined>;
  /** Event listeners, e.g. `{ click: () => … }`. */
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
  /** Any other attribute; `true` sets it empty, `false`/`undefined`/`null` leaves it out. */
  [attribute: string]: unknown;
}

/** Creates an HTML element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) applyProps(el, props);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Creates an SVG element; attribute values are set as given. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number | undefined> = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function applyProps(el: HTMLElement, props: Props): void {
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') {
      const names = Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value);
      if (names) el.className = names;
    } else if (name === 'style') {
      Object.assign(el.style, value);
    } else if (name === 'data') {
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        if (v !== undefined) el.dataset[key] = String(v);
      }
    } else if (name === 'on') {
      for (const [event, listener] of Object.entries(value as Record<string, EventListener>)) {
        el.addEventListener(event, listener);
      }
    } else if (name === 'value' && 'value' in el) {
      (el as HTMLInputElement).value = String(value);
    } else if (name === 'checked' && 'checked' in el) {
      (el as HTMLInputElement).checked = Boolean(value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

/** Appends children (flattening arrays, leaving out empty ones). */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces an element's children, keeping keyboard focus on an element with the same `data-focus` key. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  const active = document.activeElement;
  const key =
    active instanceof HTMLElement && parent.contains(active) ? active.dataset.focus : undefined;
  const fragment = document.createDocumentFragment();
  append(fragment, children);
  parent.replaceChildren(fragment);
  if (key !== undefined) {
    const again = parent.querySelector<HTMLElement>(`[data-focus="${CSS.escape(key)}"]`);
    again?.focus();
  }
}
