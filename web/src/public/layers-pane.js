// 「地図の表示」: the basemap (地理院タイル 淡色・標準・写真) and the layer list with legends.
import { onLangChange, t } from '../lib/i18n.js';
import { mountLayerList } from '../lib/layers.js';
import { BASEMAPS, hasBasemap, setBasemap } from '../lib/map.js';
import { h, radioGroup } from '../lib/dom.js';
import { gsiHazardControls } from './gsi-hazard.js';

const KEY = 'kashimap.basemap';

/**
 * @param {HTMLElement} root
 * @param {import('maplibre-gl').Map} map
 * @param {{onChange: (visible: string[]) => void}} opts
 * @returns {import('../lib/layers.js').LayerList}
 */
export function createLayersPane(root, map, { onChange }) {
  const basemap = h('div', 'basemap');
  const list = h('div', 'layers');
  const more = h('nav', { class: 'more-links' });
  const renderMore = () => {
    more.setAttribute('aria-label', t('more.label'));
    more.replaceChildren(
      h('a', { href: '/help' }, t('more.help')),
      h('a', { href: '/?mode=bousai' }, t('more.bousai')),
      h('a', { href: '/timeline' }, t('more.timeline')),
    );
  };
  renderMore();
  onLangChange(renderMore);
  root.replaceChildren(more, basemap, list, gsiHazardControls(map));
  if (hasBasemap(map)) {
    const saved = localStorage.getItem(KEY);
    if (saved in BASEMAPS && saved !== 'pale') setBasemap(map, saved);
    const render = () => basemap.replaceChildren(basemapChoices(map, localStorage.getItem(KEY) ?? 'pale'));
    render();
    onLangChange(render);
  } else {
    basemap.hidden = true;
  }
  return mountLayerList(list, map, { onChange, headingLevel: '' });
}

function basemapChoices(map, current) {
  return radioGroup({
    name: 'basemap',
    legend: t('layers.basemap'),
    options: Object.keys(BASEMAPS).map((kind) => [kind, t(`basemap.${kind}`)]),
    value: current,
    onChange(kind) {
      setBasemap(map, kind);
      try {
        localStorage.setItem(KEY, kind);
      } catch {
        // not remembered
      }
    },
  });
}
