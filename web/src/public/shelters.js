// The shelter list: the text alternative to the map. Every shelter with its address and the
// hazards it serves, filterable by hazard, reachable without the map (skip link, toolbar).
import { items } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { el, errorBox, statusBox } from './format.js';
import { HAZARDS, HAZARD_FIELD } from './hazard.js';
import { shelterItem } from './shelter-item.js';

/**
 * @param {HTMLElement} root  the pane
 * @param {{onShowShelter: (f: GeoJSON.Feature) => void}} opts
 * @returns {{render: () => Promise<void>}}
 */
export function createSheltersPane(root, { onShowShelter }) {
  let features = null;
  let filter = '';
  const list = el('div', 'shelters-results');
  const render = async () => {
    root.replaceChildren(el('p', null, t('shelters.intro')), filterSelect(), list);
    if (!features) {
      list.replaceChildren(statusBox(t('popup.loading')));
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
    const shown = filter ? features.filter((f) => f.properties[HAZARD_FIELD[filter]] === true) : features;
    const ul = el('ul', 'shelter-list');
    for (const f of shown) ul.append(shelterItem(f, { onShow: onShowShelter }));
    const count = el('p', 'status', t('shelter.count', { n: shown.length }));
    count.setAttribute('role', 'status');
    list.replaceChildren(count, ul);
  };
  function filterSelect() {
    const wrap = el('div', 'field');
    const label = el('label', null, t('hazard.label'));
    label.htmlFor = 'shelters-filter';
    const select = el('select');
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
  return { render };
}
