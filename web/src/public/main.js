// The public map at `/`: citizens on phones first. Wires the shared lib modules (map, layer
// list, popups, print) to the page's panes (place info, nearby shelters, shelter list,
// search) and keeps the view and visible layers in the URL hash.
import '../styles/public.css';
import './strings.js';
import { nearest } from '../lib/api.js';
import { watchNetwork } from '../lib/banner.js';
import { registerServiceWorker } from '../lib/offline.js';
import { parseHash, syncHash } from '../lib/hash.js';
import { getLang, initLang, onLangChange, setLang, t } from '../lib/i18n.js';
import { createMap, maplibregl, onStyleReady } from '../lib/map.js';
import { featuresAt, showFeaturePopup } from '../lib/popup.js';
import { mountPrintForm } from '../lib/print-form.js';
import { highlight, flyToFeature, bbox } from './highlight.js';
import { createLayersPane } from './layers-pane.js';
import { createNearbyPane } from './nearby.js';
import { createPanel } from './panel.js';
import { createPlacePane } from './place.js';
import { createSearch } from './search.js';
import { createSheltersPane } from './shelters.js';

initLang();
watchNetwork();
registerServiceWorker();
document.getElementById('lang-button').addEventListener('click', () => setLang(getLang() === 'ja' ? 'en' : 'ja'));

const map = createMap(document.getElementById('app'), { style: 'public' });
const panel = createPanel();
const phone = matchMedia('(max-width: 899px)');
let popup = null;
let marker = null;

const sheltersPane = createSheltersPane(panel.pane('shelters'), { onShowShelter: showFeature });
document.querySelector('.skip-link').addEventListener('click', (e) => {
  e.preventDefault();
  openShelters();
});
document.querySelector('.toolbar [data-pane="shelters"]').addEventListener('click', () => sheltersPane.render());
onLangChange(() => panel.current() === 'shelters' && sheltersPane.render());

function openShelters() {
  panel.open('shelters');
  sheltersPane.render();
}

/** Fly to a feature, highlight it and open its popup; on phones the sheet gets out of the way. */
async function showFeature(f, layer = f.layer ?? 'shelters') {
  if (phone.matches) panel.close();
  highlight(map, f);
  flyToFeature(map, f);
  const b = bbox(f.geometry);
  popup?.remove();
  popup = await showFeaturePopup(map, [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2], layer, f);
}

/**
 * Move the map so `lngLat` is in the middle of the part the bottom sheet leaves visible
 * (phones); on desktops the panel is beside the map, so only pan when it is off-screen.
 */
function reveal(lngLat, zoom = map.getZoom()) {
  const sheet = document.getElementById('panel');
  // the sheet grows to its max-height (62% of the map area) once its content arrives
  const covered = phone.matches && !sheet.hidden ? map.getContainer().clientHeight * 0.62 : 0;
  if (!covered && zoom === map.getZoom() && map.getBounds().contains(lngLat)) return;
  map.easeTo({ center: lngLat, zoom, offset: [0, -covered / 2], duration: 500 });
}

/**
 * The top hit and every other record of its layer at the same point. Tiles keep one point per
 * cell below the layer's max zoom, so the others are asked of the server (/api/nearest).
 */
async function samePoint(hit) {
  const [top] = hit;
  if (top.geometry.type !== 'Point') return top;
  const [lon, lat] = top.geometry.coordinates;
  try {
    const fc = await nearest(top.source, lon, lat, { k: 10 });
    const here = fc.features.filter((f) => f.distance_m < 1);
    return here.length > 1 ? here : top;
  } catch {
    return top;
  }
}

function placeMarker(lngLat) {
  if (!marker) {
    const dot = document.createElement('div');
    dot.className = 'place-marker';
    marker = new maplibregl.Marker({ element: dot });
  }
  marker.setLngLat(lngLat).addTo(map);
  marker.getElement().setAttribute('aria-hidden', 'true');
}

onStyleReady(map, () => {
  const view = parseHash(location.hash);
  let hash = null;
  const layers = createLayersPane(panel.pane('layers'), map, { onChange: () => hash?.update() });
  if (view.layers) layers.setVisible(view.layers);
  hash = syncHash(map, layers.visible);
  hash.update();
  const ids = layers.ids();
  const place = createPlacePane(panel.pane('place'), { onShowShelter: showFeature });
  const nearby = createNearbyPane(panel.pane('nearby'), {
    onShowShelter: showFeature,
    onLocated(lon, lat) {
      placeMarker([lon, lat]);
      reveal([lon, lat], Math.max(map.getZoom(), 15));
    },
  });
  const print = mountPrintForm(panel.pane('print'), map, layers, {
    title: () => `${t('app.title')}｜${t('app.subtitle')}`,
  });
  const search = createSearch(document.getElementById('search-form'), panel.pane('search'), {
    open: () => panel.open('search', { focus: false }),
    onSelect: (f) => showFeature(f, f.layer),
  });
  onLangChange(() => {
    place.rerender();
    nearby.render();
    print.render();
    search.rerun();
  });

  const inspect = async (lngLat, point) => {
    const [hit] = featuresAt(map, point, ids);
    popup?.remove();
    highlight(map, null);
    placeMarker(lngLat);
    panel.open('place', { focus: false });
    reveal(lngLat);
    const picked = hit ? { layer: hit[0], feature: samePoint(hit[1]) } : null;
    place.show(lngLat.lng, lngLat.lat, phone.matches ? picked : null);
    if (picked && !phone.matches) popup = await showFeaturePopup(map, lngLat, picked.layer, await picked.feature);
  };
  map.on('click', (e) => inspect(e.lngLat, e.point));
  // Keyboard: Enter on the focused map asks about the centre of the view.
  map.getCanvas().addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    const c = map.getCenter();
    inspect(c, map.project(c));
  });
  if (!phone.matches && !panel.current()) panel.open('layers', { focus: false });
  document.body.dataset.ready = 'true';
});
