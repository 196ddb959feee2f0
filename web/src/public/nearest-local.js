// Nearest shelters computed on the device from the whole shelter list (59 points in Kashima):
// the same answer as /api/nearest, but it also works from the device's copy when the network
// fails (防災モード, マイ・タイムライン).
import { serves } from './hazard.js';

const R = 6371008.8;
const rad = (d) => (d * Math.PI) / 180;

/** Great-circle distance in metres between two [lon, lat] points. */
export function metres(a, b) {
  const dLat = rad(b[1] - a[1]);
  const dLon = rad(b[0] - a[0]);
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a[1])) * Math.cos(rad(b[1])) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** Initial bearing from a to b, degrees clockwise from north. */
export function bearing(a, b) {
  const y = Math.sin(rad(b[0] - a[0])) * Math.cos(rad(b[1]));
  const x = Math.cos(rad(a[1])) * Math.sin(rad(b[1])) - Math.sin(rad(a[1])) * Math.cos(rad(b[1])) * Math.cos(rad(b[0] - a[0]));
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
}

/**
 * The `k` shelters nearest to `from` designated for `hazardName` (all when null), nearest
 * first, each a copy with `distance_m` and `bearing_deg` as /api/nearest gives them.
 * @param {GeoJSON.Feature[]} features
 * @param {[number, number]} from  [lon, lat]
 * @param {string | null} hazardName
 * @param {number} [k]
 */
export function nearestShelters(features, from, hazardName, k = 5) {
  return features
    .filter((f) => f.geometry?.type === 'Point' && (!hazardName || serves(f.properties, hazardName)))
    .map((f) => {
      const c = f.geometry.coordinates;
      return { ...f, distance_m: metres(from, c), bearing_deg: bearing(from, c) };
    })
    .sort((a, b) => a.distance_m - b.distance_m)
    .slice(0, k);
}

/** The [lon, lat] of a feature to measure from: a point itself, else the middle of its extent. */
export function anchor(geometry) {
  if (geometry.type === 'Point') return geometry.coordinates;
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
  return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
}

/**
 * The 大字 (districts) of the city from the shelters' addresses (「佐賀県鹿島市古枝乙1855」 →
 * 古枝), each with the middle of its shelters: a place to start from when location is refused.
 * @param {GeoJSON.Feature[]} features
 * @returns {{name: string, at: [number, number]}[]}  in the order of the Japanese syllabary
 */
export function districts(features) {
  const groups = new Map();
  for (const f of features) {
    const m = /鹿島市(?:大字)?(.+?)[甲乙丙丁]?[0-9０-９]/.exec(f.properties?.['住所'] ?? '');
    if (!m || f.geometry?.type !== 'Point') continue;
    const name = m[1].replace(/[甲乙丙丁]$/, '');
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name).push(f.geometry.coordinates);
  }
  return [...groups]
    .map(([name, pts]) => ({
      name,
      at: [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length],
    }))
    .sort((a, b) => a.name.localeCompare(b.name, 'ja'));
}
