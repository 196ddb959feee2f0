// The device's copy: registers the service worker (web/public/sw.js) and reads the headers it
// puts on a kept copy, so a page can say 「端末に保存したデータ（3時間前）」.
import { getJson } from './api.js';
import { getLang, t } from './i18n.js';
import './strings.js';

/** Register /sw.js (kept pages, files and data for when the network fails). */
export function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  addEventListener('load', () => navigator.serviceWorker.register('/sw.js').catch(() => undefined));
}

/**
 * GET `url` as JSON like `getJson`, and say whether the answer is the device's copy.
 * @param {string} url
 * @param {import('./api.js').RequestOptions} [opts]
 * @returns {Promise<{body: any, savedAt: Date | null}>}  savedAt is set when the copy was served
 */
export async function getJsonWithAge(url, opts = {}) {
  let headers = null;
  const body = await getJson(url, { ...opts, onResponse: (res) => (headers = res.headers) });
  const fromCache = headers?.get('x-kashimap-from-cache') === '1';
  const saved = headers?.get('x-kashimap-saved-at');
  return { body, savedAt: fromCache && saved ? new Date(saved) : null };
}

/** 「3時間前」 / "3 hours ago": how old a kept copy is, in words. */
export function age(date, now = new Date()) {
  const min = Math.max(0, Math.round((now - date) / 60000));
  const [n, unit] = min < 60 ? [min, 'minutes'] : min < 60 * 48 ? [Math.round(min / 60), 'hours'] : [Math.round(min / 1440), 'days'];
  if (n === 0) return t('offline.justNow');
  try {
    return new Intl.RelativeTimeFormat(getLang() === 'en' ? 'en' : 'ja', { numeric: 'always' }).format(-n, unit.slice(0, -1));
  } catch {
    return `${n} ${unit}`;
  }
}

/** The sentence for a page showing the device's copy saved at `date`. */
export function copyNotice(date) {
  const when = date.toLocaleString(getLang() === 'en' ? 'en-GB' : 'ja-JP', { dateStyle: 'short', timeStyle: 'short' });
  return t('offline.copy', { when, age: age(date) });
}
