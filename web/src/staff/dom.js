// A tiny element builder, so panels build DOM without innerHTML (no injection from data).

/**
 * `h('p', {class: 'x', onclick: fn}, 'text', child)`: attributes starting with `on` become
 * listeners; `null`/`false` children are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
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

/** A status line that screen readers announce. */
export function statusLine() {
  return h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
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

/** A small decorative SVG icon (hidden from screen readers: the text next to it says it). */
export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '1em');
  svg.setAttribute('height', '1em');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.classList.add('icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', ICONS[name]);
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('fill-rule', 'evenodd');
  svg.append(path);
  return svg;
}
