// Optional overlays of the national 重ねるハザードマップ (ハザードマップポータルサイト, GSI/MLIT)
// raster tiles from disaportaldata.gsi.go.jp: 洪水浸水想定区域（想定最大規模）, 土砂災害警戒区域
// (急傾斜地・土石流・地すべり), 高潮浸水想定区域, 津波浸水想定. Off by default (they come from the
// internet); each is drawn under the city's data with its source credited.
import { h } from '../lib/dom.js';
import { onLangChange, t } from '../lib/i18n.js';
import { BASEMAP_SOURCE } from '../lib/map.js';

const BASE = 'https://disaportaldata.gsi.go.jp/raster';
const ATTRIBUTION = 'ハザードマップポータルサイト（国土交通省・国土地理院）';

/** Overlays: id → tile directories (one overlay may draw several). */
export const GSI_HAZARDS = {
  flood: ['01_flood_l2_shinsuishin_data'],
  dosha: ['05_kyukeishakeikaikuiki', '05_dosekiryukeikaikuiki', '05_jisuberikeikaikuiki'],
  takashio: ['03_hightide_l2_shinsuishin_data'],
  tsunami: ['04_tsunami_newlegend_data'],
};

const id = (key, i) => `gsi-hz-${key}-${i}`;

/** The first layer above the basemap: overlays go under the city's data. */
function beforeData(map) {
  return map.getStyle().layers.find((l) => l.source && l.source !== BASEMAP_SOURCE && !l.id.startsWith('gsi-hz-'))?.id;
}

function show(map, key, on) {
  GSI_HAZARDS[key].forEach((dir, i) => {
    const sid = id(key, i);
    if (on && !map.getSource(sid)) {
      map.addSource(sid, { type: 'raster', tiles: [`${BASE}/${dir}/{z}/{x}/{y}.png`], tileSize: 256, minzoom: 2, maxzoom: 17, attribution: ATTRIBUTION });
      map.addLayer({ id: sid, type: 'raster', source: sid, paint: { 'raster-opacity': 0.65 } }, beforeData(map));
    } else if (!on && map.getSource(sid)) {
      map.removeLayer(sid);
      map.removeSource(sid);
    }
  });
}

/**
 * The overlay switches (checkboxes in a fieldset).
 * @param {import('maplibre-gl').Map} map
 * @returns {HTMLElement}
 */
export function gsiHazardControls(map) {
  const wrap = h('div', 'gsi-hazards');
  const on = new Set();
  const render = () =>
    wrap.replaceChildren(
      h(
        'fieldset',
        'km-choices',
        h('legend', null, t('gsi.legend')),
        Object.keys(GSI_HAZARDS).map((key) =>
          h(
            'label',
            'km-radio',
            h('input', {
              type: 'checkbox',
              value: key,
              'data-gsi-hazard': key,
              checked: on.has(key),
              onchange: (e) => {
                if (e.target.checked) on.add(key);
                else on.delete(key);
                show(map, key, e.target.checked);
              },
            }),
            h('span', null, t(`gsi.${key}`)),
          ),
        ),
        h('p', 'hint', t('gsi.note')),
      ),
    );
  render();
  onLangChange(render);
  return wrap;
}
