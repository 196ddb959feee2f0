// Print / PDF of the current view at A4 or A3, portrait or landscape: a print-only layout
// with title, date, the map as an image, scale bar, north arrow, legend and attribution.
// `preparePrint` builds it; the print stylesheet shows only it. `window.print()` (or the
// browser's own print command, via `beforeprint`) then prints it.
import { getLang, t } from './i18n.js';
import { renderLegend } from './legend.js';
import './strings.js';
import '../styles/print.css';

/** Paper sizes in millimetres (portrait). */
export const PAPER = { A4: [210, 297], A3: [297, 420] };
const MARGIN_MM = 10;
const HEADER_MM = 20;
const FOOTER_MM = 62;

/**
 * @typedef {object} PrintOptions
 * @property {'A4' | 'A3'} [paper]
 * @property {'portrait' | 'landscape'} [orientation]
 * @property {string} [title]                   default: かしまっぷ
 * @property {{title: string, entries: import('./legend.js').LegendEntry[]}[]} legend
 * @property {string[]} attributions            plain-text sources (basemap included)
 * @property {string | string[]} [note]         lines under the sources: a sample-data
 *   notice, who printed it
 */

/**
 * Build (or rebuild) the print layout from the map as it is now. Synchronous, so it works
 * from `beforeprint` too.
 * @param {import('maplibre-gl').Map} map
 * @param {PrintOptions} opts
 * @returns {HTMLElement} the layout (`#km-print`)
 */
export function preparePrint(map, opts) {
  const { paper = 'A4', orientation = 'portrait' } = opts;
  pageStyle(paper, orientation);
  const [boxW, boxH] = mapBox(opts);
  map.redraw();
  const canvas = map.getCanvas();
  const cssW = canvas.clientWidth || canvas.width;
  const cssH = canvas.clientHeight || canvas.height;
  const imgW = Math.min(boxW, (boxH * cssW) / cssH);
  const layout = document.getElementById('km-print') ?? document.body.appendChild(document.createElement('div'));
  layout.id = 'km-print';
  layout.className = `km-print km-print-${paper}-${orientation}`;
  layout.lang = getLang();
  layout.replaceChildren(
    header(opts.title ?? t('print.title')),
    mapFigure(canvas.toDataURL('image/png'), imgW, (imgW * cssH) / cssW, map.getBearing()),
    footer(map, imgW / cssW, opts),
  );
  return layout;
}

/**
 * Prepare the layout with the map redrawn in the paper's proportions (same centre and zoom,
 * so a landscape sheet shows more to the sides), then open the browser's print dialog
 * (PDF is one of its printers).
 * @param {import('maplibre-gl').Map} map
 * @param {PrintOptions} opts
 * @returns {Promise<HTMLElement>} the layout, after the dialog was opened
 */
export async function printMap(map, opts) {
  const layout = await withPaperShape(map, opts, () => preparePrint(map, opts));
  window.print();
  return layout;
}

/** The map box on paper, in millimetres. */
function mapBox({ paper = 'A4', orientation = 'portrait' }) {
  const [w, h] = orientation === 'landscape' ? [...PAPER[paper]].reverse() : PAPER[paper];
  return [w - 2 * MARGIN_MM, h - 2 * MARGIN_MM - HEADER_MM - FOOTER_MM];
}

/**
 * Run `capture` while the map's container has the map box's proportions (grown, never
 * shrunk, so nothing on screen is lost) and its tiles have loaded; then put it back.
 */
async function withPaperShape(map, opts, capture) {
  const el = map.getContainer();
  const [bw, bh] = mapBox(opts);
  const { clientWidth: w, clientHeight: h } = el;
  const [nw, nh] = w / h < bw / bh ? [Math.round((h * bw) / bh), h] : [w, Math.round((w * bh) / bw)];
  const saved = el.style.cssText;
  el.style.cssText = `position:fixed;left:0;top:0;width:${nw}px;height:${nh}px;z-index:-1`;
  map.resize();
  await idle(map, 8000);
  try {
    return capture();
  } finally {
    el.style.cssText = saved;
    map.resize();
  }
}

function idle(map, ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    map.once('idle', () => {
      clearTimeout(timer);
      resolve();
    });
    map.triggerRepaint();
  });
}

/**
 * Keep the layout current when the user prints with the browser's own command.
 * @param {import('maplibre-gl').Map} map
 * @param {() => PrintOptions} options
 */
export function watchPrint(map, options) {
  addEventListener('beforeprint', () => preparePrint(map, options()));
}

let pageSheet = null;

