// One shelter as a list item: name, kind, address, the hazards it serves (as text), the
// distance and direction when known, a walking-route link and a "show on map" button.
import { getLang, t } from '../lib/i18n.js';
import { h } from '../lib/dom.js';
import { direction, distance, walkMinutes, walkingRouteUrl } from './format.js';
import { servedHazards } from './hazard.js';

/**
 * @param {GeoJSON.Feature & {distance_m?: number, bearing_deg?: number | null}} f
 * @param {{from?: [number, number], onShow?: (f: GeoJSON.Feature) => void, mapHref?: string, level?: string}} [opts]
 *   `mapHref`: a link to the map instead of the `onShow` button (pages without a map)
 */
export function shelterItem(f, { from, onShow, mapHref, level = 'h3' } = {}) {
  const p = f.properties;
  const name = p['名称'] ?? '';
  const li = h('li', 'shelter');
  li.append(ja(h(level, 'shelter-name', name)));
  if (f.distance_m != null) {
    const parts = [f.distance_m < 10 ? t('shelter.nextTo') : t('shelter.distance', { d: distance(f.distance_m) })];
    if (f.bearing_deg != null) parts.push(t('shelter.direction', { dir: direction(f.bearing_deg) }));
    parts.push(t('shelter.walk', { min: walkMinutes(f.distance_m) }));
    li.append(h('p', 'shelter-distance', parts.join(sep())));
  }
  if (p['種別']) li.append(ja(h('p', 'shelter-kind', p['種別'])));
  if (p['住所']) li.append(ja(h('p', 'shelter-address', p['住所'])));
  const served = servedHazards(p);
  li.append(h('p', 'shelter-hazards', served.length ? t('shelter.hazards', { list: served.join(sep()) }) : t('shelter.noHazards')));
  const actions = h('div', 'shelter-actions');
  const coords = f.geometry?.coordinates;
  if (onShow) {
    const b = h('button', 'secondary', t('shelter.show'));
    b.type = 'button';
    b.setAttribute('aria-label', t('shelter.showLabel', { name }));
    b.addEventListener('click', () => onShow(f));
    actions.append(b);
  } else if (mapHref) {
    const a = h('a', 'map-link', t('shelter.show'));
    a.href = mapHref;
    a.setAttribute('aria-label', t('shelter.showLabel', { name }));
    actions.append(a);
  }
  if (coords) {
    const a = h('a', 'route-link', t('shelter.route'));
    a.href = walkingRouteUrl(coords, from);
    a.target = '_blank';
    a.rel = 'noopener';
    a.setAttribute('aria-label', t('shelter.routeLabel', { name }));
    actions.append(a);
  }
  li.append(actions);
  return li;
}

/** Data from the city is Japanese whatever the page language (WCAG 3.1.2, language of parts). */
function ja(node) {
  node.lang = 'ja';
  return node;
}

function sep() {
  return getLang() === 'en' ? ', ' : '・';
}
