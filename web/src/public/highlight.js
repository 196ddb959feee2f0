// Highlight one feature (a search result, a shelter) with a thick dark outline, and fly to it.
const SRC = 'km-highlight';

/**
 * @param {import('maplibre-gl').Map} map
 * @param {GeoJSON.Feature | null} feature  null clears the highlight
 */
export function highlight(map, feature) {
  const data = { type: 'FeatureCollection', features: feature ? [{ ...feature, properties: {} }] : [] };
  const src = map.getSource(SRC);
  if (src) {
    src.setData(data);
    return;
  }
  map.addSource(SRC, { type: 'geojson', data });
  map.addLayer({
    id: 'km-highlight-fill',
    type: 'fill',
    source: SRC,
    filter: ['==', ['geometry-type'], 'Polygon'],
    paint: { 'fill-color': '#ffbf47', 'fill-opacity': 0.35 },
  });
  map.addLayer({
    id: 'km-highlight-line',
    type: 'line',
    source: SRC,
    filter: ['!=', ['geometry-type'], 'Point'],
    paint: { 'line-color': '#1a1a1a', 'line-width': 5 },
  });
  map.addLayer({
    id: 'km-highlight-point',
    type: 'circle',
    source: SRC,
    filter: ['==', ['geometry-type'], 'Point'],
    paint: {
      'circle-radius': 16,
      'circle-color': 'rgba(0,0,0,0)',
      'circle-stroke-color': '#1a1a1a',
      'circle-stroke-width': 5,
    },
  });
}

/** The [minLon, minLat, maxLon, maxLat] of a GeoJSON geometry. */
export function bbox(geometry) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      b[0] = Math.min(b[0], c[0]);
      b[1] = Math.min(b[1], c[1]);
      b[2] = Math.max(b[2], c[0]);
      b[3] = Math.max(b[3], c[1]);
    } else c.forEach(walk);
  };
  walk(geometry.coordinates);
  return b;
}

/** Fly to a feature: points at zoom 17, lines and areas fitted. */
export function flyToFeature(map, feature, padding = 40) {
  const b = bbox(feature.geometry);
  if (b[0] === b[2] && b[1] === b[3]) map.flyTo({ center: [b[0], b[1]], zoom: Math.max(map.getZoom(), 17) });
  else map.fitBounds(b, { padding, maxZoom: 18 });
}
