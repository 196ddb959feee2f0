// Dismissible messages at the top of the page: network state, tile errors, failed requests.
// One banner per message key, so a burst of tile errors shows one message, not a hundred.
import { t } from './i18n.js';
import './strings.js';

let region;
/** Keys the user closed: not shown again until `hideBanner(key)` (the state they told of ended). */
const dismissed = new Set();

function ensureRegion() {
  if (region?.isConnected) return region;
  region = document.createElement('div');
  region.className = 'km-banners';
  region.setAttribute('role', 'status');
  region.setAttribute('aria-live', 'polite');
  document.body.prepend(region);
  return region;
}

/**
 * Show `text` until the user closes it or `hideBanner(key)` is called. Once closed, the key
 * stays quiet until `hideBanner(key)`; returns null then.
 * @param {string} key   one banner per key; showing it again replaces the text
 * @param {string} text
 * @param {{kind?: 'error' | 'info'}} [opts]
 */
export function showBanner(key, text, { kind = 'error' } = {}) {
  const root = ensureRegion();
  // closed by the user: a burst of the same errors (tiles failing as the map resizes) must
  // not bring it back
  if (dismissed.has(key)) return null;
  let el = root.querySelector(`[data-key="${CSS.escape(key)}"]`);
  if (!el) {
    el = document.createElement('div');
    el.dataset.key = key;
    const p = document.createElement('p');
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'km-banner-close';
    close.textContent = '×';
    close.setAttribute('aria-label', t('banner.close'));
    close.addEventListener('click', () => {
      dismissed.add(key);
      el.remove();
    });
    el.append(p, close);
    root.append(el);
  }
  el.className = `km-banner km-banner-${kind}`;
  el.querySelector('p').textContent = text;
  return el;
}

/** Remove the banner with `key`, if shown. */
export function hideBanner(key) {
  dismissed.delete(key);
  ensureRegion().querySelector(`[data-key="${CSS.escape(key)}"]`)?.remove();
}

/** Show the offline banner while `navigator.onLine` is false, and a short note on return. */
export function watchNetwork() {
  const update = () => {
    if (navigator.onLine) {
      if (ensureRegion().querySelector('[data-key="offline"]')) {
        hideBanner('offline');
        showBanner('online', t('net.online'), { kind: 'info' });
        setTimeout(() => hideBanner('online'), 5000);
      }
    } else {
      showBanner('offline', t('net.offline'));
    }
  };
  addEventListener('online', update);
  addEventListener('offline', update);
  update();
}
