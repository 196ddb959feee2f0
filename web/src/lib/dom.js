// A tiny element builder for both pages, so panels build DOM without innerHTML (no injection
// from data), plus status lines, dates and the few SVG icons the pages draw.

/**
 * `h('p', {class: 'x', onclick: fn}, 'text', child)`: attributes starting with `on` become
 * listeners; `null`/`false` children are skipped. `attrs` may be just a class name
 * (`h('p', 'note', text)`) or null.
 * @param {string} tag
 * @param {Record<string, unknown> | string | null} [attrs]
 * @param {...(Node | string | number | null | false | Array<Node | string | null>)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  const given = typeof attrs === 'string' ? { class: attrs } : (attrs ?? {});
  for (const [k, v] of Object.entries(given)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let seq = 0;
/** A unique element id with `prefix`. */
export function uid(prefix) {
  seq += 1;
  return `${prefix}-${seq}`;
}

/** Set a status line (an aria-live region) to `text`, marked as an error or not. */
export function say(el, text, { error = false } = {}) {
  el.textContent = text ?? '';
  el.classList.toggle('is-error', Boolean(error && text));
  el.classList.toggle('is-ok', Boolean(!error && text));
}

/** A status line that screen readers announce (e.g. 「読み込み中…」), optionally with text. */
export function statusLine(text) {
  return h('p', { class: 'status', role: 'status', 'aria-live': 'polite' }, text);
}

/** A paragraph for a failed request (role=alert, so it is read out at once). */
export function errorBox(message) {
  return h('p', { class: 'error', role: 'alert' }, message);
}

/**
 * A group of radio buttons in a `<fieldset>` with a `<legend>` (paper size, basemap, …).
 * @param {{name: string, legend: string, options: [string, string][], value: string,
 *   onChange: (value: string) => void}} spec  options are [value, text] pairs
 * @returns {HTMLFieldSetElement}
 */
export function radioGroup({ name, legend, options, value, onChange }) {
  return h(
    'fieldset',
    'km-choices',
    h('legend', null, legend),
    options.map(([v, text]) =>
      h(
        'label',
        'km-radio',
        h('input', { type: 'radio', name, value: v, checked: v === value, onchange: () => onChange(v) }),
        h('span', null, text),
      ),
    ),
  );
}

/** Date and time in Japan (the city's time, whatever the PC's zone), e.g. 2026/11/22 10:30. */
export function fmtDate(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString('ja-JP', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Asia/Tokyo' });
}

const ICONS = {
  // A padlock and a printer, drawn with paths (no icon font, no emoji font needed).
  lock: 'M5 7V5a3 3 0 0 1 6 0v2h1v7H4V7h1zm1.5 0h3V5a1.5 1.5 0 0 0-3 0v2z',
  print: 'M4 1h8v4H4zM2 6h12v6h-2v3H4v-3H2zm3 4v4h6v-4z',
};

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * An SVG element with attributes (null values skipped) and children.
 * @param {string} tag
 * @param {Record<string, string | number | null | undefined>} [attrs]
 * @param {...Node} children
 * @returns {SVGElement}
 */
export function svgEl(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/**
 * A decorative `<svg>` (hidden from screen readers, never focused): the text next to it
 * carries the meaning. Legend swatches and icons.
 * @param {Record<string, string | number>} attrs  width, height, viewBox, class, …
 * @param {...Node} children
 */
export function decorativeSvg(attrs, ...children) {
  return svgEl('svg', { ...attrs, 'aria-hidden': 'true', focusable: 'false' }, ...children);
}

/** A small decorative SVG icon (hidden from screen readers: the text next to it says it). */
export function icon(name) {
  const path = svgEl('path', { d: ICONS[name], fill: 'currentColor', 'fill-rule': 'evenodd' });
  return decorativeSvg({ viewBox: '0 0 16 16', width: '1em', height: '1em', class: 'icon' }, path);
}
