// Shareable URLs: `#zoom/lat/lon[/bearing]&layers=a,b`. The view and the visible layers are
// kept in the hash (replaceState, so the back button is not flooded), and restored on open.

/**
 * @typedef {object} HashView
 * @property {number} [zoom]
 * @property {[number, number]} [center]  [lon, lat]
 * @property {number} [bearing]
 * @property {string[] | null} layers      null when the hash does not say
 * @property {[number, number]} [place]   [lon, lat] of 「この場所の情報」 (`&place=lat,lon`)
 */

/**
 * Parse a location hash such as `#15/33.10/130.09&layers=zoning,shelters`.
 * @param {string} hash
 * @returns {HashView}
 */
export function parseHash(hash) {
  const [pos, ...rest] = hash.replace(/^#/, '').split('&');
  const out = { layers: null };
  const [z, lat, lon, bearing] = pos.split('/').map(Number);
  if ([z, lat, lon].every(Number.isFinite) && pos.split('/').length >= 3) {
    if (z >= 0 && z <= 24 && Math.abs(lat) <= 85 && Math.abs(lon) <= 180) {
      out.zoom = z;
      out.center = [lon, lat];
      if (Number.isFinite(bearing)) out.bearing = bearing;
    }
  }
  for (const kv of rest) {
    const [k, v = ''] = kv.split('=');
    if (k === 'layers') out.layers = decodeURIComponent(v).split(',').filter(Boolean);
    if (k === 'place') {
      const [la, lo] = decodeURIComponent(v).split(',').map(Number);
      if (Number.isFinite(la) && Number.isFinite(lo) && Math.abs(la) <= 85 && Math.abs(lo) <= 180) out.place = [lo, la];
    }
  }
  return out;
}

/**
 * The hash for a map view and its visible layers.
 * @param {{zoom: number, center: {lng: number, lat: number}, bearing: number}} view
 * @param {string[]} layers
 * @param {[number, number] | null} [place]  [lon, lat] of an open 「この場所の情報」
 */
export function formatHash({ zoom, center, bearing }, layers, place = null) {
  const prec = Math.max(0, Math.ceil((zoom * Math.LN2 + Math.log(512 / 360 / 0.5)) / Math.LN10));
  const m = 10 ** prec;
  const r = (x) => Math.round(x * m) / m;
  let s = `#${Math.round(zoom * 100) / 100}/${r(center.lat)}/${r(center.lng)}`;
  if (Math.round(bearing)) s += `/${Math.round(bearing * 10) / 10}`;
  s += `&layers=${layers.map(encodeURIComponent).join(',')}`;
  if (place) s += `&place=${place[1].toFixed(6)},${place[0].toFixed(6)}`;
  return s;
}

/**
 * Keep the hash in step with `map` and with `visibleLayers()`. Call `update()` after
 * toggling a layer. Returns `{update}`.
 * @param {import('maplibre-gl').Map} map
 * @param {() => string[]} visibleLayers
 * @param {() => [number, number] | null} [place]  the place shown, if any (public page)
 */
export function syncHash(map, visibleLayers, place = () => null) {
  const update = () => {
    const h = formatHash(
      { zoom: map.getZoom(), center: map.getCenter(), bearing: map.getBearing() },
      visibleLayers(),
      place(),
    );
    if (h !== location.hash) history.replaceState(history.state, '', h);
  };
  map.on('moveend', update);
  return { update };
}
