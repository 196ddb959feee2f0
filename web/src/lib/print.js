// Print / PDF of the current view at A4 or A3, portrait or landscape: a print-only layout
// with title, date, the map as an image, scale bar, north arrow, legend and attribution.
// `preparePrint` builds it; the print stylesheet shows only it. `window.print()` (or the
// browser's own print command, via `beforeprint`) then prints it.
import { decorativeSvg, h, svgEl } from './dom.js';
import { getLang, t } from './i18n.js';
import { renderLegend } from './legend.js';
import { drawLabels, quieten } from './print-quiet.js';
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
 * @property {{at: [number, number], label: string, kind?: 'here' | 'shelter'}[]} [marks]
 *   points drawn on the printed map (the location, the nearest shelter); the map is centred
 *   on the first
 * @property {import('./print-quiet.js').Focus} [focus]  a focused print (the 管路図): these
 *   layers at full strength with labels, the rest and the basemap quiet
 * @property {number} [footerMm]  the footer's measured height (set by printMap), so the map
 *   fills the rest of the page
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
  // quiet and redrawn synchronously (the tiles are loaded), captured, then put back
  const restore = opts.focus ? quieten(map, opts.focus) : null;
  map.redraw();
  const canvas = map.getCanvas();
  const [src, labels] = composite(map, canvas, opts.marks ?? [], opts.focus);
  restore?.();
  const cssW = canvas.clientWidth || canvas.width;
  const cssH = canvas.clientHeight || canvas.height;
  const imgW = Math.min(boxW, (boxH * cssW) / cssH);
  const layout = document.getElementById('km-print') ?? document.body.appendChild(h('div'));
  layout.id = 'km-print';
  layout.className = `km-print km-print-${paper}-${orientation}${opts.focus ? ' km-print-focused' : ''}`;
  layout.lang = getLang();
  const imgH = (imgW * cssH) / cssW;
  layout.dataset.labels = String(labels);
  layout.replaceChildren(
    header(opts.title ?? t('print.title')),
    mapFigure(src, imgW, imgH, map.getBearing()),
    footer(map, imgW / cssW, opts),
  );
  fitOnePage(layout, paper, orientation, imgH);
  return layout;
}

/**
 * Keep the sheet on one page: a long legend (many visible layers) makes the footer taller than
 * the FOOTER_MM set aside, and Chromium would then shrink the whole page (a 190 mm map printed
 * 142 mm wide). The map keeps its width and centre and gives up height at the top and bottom.
 */
function fitOnePage(layout, paper, orientation, imgH) {
  const [, pageH] = orientation === 'landscape' ? [...PAPER[paper]].reverse() : PAPER[paper];
  const [boxW] = mapBox({ paper, orientation });
  layout.classList.add('km-print-measure');
  layout.style.width = `${boxW}mm`;
  const mm = (el) => (el.getBoundingClientRect().height * 25.4) / 96;
  const used = mm(layout.querySelector('.km-print-header')) + mm(layout.querySelector('.km-print-footer')) + 4;
  layout.classList.remove('km-print-measure');
  layout.style.width = '';
  const room = pageH - 2 * MARGIN_MM - used;
  if (room >= imgH || room <= 40) return;
  const box = layout.querySelector('.km-print-map');
  const img = box.querySelector('img');
  box.style.height = `${room}mm`;
  img.style.height = `${room}mm`;
  img.style.objectFit = 'cover';
}

/**
 * The map image with the focus's labels and `marks` drawn on it (DOM markers such as 現在地
 * are not in the canvas).
 * @returns {[string, number]} a PNG data URL, and how many labels it has
 */
function composite(map, canvas, marks, focus) {
  if (!marks.length && !focus?.labels?.length) return [canvas.toDataURL('image/png'), 0];
  const out = document.createElement('canvas');
  out.width = canvas.width;
  out.height = canvas.height;
  const ctx = out.getContext('2d');
  ctx.drawImage(canvas, 0, 0);
  const ratio = canvas.width / (canvas.clientWidth || canvas.width);
  ctx.scale(ratio, ratio);
  const labels = focus ? drawLabels(map, ctx, focus) : 0;
  for (const m of marks) {
    const p = map.project(m.at);
    ctx.beginPath();
    if (m.kind === 'shelter') ctx.rect(p.x - 11, p.y - 11, 22, 22);
    else ctx.arc(p.x, p.y, 10, 0, 2 * Math.PI);
    ctx.fillStyle = m.kind === 'shelter' ? '#00704a' : '#d4351c';
    ctx.fill();
    ctx.lineWidth = 4;
    ctx.strokeStyle = '#ffffff';
    ctx.stroke();
    ctx.font = 'bold 15px system-ui, "Noto Sans CJK JP", sans-serif';
    ctx.lineWidth = 4;
    ctx.strokeText(m.label, p.x + 15, p.y + 5);
    ctx.fillStyle = '#111111';
    ctx.fillText(m.label, p.x + 15, p.y + 5);
  }
  return [out.toDataURL('image/png'), labels];
}

/**
 * Prepare the layout with the map redrawn in the paper's proportions (same centre and zoom,
 * so a landscape sheet shows more to the sides), then open the browser's print dialog
 * (PDF is one of its printers).
 * @param {import('maplibre-gl').Map} map
 * @param {PrintOptions} opts
 * @returns {Promise<HTMLElement>} the layout, after the dialog was opened
 */
