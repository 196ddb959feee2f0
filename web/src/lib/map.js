// One place that creates a MapLibre map from a server style, for both pages.
import * as maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';

maplibregl.setWorkerUrl(workerUrl);

/**
 * `?basemap=none` in the page URL asks the server for the style without the GSI raster
 * basemap, so tests never touch the internet.
 */
export function styleUrl(name) {
  const basemap = new URLSearchParams(location.search).get('basemap');
  const q = basemap === 'none' ? '?basemap=none' : '';
  return `/styles/${name}.json${q}`;
}

export function createMap(container, { style }) {
  const el = document.createElement('div');
  el.style.cssText = 'position:absolute;inset:0';
  container.append(el);
  const map = new maplibregl.Map({ container: el, style: styleUrl(style), hash: true });
  window.kashimapMap = map;
  return map;
}
