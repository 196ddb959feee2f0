// Placing a record as an area on a phone: 「区画を描く」 (the field's corners tapped on the map,
// or the map's centre added for keyboard users, shown live with 「1つ戻す」「完了」「やめる」) and
// 「筆の形を使う」 (the polygon of the parcel at a point, from the parcel layer's items). Plus
// the small planar geometry the capture needs: point in polygon, an interior point, a closed
// counter-clockwise ring, and whether a ring crosses itself.
import { h } from '../lib/dom.js';
import { addStrings, t } from '../lib/i18n.js';

addStrings({
  ja: {
    'sketch.hint': '区画の角を順にタップしてください（{n} 点）。3 点以上で「完了」を押せます。',
    'sketch.more': '区画の角を順にタップしてください（{n} 点）。あと {left} 点以上必要です。',
    'sketch.center': '地図の中心を角に追加',
    'sketch.undo': '1つ戻す',
    'sketch.done': '完了',
    'sketch.cancel': 'やめる',
    'sketch.crossing': '区画の辺が交差しています。「1つ戻す」で角を直してください。',
    'sketch.cancelled': '区画の入力をやめました。',
    'sketch.finished': '区画（角 {n} 点）を記録の形にしました。内容を入力して保存してください。',
    'parcel.hint': '形を使う筆を地図上でタップするか、「現在地の筆」を押してください。',
    'parcel.here': '現在地の筆',
    'parcel.none': 'この場所に筆はありません。別の場所を選ぶか、区画を描いてください。',
    'parcel.hidden': '筆（字図）を見る権限がないため使えません。区画を描いてください。',
    'parcel.offline': '電波がないため筆の形を取得できません。区画を描いてください。',
    'parcel.taken': '筆「{name}」の形を記録の形にしました。内容を入力して保存してください。',
  },
  en: {
    'sketch.hint': 'Tap the corners of the field in order ({n} so far). With 3 or more, press “Done”.',
    'sketch.more': 'Tap the corners of the field in order ({n} so far). At least {left} more needed.',
    'sketch.center': 'Add the map centre as a corner',
    'sketch.undo': 'Undo one',
    'sketch.done': 'Done',
    'sketch.cancel': 'Cancel',
    'sketch.crossing': 'The sides of the field cross. Use “Undo one” to fix the corners.',
    'sketch.cancelled': 'Drawing the field was cancelled.',
    'sketch.finished': 'The field ({n} corners) is the record’s shape. Fill in the form and save.',
    'parcel.hint': 'Tap the parcel whose shape to use, or press “Parcel at my location”.',
    'parcel.here': 'Parcel at my location',
    'parcel.none': 'There is no parcel here. Choose another place, or draw the field.',
    'parcel.hidden': 'You may not see the parcels (lot map), so their shapes cannot be used. Draw the field instead.',
    'parcel.offline': 'No signal: the parcel’s shape cannot be fetched. Draw the field instead.',
    'parcel.taken': 'The shape of parcel “{name}” is the record’s shape. Fill in the form and save.',
  },
});

/** The polygons of a Polygon or MultiPolygon, each a list of rings. */
const polygonsOf = (geometry) => (geometry?.type === 'Polygon' ? [geometry.coordinates] : geometry?.type === 'MultiPolygon' ? geometry.coordinates : []);

function inRing(ring, [x, y]) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** True when [lon, lat] is inside a GeoJSON Polygon or MultiPolygon (even-odd rule). */
export function contains(geometry, at) {
  return polygonsOf(geometry).some((rings) => inRing(rings[0], at) && !rings.slice(1).some((r) => inRing(r, at)));
}

/** Twice the signed area of a ring (positive when counter-clockwise). */
function area2(ring) {
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) a += (ring[j][0] - ring[i][0]) * (ring[j][1] + ring[i][1]);
  return a;
}

/** The corners as a closed, counter-clockwise GeoJSON ring (RFC 7946's right-hand rule). */
export function ringOf(corners) {
  const ring = corners.map(([x, y]) => [Math.round(x * 1e7) / 1e7, Math.round(y * 1e7) / 1e7]);
  if (area2(ring) < 0) ring.reverse();
  return [...ring, ring[0]];
}

/** True when two sides of the closed polygon through `corners` cross (not at a shared corner). */
export function crossesItself(corners) {
  const n = corners.length;
  const side = (a, b, c) => Math.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (j === i + 1 || (i === 0 && j === n - 1)) continue; // neighbours share a corner
      const [a, b, c, d] = [corners[i], corners[(i + 1) % n], corners[j], corners[(j + 1) % n]];
      if (side(a, b, c) * side(a, b, d) < 0 && side(c, d, a) * side(c, d, b) < 0) return true;
    }
  }
  return false;
}

/**
 * A point inside a Polygon (the first polygon of a MultiPolygon): the centroid of its outer
 * ring when that is inside, else the middle of the widest inside stretch of the horizontal
 * line through it. The record's links (the 地番) are looked up there.
 */
