// 「地図の表示」: the basemap (地理院タイル 淡色・標準・写真) and the layer list with legends.
import { onLangChange, t } from '../lib/i18n.js';
import { mountLayerList } from '../lib/layers.js';
import { BASEMAPS, hasBasemap, setBasemap } from '../lib/map.js';
import { el } from './format.js';

const KEY = 'kashimap.basemap';

/**
 * @param {HTMLElement} root
 * @param {import('maplibre-gl').Map} map
 * @param {{onChange: (visible: string[]) => void}} opts
 * @returns {import('../lib/layers.js').LayerList}
 */
export function createLayersPane(root, map, { onChange }) {
  const basemap = el('fieldset', 'basemap');
  const list = el('div', 'layers');
  root.replaceChildren(basemap, list);
  if (hasBasemap(map)) {
    const saved = localStorage.getItem(KEY);
    if (saved in BASEMAPS && saved !== 'pale') setBasemap(map, saved);
    const render = () => basemap.replaceChildren(...basemapChoices(map, localStorage.getItem(KEY) ?? 'pale'));
    render();
    onLangChange(render);
  } else {
    basemap.hidden = true;
  }
  return mountLayerList(list, map, { onChange, headingLevel: '' });
}

function basemapChoices(map, current) {
  const out = [el('legend', null, t('layers.basemap'))];
  for (const kind of Object.keys(BASEMAPS)) {
    const label = el('label', 'radio');
    const input = el('input');
    input.type = 'radio';
    input.name = 'basemap';
    input.value = kind;
    input.checked = kind === current;
    input.addEventListener('change', () => {
      setBasemap(map, kind);
      try {
        localStorage.setItem(KEY, kind);
      } catch {
        // not remembered
      }
    });
    label.append(input, el('span', null, t(`basemap.${kind}`)));
    out.push(label);
  }
  return out;
}
