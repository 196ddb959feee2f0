// Legend entries read from the style itself (match expressions on an attribute become one
// entry per value), drawn as a swatch AND a text label, so nothing is told by colour alone.
import { decorativeSvg, svgEl } from './dom.js';
import { pick, t } from './i18n.js';
import './strings.js';

/**
 * @typedef {object} LegendEntry
 * @property {string} label          the value (e.g. 商業地域) or the layer title
 * @property {'fill' | 'line' | 'circle'} kind
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

/**
 * A 28×20 swatch for one entry (decorative: the text beside it carries the meaning).
 * @param {LegendEntry} e
 */
export function swatch(e) {
  const attrs = {
    circle: { cx: 14, cy: 10, r: 7, fill: e.color, stroke: e.stroke ?? '#fff', 'stroke-width': 2 },
    line: { x1: 2, y1: 10, x2: 26, y2: 10, stroke: e.color, 'stroke-width': e.width ?? 3, 'stroke-linecap': 'round' },
    rect: { x: 2, y: 2, width: 24, height: 16, fill: e.color, 'fill-opacity': 0.6, stroke: e.stroke ?? e.color, 'stroke-width': 1.5 },
  };
  const tag = e.kind === 'circle' || e.kind === 'line' ? e.kind : 'rect';
  const shape = svgEl(tag, { ...attrs[tag], 'stroke-dasharray': e.dashed ? '4 2' : null });
  return decorativeSvg({ width: 28, height: 20, viewBox: '0 0 28 20', class: 'km-swatch' }, shape);
}

/**
 * A `<ul>` of swatch + text for `entries`.
 * @param {LegendEntry[]} entries
 */
export function renderLegend(entries) {
  const ul = document.createElement('ul');
  ul.className = 'km-legend';
  for (const e of entries) {
    const li = document.createElement('li');
    const span = document.createElement('span');
    span.textContent = e.label;
    li.append(swatch(e), span);
    ul.append(li);
  }
  return ul;
}
