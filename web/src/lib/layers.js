// The layer list: one checkbox per data layer in the style (the server names only the layers
// the caller may see), its title and attribution from the server, and its legend.
import { layerInfo } from './api.js';
import { onLangChange, pick, t } from './i18n.js';
import { legendEntries, renderLegend } from './legend.js';
import { h, icon } from './dom.js';
import { dataLayerIds, styleLayersOf } from './map.js';
import './strings.js';

/**
 * @typedef {object} LayerList
 * @property {() => string[]} visible           ids of the visible data layers
 * @property {(ids: string[]) => void} setVisible  show exactly these (others hidden)
 * @property {() => string[]} ids               all data layer ids, drawing order
 * @property {(id: string) => Promise<import('./api.js').LayerInfo>} info
 * @property {(id: string, title?: {ja: string, en: string}) => import('./legend.js').LegendEntry[]} legend
 */

/**
 * Mount the layer list into `root` once the map's style is loaded.
 * @param {HTMLElement} root
 * @param {import('maplibre-gl').Map} map
 * @param {object} [opts]
 * @param {(visible: string[]) => void} [opts.onChange]  after the user toggles a layer
 * @param {(id: string) => boolean} [opts.isRestricted]  staff page: mark 職員限定 layers
 * @param {(id: string) => string | null} [opts.note]  a line under the layer's name (staff
 *   page: the attributes shown), or null for none
 * @param {boolean} [opts.legendOpen]  legends start open (default) or folded (staff panel)
 * @param {string} [opts.headingLevel]  'h2' (default), 'h3', or '' for no heading (the
 *   page already has one)
 * @returns {LayerList}
 */
export function mountLayerList(root, map, opts = {}) {
  const { onChange, isRestricted = () => false, note = () => null, legendOpen = true, headingLevel = 'h2' } = opts;
  const ids = dataLayerIds(map);
  const visible = () => ids.filter((id) => isShown(map, id));
  const api = {
    ids: () => [...ids],
    visible,
    setVisible(show) {
      for (const id of ids) setShown(map, id, show.includes(id));
      for (const box of root.querySelectorAll('input[data-layer]')) box.checked = show.includes(box.dataset.layer);
    },
    info: layerInfo,
    legend: (id, title = id) => legendEntries(styleLayersOf(map, id), title),
  };
  const render = async () => {
    const infos = await Promise.all(ids.map(layerInfo));
    const ul = list(map, infos, { isRestricted, note, legendOpen, onChange: () => onChange?.(visible()) });
    root.replaceChildren(...(headingLevel ? [heading(headingLevel)] : []), ul);
  };
  render();
  onLangChange(render);
  return api;
}

function heading(level) {
  return h(level, 'km-layers-heading', t('layers.heading'));
}

function list(map, infos, opts) {
  return h('ul', 'km-layer-list', [...infos].reverse().map((info) => item(map, info, opts)));
}

function item(map, info, { isRestricted, note, legendOpen, onChange }) {
  const restricted = isRestricted(info.id);
  const box = h('input', {
    type: 'checkbox',
    'data-layer': info.id,
    onchange: () => {
      setShown(map, info.id, box.checked);
      onChange();
    },
  });
  box.checked = isShown(map, info.id);
  const line = note(info.id);
  return h(
    'li',
    { class: restricted ? 'km-layer is-restricted' : 'km-layer', 'data-layer': info.id },
    h('label', 'km-check', box, h('span', null, pick(info.title)), restricted ? restrictedBadge() : null),
    line ? h('p', 'km-layer-note', line) : null,
    h(
      'details',
      { open: legendOpen },
      h('summary', null, `${t('layers.legend')}・${t('layers.source')}`),
      renderLegend(legendEntries(styleLayersOf(map, info.id), info.title)),
      h('p', 'km-attrib', withSourcePrefix(info.attribution)),
    ),
  );
}

/** 「職員限定」: a lock icon and the word, never colour alone (layer list and popups). */
export function restrictedBadge() {
  return h('span', 'km-badge', icon('lock'), t('layers.restricted'));
}

function isShown(map, id) {
  const ls = styleLayersOf(map, id);
  return ls.length > 0 && ls.some((l) => (l.layout?.visibility ?? 'visible') !== 'none');
}

function setShown(map, id, on) {
  for (const l of styleLayersOf(map, id)) map.setLayoutProperty(l.id, 'visibility', on ? 'visible' : 'none');
}

/** `出典：…` once: some attributions already start with 出典. */
export function withSourcePrefix(text) {
  return /^(出典|Source)/.test(text) ? text : `${t('layers.source')}：${text}`;
}
