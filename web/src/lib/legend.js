// Legend entries read from the style itself (match expressions on an attribute become one
// entry per value), drawn as a swatch AND a text label, so nothing is told by colour alone;
// point markers show their shape (markers.js) as on the map.
import { decorativeSvg, h, svgEl } from './dom.js';
import { pick, t } from './i18n.js';
import { parseMarker, shapePoints } from './markers.js';
import './strings.js';

/**
 * @typedef {object} LegendEntry
 * @property {string} label          the value (e.g. 商業地域) or the layer title
 * @property {'fill' | 'line' | 'circle' | 'marker'} kind
 * @property {string} [shape]        markers: circle, square, diamond or triangle
 * @property {string} color
 * @property {string} [stroke]       outline colour (fills: the layer's outline line)
 * @property {boolean} [dashed]      dashed outline or line
 * @property {number} [width]        line width in px
 */

function constant(v) {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v[0] === 'interpolate') return constant(v[v.length - 1]);
  if (Array.isArray(v) && v[0] === 'match') return constant(v[v.length - 1]);
  return typeof v === 'number' ? v : undefined;
}

/** [[value, colour], ...] and the default of a `match` on `['get', attr]`, else null. */
function matchPairs(expr) {
  if (!Array.isArray(expr) || expr[0] !== 'match') return null;
  const pairs = [];
  for (let i = 2; i < expr.length - 1; i += 2) {
    const keys = Array.isArray(expr[i]) ? expr[i] : [expr[i]];
    for (const k of keys) pairs.push([String(k), expr[i + 1]]);
  }
  return { pairs, fallback: expr[expr.length - 1] };
}

const COLOR = { fill: 'fill-color', line: 'line-color', circle: 'circle-color' };

/**
 * The legend entries for data layer `id` (the style layers drawing source `id`).
 * @param {object[]} styleLayers  map.getStyle().layers filtered to the source
 * @param {{ja: string, en: string} | string} title
 * @returns {LegendEntry[]}
 */
export function legendEntries(styleLayers, title) {
  const marker = styleLayers.find((l) => l.type === 'symbol' && l.layout?.['icon-image']);
  if (marker) return markerEntries(marker.layout['icon-image'], title);
  const main = styleLayers.find((l) => l.type in COLOR && !(l.type === 'line' && styleLayers.some((f) => f.type === 'fill')));
  if (!main) return [];
  const outline = main.type === 'fill' ? styleLayers.find((l) => l.type === 'line') : null;
  const p = main.paint ?? {};
  const base = {
    kind: main.type,
    stroke: outline ? constant(outline.paint?.['line-color']) : constant(p['circle-stroke-color']),
    dashed: Boolean((outline ?? main).paint?.['line-dasharray']),
    width: main.type === 'line' ? 4 : undefined,
  };
  const m = matchPairs(p[COLOR[main.type]]);
  if (!m) return [{ ...base, label: pick(title), color: constant(p[COLOR[main.type]]) ?? '#888' }];
  const entries = m.pairs.map(([label, color]) => ({ ...base, label, color }));
  const other = constant(m.fallback) ?? '#ccc';
  // a fallback that repeats a listed colour is the style's belt and braces, not a class
  if (!entries.some((e) => e.color === other)) entries.push({ ...base, label: t('layers.other'), color: other });
  return entries;
}

/** Entries of a shaped-marker layer (markers.js): one per value, each with its shape. */
function markerEntries(image, title) {
  const entry = (label, name) => {
    const m = parseMarker(name);
    return m && { label, kind: 'marker', shape: m.shape, color: m.fill, stroke: m.stroke };
  };
  const m = matchPairs(image);
  if (!m) return [entry(pick(title), image)].filter(Boolean);
  const entries = m.pairs.map(([label, name]) => entry(label, name)).filter(Boolean);
  // a fallback drawn like a listed value is not a class of its own
  if (!m.pairs.some(([, name]) => name === m.fallback)) entries.push(entry(t('layers.other'), m.fallback));
  return entries.filter(Boolean);
}

/**
 * A 28×20 swatch for one entry (decorative: the text beside it carries the meaning). Markers
 * get their shape (`data-shape`), from the geometry the map's icons are drawn with.
 * @param {LegendEntry} e
 */
export function swatch(e) {
  const dash = e.dashed ? '4 2' : null;
  const body = { fill: e.color, stroke: e.stroke ?? '#fff', 'stroke-width': 2 };
  const points = e.kind === 'marker' ? shapePoints(e.shape, 14, 10, 7) : null;
  let shape;
  if (points) shape = svgEl('polygon', { ...body, points: points.map((p) => p.join(',')).join(' '), 'stroke-linejoin': 'round' });
  else if (e.kind === 'circle' || e.kind === 'marker') shape = svgEl('circle', { ...body, cx: 14, cy: 10, r: 7 });
  else if (e.kind === 'line') {
    const width = e.width ?? 3;
    shape = svgEl('line', { x1: 2, y1: 10, x2: 26, y2: 10, stroke: e.color, 'stroke-width': width, 'stroke-linecap': 'round', 'stroke-dasharray': dash });
  } else {
    const rect = { x: 2, y: 2, width: 24, height: 16, fill: e.color, 'fill-opacity': 0.6, stroke: e.stroke ?? e.color, 'stroke-width': 1.5 };
    shape = svgEl('rect', { ...rect, 'stroke-dasharray': dash });
  }
  const attrs = { width: 28, height: 20, viewBox: '0 0 28 20', class: 'km-swatch', 'data-shape': e.kind === 'marker' ? e.shape : null };
  return decorativeSvg(attrs, shape);
}

/**
 * A `<ul>` of swatch + text for `entries`.
 * @param {LegendEntry[]} entries
 */
export function renderLegend(entries) {
  return h('ul', 'km-legend', entries.map((e) => h('li', null, swatch(e), h('span', null, e.label))));
}