export function interiorPoint(geometry) {
  const rings = polygonsOf(geometry)[0];
  const outer = rings[0];
  let [cx, cy, a] = [0, 0, 0];
  for (let i = 0, j = outer.length - 1; i < outer.length; j = i++) {
    const f = outer[j][0] * outer[i][1] - outer[i][0] * outer[j][1];
    cx += (outer[j][0] + outer[i][0]) * f;
    cy += (outer[j][1] + outer[i][1]) * f;
    a += f;
  }
  const centre = a ? [cx / (3 * a), cy / (3 * a)] : outer[0];
  if (contains(geometry, centre)) return centre;
  const y = centre[1];
  const xs = [];
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [[xi, yi], [xj, yj]] = [ring[i], ring[j]];
      if (yi > y !== yj > y) xs.push(xi + ((y - yi) * (xj - xi)) / (yj - yi));
    }
  }
  xs.sort((p, q) => p - q);
  let best = null;
  for (let k = 0; k + 1 < xs.length; k += 2) if (!best || xs[k + 1] - xs[k] > best[1] - best[0]) best = [xs[k], xs[k + 1]];
  return best ? [(best[0] + best[1]) / 2, y] : outer[0];
}

/**
 * The parcel of `layer` at `at` as `{ feature, geometry }` (a Polygon: the part of a
 * MultiPolygon holding the point), found like the form's links (a small bbox query, then
 * point in polygon), or null. `get(url)` is the capture's fetch; its errors are thrown.
 */
export async function parcelAt(get, layer, at) {
  const e = 0.0002;
  const bbox = [at[0] - e, at[1] - e, at[0] + e, at[1] + e].join(',');
  const { json } = await get(`/ogc/collections/${encodeURIComponent(layer)}/items?bbox=${bbox}&limit=50`);
  const feature = (json.features ?? []).find((x) => contains(x.geometry, at));
  if (!feature) return null;
  const part = polygonsOf(feature.geometry).find((rings) => contains({ type: 'Polygon', coordinates: rings }, at));
  return { feature, geometry: { type: 'Polygon', coordinates: part } };
}

const SOURCE = 'km-sketch';

/** The sketch drawn over the map (orange outline, white-ringed corners), or cleared. */
export function showSketch(map, { corners = [], geometry = null } = {}) {
  const features = [];
  if (geometry) features.push({ type: 'Feature', geometry, properties: {} });
  else if (corners.length >= 3) features.push({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [ringOf(corners)] }, properties: {} });
  else if (corners.length === 2) features.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: corners }, properties: {} });
  corners.forEach((c, i) => features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: c }, properties: { first: i === 0 } }));
  const data = { type: 'FeatureCollection', features };
  const src = map.getSource(SOURCE);
  if (src) return src.setData(data);
  if (!features.length) return;
  map.addSource(SOURCE, { type: 'geojson', data });
  const only = (types) => ['match', ['geometry-type'], types, true, false];
  map.addLayer({ id: `${SOURCE}-fill`, type: 'fill', source: SOURCE, filter: only(['Polygon']), paint: { 'fill-color': '#ff8c00', 'fill-opacity': 0.25 } });
  map.addLayer({ id: `${SOURCE}-halo`, type: 'line', source: SOURCE, filter: only(['LineString', 'Polygon']), paint: { 'line-color': '#ffffff', 'line-width': 6 } });
  map.addLayer({ id: `${SOURCE}-line`, type: 'line', source: SOURCE, filter: only(['LineString', 'Polygon']), paint: { 'line-color': '#b34700', 'line-width': 3 } });
  map.addLayer({
    id: `${SOURCE}-corner`,
    type: 'circle',
    source: SOURCE,
    filter: only(['Point']),
    paint: { 'circle-radius': ['case', ['get', 'first'], 9, 7], 'circle-color': '#b34700', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 3 },
  });
}

/**
 * 「区画を描く」: corners collected from `tap([lon, lat])` (the capture's map clicks) and from
 * 「地図の中心を角に追加」, with the toolbar put into `into` and the hint said in `status`.
 * `onDone(polygon)` gets a GeoJSON Polygon of 3 or more corners; `onCancel()` is called on
 * 「やめる」. A cross marks the map's centre meanwhile. Returns `{ tap, stop }` (`stop` clears
 * the sketch without a word, when the capture moves on to something else).
 */
export function drawArea(map, { into, status, onDone, onCancel }) {
  const corners = [];
  const cross = h('div', { class: 'sketch-cross', 'aria-hidden': 'true' });
  map.getContainer().append(cross);
  const say = (text) => (status.textContent = text);
  const btn = (id, text, onclick, cls) => h('button', { type: 'button', id, class: cls, onclick }, text);
  const done = btn('sketch-done', t('sketch.done'), () => finish(), 'primary');
  const undo = btn('sketch-undo', t('sketch.undo'), () => {
    corners.pop();
    update();
  });
  const update = () => {
    showSketch(map, { corners });
    done.disabled = corners.length < 3;
    undo.disabled = corners.length === 0;
    say(corners.length >= 3 ? t('sketch.hint', { n: corners.length }) : t('sketch.more', { n: corners.length, left: 3 - corners.length }));
  };
  const add = (at) => {
    corners.push(at);
    update();
  };
  const finish = () => {
    if (corners.length < 3) return;
    if (crossesItself(corners)) return say(t('sketch.crossing'));
    const polygon = { type: 'Polygon', coordinates: [ringOf(corners)] };
    cross.remove();
    showSketch(map, { geometry: polygon });
    say(t('sketch.finished', { n: corners.length }));
    onDone(polygon);
  };
  const centre = btn('sketch-center', t('sketch.center'), () => {
    const c = map.getCenter();
    add([c.lng, c.lat]);
  });
  const stop = () => {
    cross.remove();
    showSketch(map);
  };
  const cancel = btn('sketch-cancel', t('sketch.cancel'), () => {
    stop();
    say(t('sketch.cancelled'));
    onCancel();
  });
  into.replaceChildren(h('div', 'sketch-tools', cancel, undo, done, centre));
  update();
  return { tap: add, stop };
}