export async function printMap(map, options) {
  const opts = withFooter(map, options);
  const layout = await withPaperShape(map, opts, () => preparePrint(map, opts));
  // the paper-shaped capture stands while the view is the same: `beforeprint` (fired by
  // window.print() and by saving a PDF) must not rebuild it from the screen-shaped canvas
  // (print media hides and resizes the map, which keeps the view)
  captured = viewOf(map);
  window.print();
  return layout;
}

/** The view printMap captured in the paper's shape, while the layout shows it. */
let captured = null;

function viewOf(map) {
  const c = map.getCenter();
  return [c.lng, c.lat, map.getZoom(), map.getBearing()].map((x) => x.toFixed(7)).join();
}

/** The map box on paper, in millimetres. */
function mapBox({ paper = 'A4', orientation = 'portrait', footerMm = FOOTER_MM }) {
  const [w, h] = orientation === 'landscape' ? [...PAPER[paper]].reverse() : PAPER[paper];
  return [w - 2 * MARGIN_MM, h - 2 * MARGIN_MM - HEADER_MM - footerMm];
}

/**
 * `opts` with the footer's height measured (a short legend leaves the map more of the
 * page, a long one less), so the map is captured in the shape that fills the page.
 */
function withFooter(map, opts) {
  const focused = opts.focus ? ' km-print-focused' : '';
  const probe = document.body.appendChild(h('div', `km-print km-print-measure km-print-${opts.paper ?? 'A4'}-${opts.orientation ?? 'portrait'}${focused}`));
  probe.style.width = `${mapBox(opts)[0]}mm`;
  probe.append(footer(map, 0.25, opts));
  const mm = (probe.getBoundingClientRect().height * 25.4) / 96 + 4;
  probe.remove();
  return { ...opts, footerMm: Math.min(Math.max(mm, 24), FOOTER_MM * 1.5) };
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
  const view = { center: map.getCenter(), zoom: map.getZoom() };
  el.style.cssText = `position:fixed;left:0;top:0;width:${nw}px;height:${nh}px;z-index:-1`;
  map.resize();
  // centred on what is marked (the location), not where the screen view was shifted to
  if (opts.marks?.length) map.jumpTo({ center: opts.marks[0].at });
  await idle(map, 8000);
  try {
    return capture();
  } finally {
    el.style.cssText = saved;
    map.resize();
    if (opts.marks?.length) map.jumpTo(view);
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
  addEventListener('beforeprint', () => captured === viewOf(map) || preparePrint(map, withFooter(map, options())));
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
  const today = new Date().toLocaleDateString(getLang() === 'en' ? 'en-GB' : 'ja-JP', {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
  });
  return h('header', 'km-print-header', h('h1', null, title), h('p', 'km-print-date', `${t('print.date')}：${today}`));
}

/** Sizes through CSSOM, not a style attribute (allowed under a strict CSP). */
function sized(el, wMm, hMm) {
  el.style.width = `${wMm}mm`;
  el.style.height = `${hMm}mm`;
  return el;
}

function mapFigure(src, wMm, hMm, bearing) {
  const img = sized(h('img', { src, alt: t('print.mapAlt') }), wMm, hMm);
  return sized(h('div', 'km-print-map', img, northArrow(bearing)), wMm, hMm);
}

function northArrow(bearing) {
  const svg = decorativeSvg(
    { viewBox: '0 0 40 52', width: 40, height: 52 },
    svgEl(
      'g',
      { transform: `rotate(${-bearing} 20 30)` },
      svgEl('polygon', { points: '20,12 30,44 20,37 10,44', fill: '#111', stroke: '#111' }),
      svgEl('polygon', { points: '20,12 20,37 10,44', fill: '#fff', stroke: '#111' }),
    ),
    svgEl('text', { x: 20, y: 10, 'text-anchor': 'middle', 'font-size': 11, 'font-weight': 'bold' }, 'N'),
  );
  return h('div', { class: 'km-print-north', role: 'img', 'aria-label': t('print.north') }, svg);
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
  const denom = Math.round(metresPerMm * 1000);
  const label = len >= 1000 ? `${len / 1000} km` : `${len} m`;
  const bar = decorativeSvg(
    { width: `${barMm + 2}mm`, height: '6mm', viewBox: `0 0 ${barMm + 2} 6` },
    svgEl('rect', { x: 1, y: 2, width: barMm / 2, height: 2, fill: '#111' }),
    svgEl('rect', { x: 1 + barMm / 2, y: 2, width: barMm / 2, height: 2, fill: '#fff', stroke: '#111', 'stroke-width': 0.3 }),
    svgEl('rect', { x: 1, y: 2, width: barMm, height: 2, fill: 'none', stroke: '#111', 'stroke-width': 0.3 }),
  );
  return h('div', 'km-print-scale', bar, h('p', null, `${t('print.scale')} 1:${denom.toLocaleString('ja-JP')}（${label}）`));
}

function footer(map, mmPerPx, opts) {
  const legend = h(
    'section',
    'km-print-legend',
    h('h2', null, t('print.legend')),
    opts.legend.map((group) => h('div', 'km-print-legend-group', h('h3', null, group.title), renderLegend(group.entries))),
  );
  const notes = [opts.note ?? []].flat().filter(Boolean);
  const attrib = h(
    'section',
    'km-print-attrib',
    h('h2', null, t('print.attribution')),
    h('ul', null, opts.attributions.map((a) => h('li', null, a))),
    notes.map((line) => h('p', 'km-print-note', line)),
  );
  return h('footer', 'km-print-footer', scaleBar(map, mmPerPx), legend, attrib);
}
