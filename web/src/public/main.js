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
import { PUBLIC_HIDDEN_FIELDS } from './hidden-fields.js';
import { anchor } from './nearest-local.js';

initLang();
watchNetwork();
registerServiceWorker();
document.getElementById('lang-button').addEventListener('click', () => setLang(getLang() === 'ja' ? 'en' : 'ja'));

const map = createMap(document.getElementById('app'), { style: 'public' });
const panel = createPanel();
const phone = matchMedia('(max-width: 899px)');
let popup = null;
let marker = null;
/** 「この場所の情報」 (created once the style is ready), where it is open, and the hash. */
let place = null;
let placeAt = null;
let hash = null;
/** The phone's location and the nearest shelter, once 「現在地から探す」 found them (printed). */
let here = null;
let nearestShelter = null;
const HIDE = { hideFields: PUBLIC_HIDDEN_FIELDS };

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

/**
 * Show a feature (a shelter, a search result such as a 地番): highlight it and open
 * 「この場所の情報」 there with the feature's card first. On phones the details go in the
 * bottom sheet (a map popup would run under the sheet and the toolbar); on desktops the
 * feature also gets a popup.
 */
async function showFeature(f, layer = f.layer ?? 'shelters') {
  highlight(map, f);
  popup?.remove();
  const at = anchor(f.geometry);
  openPlace(at, { layer, feature: f, point: f.geometry.type === 'Point' });
  if (phone.matches) {
    const b = bbox(f.geometry);
    if (b[0] === b[2]) reveal(at, Math.max(map.getZoom(), 17));
    else map.fitBounds(b, { padding: sheetPadding(), maxZoom: 18 });
    return;
  }
  flyToFeature(map, f);
  popup = await showFeaturePopup(map, at, layer, f, HIDE);
}

/** Open 「この場所の情報」 at [lon, lat] (and keep it in the URL, so it can be shared). */
function openPlace(at, hit = null) {
  if (!place) return;
  placeAt = at;
  placeMarker(at);
  panel.open('place', { focus: false });
  place.show(at[0], at[1], hit);
  hash?.update();
}

/** Map padding that keeps a fitted view out from under the bottom sheet (phones). */
function sheetPadding() {
  const sheet = document.getElementById('panel');
  const h = map.getContainer().clientHeight;
  const covered = phone.matches && !sheet.hidden ? Math.min(sheet.getBoundingClientRect().height || h * 0.62, h * 0.62) : 0;
  return { top: 48, left: 40, right: 56, bottom: covered + 32 };
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

/** What a print marks on the map: the place or my location, and the nearest shelter. */
function printMarks() {
  const marks = [];
  const me = here ?? placeAt;
  if (me) marks.push({ at: me, label: t(here ? 'nearby.here' : 'marker.here'), kind: 'here' });
  if (here && nearestShelter) {
    marks.push({ at: nearestShelter.geometry.coordinates, label: nearestShelter.properties['名称'], kind: 'shelter' });
  }
  return marks;
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
  const layers = createLayersPane(panel.pane('layers'), map, { onChange: () => hash?.update() });
  if (view.layers) layers.setVisible(view.layers);
  hash = syncHash(map, layers.visible, () => (panel.current() === 'place' ? placeAt : null));
  hash.update();
  const ids = layers.ids();
  place = createPlacePane(panel.pane('place'), { onShowShelter: showFeature });
  const nearby = createNearbyPane(panel.pane('nearby'), {
    onShowShelter: showFeature,
    onLocated(lon, lat) {
      here = [lon, lat];
      placeMarker(here);
      reveal(here, Math.max(map.getZoom(), 15));
      sheltersPane.setOrigin(here);
    },
    onListed(features) {
      // me and the nearest shelter together, above the sheet
      nearestShelter = features[0] ?? null;
      if (!here || !nearestShelter) return;
      const [x, y] = nearestShelter.geometry.coordinates;
      const b = [Math.min(here[0], x), Math.min(here[1], y), Math.max(here[0], x), Math.max(here[1], y)];
      map.fitBounds(b, { padding: sheetPadding(), maxZoom: 17, duration: 500 });
    },
  });
  const print = mountPrintForm(panel.pane('print'), map, layers, {
    title: () => `${t('app.title')}｜${t('app.subtitle')}`,
    marks: () => printMarks(),
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
    const picked = hit ? { layer: hit[0], feature: samePoint(hit[1]), point: hit[1][0].geometry.type === 'Point' } : null;
    openPlace([lngLat.lng, lngLat.lat], phone.matches ? picked : null);
    reveal(lngLat);
    if (picked && !phone.matches) popup = await showFeaturePopup(map, lngLat, picked.layer, await picked.feature, HIDE);
  };
  map.on('click', (e) => inspect(e.lngLat, e.point));
  // Keyboard: Enter on the focused map asks about the centre of the view.
  map.getCanvas().addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    const c = map.getCenter();
    inspect(c, map.project(c));
  });
  // a shared link to 「この場所の情報」 opens it again
  if (view.place) openPlace(view.place);
  else if (!phone.matches && !panel.current()) panel.open('layers', { focus: false });
  document.getElementById('panel-close').addEventListener('click', () => hash.update());
  document.body.dataset.ready = 'true';
});