/** `@page` size and margin, through CSSOM so a strict CSP (no inline styles) allows it. */
function pageStyle(paper, orientation) {
  const rule = `@page { size: ${paper} ${orientation}; margin: ${MARGIN_MM}mm; }`;
  if (!pageSheet) {
    try {
      pageSheet = new CSSStyleSheet();
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, pageSheet];
    } catch {
      // older Safari: a <style> element (needs style-src 'unsafe-inline' under a CSP)
      pageSheet = document.head.appendChild(document.createElement('style'));
    }
  }
  if (pageSheet instanceof HTMLStyleElement) pageSheet.textContent = rule;
  else pageSheet.replaceSync(rule);
}

function header(title) {
  const el = document.createElement('header');
  el.className = 'km-print-header';
  const h = document.createElement('h1');
  h.textContent = title;
  const date = document.createElement('p');
  date.className = 'km-print-date';
  const today = new Date().toLocaleDateString(getLang() === 'en' ? 'en-GB' : 'ja-JP', {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
  });
  date.textContent = `${t('print.date')}：${today}`;
  el.append(h, date);
  return el;
}

function mapFigure(src, wMm, hMm, bearing) {
  const fig = document.createElement('div');
  fig.className = 'km-print-map';
  fig.style.width = `${wMm}mm`;
  fig.style.height = `${hMm}mm`;
  const img = document.createElement('img');
  img.src = src;
  img.alt = t('print.mapAlt');
  img.style.width = `${wMm}mm`;
  img.style.height = `${hMm}mm`;
  fig.append(img, northArrow(bearing));
  return fig;
}

function northArrow(bearing) {
  const el = document.createElement('div');
  el.className = 'km-print-north';
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', t('print.north'));
  el.innerHTML =
    '<svg viewBox="0 0 40 52" width="40" height="52" aria-hidden="true">' +
    `<g transform="rotate(${-bearing} 20 30)"><polygon points="20,12 30,44 20,37 10,44" fill="#111" stroke="#111"/>` +
    '<polygon points="20,12 20,37 10,44" fill="#fff" stroke="#111"/></g>' +
    '<text x="20" y="10" text-anchor="middle" font-size="11" font-weight="bold">N</text></svg>';
  return el;
}

/** Metres on the ground per CSS pixel at the map centre (512-px Web Mercator tiles). */
export function metresPerPixel(map) {
  const lat = (map.getCenter().lat * Math.PI) / 180;
  return (40075016.686 * Math.cos(lat)) / (512 * 2 ** map.getZoom());
}

function niceLength(maxMetres) {
  const p = 10 ** Math.floor(Math.log10(maxMetres));
  return [5, 2, 1].map((m) => m * p).find((v) => v <= maxMetres) ?? p;
}

function scaleBar(map, mmPerPx) {
  const metresPerMm = metresPerPixel(map) / mmPerPx;
  const len = niceLength(metresPerMm * 40);
  const barMm = len / metresPerMm;
  const el = document.createElement('div');
  el.className = 'km-print-scale';
  const denom = Math.round(metresPerMm * 1000);
  const label = len >= 1000 ? `${len / 1000} km` : `${len} m`;
  el.innerHTML =
    `<svg width="${barMm + 2}mm" height="6mm" viewBox="0 0 ${barMm + 2} 6" aria-hidden="true">` +
    `<rect x="1" y="2" width="${barMm / 2}" height="2" fill="#111"/>` +
    `<rect x="${1 + barMm / 2}" y="2" width="${barMm / 2}" height="2" fill="#fff" stroke="#111" stroke-width="0.3"/>` +
    `<rect x="1" y="2" width="${barMm}" height="2" fill="none" stroke="#111" stroke-width="0.3"/></svg>`;
  const text = document.createElement('p');
  text.textContent = `${t('print.scale')} 1:${denom.toLocaleString('ja-JP')}（${label}）`;
  el.append(text);
  return el;
}

function footer(map, mmPerPx, opts) {
  const el = document.createElement('footer');
  el.className = 'km-print-footer';
  const legend = document.createElement('section');
  legend.className = 'km-print-legend';
  const h = document.createElement('h2');
  h.textContent = t('print.legend');
  legend.append(h);
  for (const group of opts.legend) {
    const g = document.createElement('div');
    g.className = 'km-print-legend-group';
    const name = document.createElement('h3');
    name.textContent = group.title;
    g.append(name, renderLegend(group.entries));
    legend.append(g);
  }
  const attrib = document.createElement('section');
  attrib.className = 'km-print-attrib';
  const ah = document.createElement('h2');
  ah.textContent = t('print.attribution');
  const list = document.createElement('ul');
  for (const a of opts.attributions) {
    const li = document.createElement('li');
    li.textContent = a;
    list.append(li);
  }
  attrib.append(ah, list);
  for (const line of [opts.note ?? []].flat().filter(Boolean)) {
    const note = document.createElement('p');
    note.className = 'km-print-note';
    note.textContent = line;
    attrib.append(note);
  }
  el.append(scaleBar(map, mmPerPx), legend, attrib);
  return el;
}
