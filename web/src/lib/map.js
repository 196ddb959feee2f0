// One place that creates a MapLibre map from a server style, for both pages: the view from
// the URL hash, the GSI basemap switch, and clear messages when tiles fail.
import * as maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import '../styles/lib.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { showBanner } from './banner.js';
import { parseHash } from './hash.js';
import { layerInfo } from './api.js';
import { onLangChange, pick, t } from './i18n.js';
import { CreditControl } from './credit.js';
import { watchMarkerImages, withMarkerShapes } from './markers.js';
import './strings.js';

maplibregl.setWorkerUrl(workerUrl);

export { maplibregl };

/** The raster source id of the basemap in our styles (`styles/*.json`). */
export const BASEMAP_SOURCE = 'gsi';

/** 地理院タイル: pale (淡色地図), std (標準地図), photo (写真). */
export const BASEMAPS = {
  pale: 'https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png',
  std: 'https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png',
  photo: 'https://cyberjapandata.gsi.go.jp/xyz/seamlessphoto/{z}/{x}/{y}.jpg',
};

/**
 * `?basemap=none` in the page URL asks the server for the style without the GSI raster
 * basemap, so tests never touch the internet.
 * @param {string} name  style name: 'public' or 'staff'
 */
export function styleUrl(name) {
  const basemap = new URLSearchParams(location.search).get('basemap');
  const q = basemap === 'none' ? '?basemap=none' : '';
  return `/styles/${name}.json${q}`;
}

/**
 * Create the map in `container` (which it fills). The initial view comes from the URL hash
 * (see hash.js) when it has one. Point layers coloured by kind also get a shape per kind
 * (markers.js). Tile errors show a banner; the basemap failing leaves the data layers drawn.
 * The map is also `window.kashimapMap` (tests use it).
 * @param {HTMLElement} container
 * @param {{style: string, center?: [number, number], zoom?: number} & object} opts
 *   any other MapLibre MapOptions are passed through
 * @returns {import('maplibre-gl').Map}
 */
export function createMap(container, { style, ...opts }) {
  const el = document.createElement('div');
  el.className = 'km-map';
  el.style.cssText = 'position:absolute;inset:0';
  container.append(el);
  const view = parseHash(location.hash);
  const phone = matchMedia('(max-width: 640px)').matches;
  const map = new maplibregl.Map({
    container: el,
    style: styleUrl(style),
    transformStyle: (_previous, next) => withMarkerShapes(next),
    ...(view.center ? { center: view.center, zoom: view.zoom, bearing: view.bearing ?? 0 } : {}),
    locale: uiLocale(),
    // sources always shown on wide screens; on phones in full behind the ⓘ button (see below)
    // and in short beside it (CreditControl)
    attributionControl: { compact: phone },
    ...opts,
  });
  map.addControl(new maplibregl.NavigationControl({ visualizePitch: false }), 'top-right');
  // top-left: the attribution runs along the whole bottom edge on wide screens
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'top-left');
  if (phone) map.addControl(new CreditControl({ basemap: BASEMAP_SOURCE }), 'bottom-left');
  reportErrors(map);
  watchMarkerImages(map);
  map.once('style.load', () => styled.add(map));
  // again when idle: MapLibre re-expands it as the sources' attributions arrive
  onStyleReady(map, () => collapseAttributionOnPhones(el));
  map.once('idle', () => collapseAttributionOnPhones(el));
  onLangChange(() => relabelControls(el));
  window.kashimapMap = map;
  return map;
}

/**
 * On narrow screens MapLibre shows the compact attribution expanded at first, covering a
 * quarter of a phone's map; start it collapsed (the ⓘ button opens it; the short credit
 * stays visible beside it, and the layer list and prints carry every source too).
 */
function collapseAttributionOnPhones(el) {
  const attrib = el.querySelector('.maplibregl-ctrl-attrib.maplibregl-compact');
  if (!attrib) return;
  attrib.classList.remove('maplibregl-compact-show');
  attrib.removeAttribute('open');
}

