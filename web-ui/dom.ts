/**
 * DOM building for the admin UI. Every piece of data goes in as a text node or an attribute
 * value, never as HTML: there is no innerHTML anywhere in the UI, so a name such as
 * `<script>alert(1)</script>` shows as those characters.
 */
export type Child = Node | string | number | null | undefined | false | Child[];
export type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

function apply(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** An HTML element with attributes and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element (charts, the ladder diagram). */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A table with a caption, header and rows (cells are children). */
/**
 * Columns shown only when some row has something in them: "Edited on" names the peer-group
 * member of a row's last edit (issue 19), which the API leaves null on an appliance without peers.
 */
const SHOWN_WHEN_FILLED = new Set(['Edited on']);

export function table(caption: string, allHeaders: string[], allRows: Child[][], empty = 'none'): HTMLElement {
  const blank = (c: Child) => c === '' || c === null || c === undefined;
  const keep = allHeaders.map((t, i) => !SHOWN_WHEN_FILLED.has(t) || allRows.some((r) => !blank(r[i])));
  const headers = allHeaders.filter((_, i) => keep[i]);
  const rows = allRows.map((r) => r.filter((_, i) => keep[i]));
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.length
        ? rows.map((r) => h('tr', {}, r.map((c, i) => h('td', { 'data-label': headers[i] ?? '' }, c))))
        : h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, empty)))));
}

/** A labelled form field (the label is bound to the input for screen readers). */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('small', { id: hintId }, hint) : null);
}

export const fmtTime = (ts: number) => new Date(ts).toLocaleTimeString();
export const fmtDateTime = (ts: number) => new Date(ts).toLocaleString();
export const fmtBytes = (n: number) => {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
};
export const fmtDuration = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
};
