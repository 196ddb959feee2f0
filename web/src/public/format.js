// Small formatting helpers of the public page: distances, directions, walking links.
import { getLang } from '../lib/i18n.js';
import { COMPASS } from './strings.js';

/** 244 → "244 m", 1234 → "1.2 km". */
export function distance(m) {
  return m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(1)} km`;
}

/** A bearing in degrees as one of eight compass points in the current language. */
export function direction(deg) {
  if (deg == null) return '';
  return COMPASS[getLang()][Math.round((((deg % 360) + 360) % 360) / 45) % 8];
}

/** Minutes on foot at 4.8 km/h (80 m a minute), at least 1. */
export function walkMinutes(m) {
  return Math.max(1, Math.ceil(m / 80));
}

/**
 * A Google Maps walking-directions URL (opened by the user; never fetched by the page).
 * @param {[number, number]} to       [lon, lat]
 * @param {[number, number]} [from]   [lon, lat]; absent: the app asks for the location
 */
export function walkingRouteUrl(to, from) {
  const q = new URLSearchParams({ api: '1', destination: `${to[1]},${to[0]}`, travelmode: 'walking' });
  if (from) q.set('origin', `${from[1]},${from[0]}`);
  return `https://www.google.com/maps/dir/?${q}`;
}