/** MapLibre's control texts in the page language (set when the map is created). */
function uiLocale() {
  return {
    'Map.Title': t('map.label'),
    'NavigationControl.ZoomIn': t('map.zoomIn'),
    'NavigationControl.ZoomOut': t('map.zoomOut'),
    'NavigationControl.ResetBearing': t('map.resetBearing'),
    'Popup.Close': t('popup.close'),
    'AttributionControl.ToggleAttribution': t('map.toggleAttribution'),
  };
}

/** MapLibre reads its texts once; after a language switch set them on the controls again. */
function relabelControls(el) {
  const labels = {
    '.maplibregl-canvas': 'map.label',
    '.maplibregl-ctrl-zoom-in': 'map.zoomIn',
    '.maplibregl-ctrl-zoom-out': 'map.zoomOut',
    '.maplibregl-ctrl-compass': 'map.resetBearing',
    '.maplibregl-ctrl-attrib-button': 'map.toggleAttribution',
  };
  for (const [sel, key] of Object.entries(labels)) {
    for (const node of el.querySelectorAll(sel)) {
      node.setAttribute('aria-label', t(key));
      if (node.hasAttribute('title')) node.setAttribute('title', t(key));
    }
  }
}

function reportErrors(map) {
  map.on('error', (e) => {
    const id = e.sourceId ?? e.source?.id;
    // Without a network every tile of every layer fails as the map moves (a field survey
    // drawing a parcel): the offline banner says it once, instead of a wall of banners over
    // the form on a phone.
    if (id && navigator.onLine === false) return;
    if (id === BASEMAP_SOURCE) showBanner('basemap', t('map.basemapError'));
    else if (id) {
      layerInfo(id).then((info) => showBanner(`source:${id}`, t('map.layerError', { layer: pick(info.title) })));
    }
    else if (e.error) console.warn('map error', e.error);
  });
}

/**
 * Run `fn` once the style is loaded. Unlike MapLibre's `load` event this does not wait for
 * every tile: `load` can be held back for good when basemap tiles fail (seen with 404s from
 * an unreachable GSI), and the page must work without the basemap.
 * @param {import('maplibre-gl').Map} map
 * @param {() => void} fn
 */
export function onStyleReady(map, fn) {
  if (styled.has(map) || map.isStyleLoaded()) fn();
  else map.once('style.load', () => fn());
}

/**
 * Maps whose style has loaded. `isStyleLoaded()` alone is not enough for a late caller (the
 * staff page first asks who is signed in): it is false again while sources load, and
 * `style.load` does not fire twice.
 */
const styled = new WeakSet();

/** True when the style has the GSI raster basemap (not with `?basemap=none`). */
export function hasBasemap(map) {
  return Boolean(map.getSource(BASEMAP_SOURCE));
}

/**
 * Switch the basemap by replacing the raster source tiles.
 * @param {import('maplibre-gl').Map} map
 * @param {keyof BASEMAPS} kind
 */
export function setBasemap(map, kind) {
  const src = map.getSource(BASEMAP_SOURCE);
  if (src && BASEMAPS[kind]) src.setTiles([BASEMAPS[kind]]);
}

/**
 * Ids of the data layers in the style: vector sources served by this server
 * (`/tiles/{layer}.json`), in drawing order. The server only names layers the caller may see.
 * @param {import('maplibre-gl').Map} map
 * @returns {string[]}
 */
export function dataLayerIds(map) {
  const style = map.getStyle();
  const ids = [];
  for (const l of style.layers) {
    const src = l.source && style.sources[l.source];
    if (src?.type === 'vector' && /\/tiles\/[^/]+\.json$/.test(src.url ?? '') && !ids.includes(l.source)) {
      ids.push(l.source);
    }
  }
  return ids;
}

/** The style layers that draw source `id`. */
export function styleLayersOf(map, id) {
  return map.getStyle().layers.filter((l) => l.source === id);
}
