// The shelter list: the text alternative to the map. Every shelter with its address and the
// hazards it serves, filterable by hazard, reachable without the map (skip link, toolbar).
import { items } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { errorBox, h, statusLine } from '../lib/dom.js';
import { HAZARDS, HAZARD_FIELD } from './hazard.js';
import { bearing, metres } from './nearest-local.js';
import { shelterItem } from './shelter-item.js';

/**
 * @param {HTMLElement} root  the pane
 * @param {{onShowShelter: (f: GeoJSON.Feature) => void}} opts
 * @returns {{render: () => Promise<void>, setOrigin: (at: [number, number]) => void}}
 *   `setOrigin`: once the location is known, the list is sorted by distance from it
 */
export function createSheltersPane(root, { onShowShelter }) {
  let features = null;
  let filter = '';
  let origin = null;
  const list = h('div', 'shelters-results');
  const render = async () => {
    root.replaceChildren(h('p', null, t('shelters.intro')), filterSelect(), list);
    if (!features) {
      list.replaceChildren(statusLine(t('popup.loading')));
      try {
        features = (await items('shelters', { limit: 1000 })).features;
      } catch (e) {
        list.replaceChildren(errorBox(e.message));
        return;
      }
    }
    fill();
  };
  const fill = () => {
    let shown = filter ? features.filter((f) => f.properties[HAZARD_FIELD[filter]] === true) : features;
    if (origin) {
      shown = shown
        .map((f) => ({ ...f, distance_m: metres(origin, f.geometry.coordinates), bearing_deg: bearing(origin, f.geometry.coordinates) }))
        .sort((a, b) => a.distance_m - b.distance_m);
    }
    const ul = h(origin ? 'ol' : 'ul', 'shelter-list');
    for (const f of shown) ul.append(shelterItem(f, { onShow: onShowShelter, from: origin ?? undefined }));
    const count = h('p', 'status', t('shelter.count', { n: shown.length }));
    count.setAttribute('role', 'status');
    list.replaceChildren(count, ul);
  };
  function filterSelect() {
    const wrap = h('div', 'field');
    const label = h('label', null, t('hazard.label'));
    label.htmlFor = 'shelters-filter';
    const select = h('select');
    select.id = 'shelters-filter';
    select.append(new Option(t('hazard.all'), '', false, filter === ''));
    for (const h of HAZARDS) select.append(new Option(t(`hazard.${h}`), h, false, filter === h));
    select.addEventListener('change', () => {
      filter = select.value;
      fill();
    });
    wrap.append(label, select);
    return wrap;
  }
  const setOrigin = (at) => {
    origin = at;
    if (features && root.isConnected && !root.hidden) fill();
  };
  return { render, setOrigin };
}
