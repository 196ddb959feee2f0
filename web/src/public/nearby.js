// 「現在地」: the device's location, then the nearest shelters for the chosen hazard
// (/api/nearest?layer=shelters&hazard=...), with distance and a walking-route link.
import { nearest } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { errorBox, h, statusLine } from '../lib/dom.js';
import { hazard, hazardSelect, onHazardChange } from './hazard.js';
import { shelterItem } from './shelter-item.js';

/**
 * @param {HTMLElement} root  the pane
 * @param {{onLocated: (lon: number, lat: number) => void, onShowShelter: (f: GeoJSON.Feature) => void,
 *   onListed?: (features: GeoJSON.Feature[]) => void}} opts  `onListed` gets the shelters, nearest first
 * @returns {{locate: () => void, render: () => void}}
 */
export function createNearbyPane(root, { onLocated, onShowShelter, onListed }) {
  let here = null;
  const results = h('div', 'nearby-results');
  results.setAttribute('aria-live', 'polite');
  const render = () => {
    const button = h('button', 'primary', t('nearby.button'));
    button.type = 'button';
    button.addEventListener('click', locate);
    root.replaceChildren(h('p', null, t('nearby.intro')), hazardSelect('nearby-hazard'), button, results);
  };
  const list = async () => {
    results.replaceChildren(statusLine(t('popup.loading')));
    try {
      const fc = await nearest('shelters', here[0], here[1], { k: 5, hazard: hazard() });
      const ol = h('ol', 'shelter-list');
      for (const f of fc.features) ol.append(shelterItem(f, { from: here, onShow: onShowShelter, level: 'h4' }));
      const heading = h('h3', null, t('nearby.result', { hazard: t(`hazard.${hazard()}`) }));
      results.replaceChildren(heading, fc.features.length ? ol : h('p', null, t('place.noShelters')));
      onListed?.(fc.features);
      heading.scrollIntoView({ block: 'start', behavior: 'smooth' });
    } catch (e) {
      results.replaceChildren(errorBox(e.message));
    }
  };
  function locate() {
    if (!navigator.geolocation) {
      results.replaceChildren(errorBox(t('nearby.unsupported')));
      return;
    }
    results.replaceChildren(statusLine(t('nearby.locating')));
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        here = [pos.coords.longitude, pos.coords.latitude];
        onLocated(...here);
        list();
      },
      (err) => results.replaceChildren(errorBox(t(err.code === 1 ? 'nearby.denied' : 'nearby.unavailable'))),
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 60_000 },
    );
  }
  onHazardChange(() => here && list());
  render();
  return { locate, render: () => (render(), here && list()) };
}
