// Staff view (/staff): sign-in, the staff map cut to the caller's view, layer list with
// restricted badges, 閲覧申請, uploads with their validation report, and pipe-map printing.
import { createMap } from '../lib/map.js';
import { mountAccessRequests } from './access-requests.js';
import { api, onSessionExpired } from './api.js';
import { mountFeatureInfo } from './featureinfo.js';
import { lang, setLang, t } from './i18n.js';
import { layerTitles, mountLayerList } from './layers.js';
import { mountPrint } from './print.js';
import { mountSignIn, whoAmI } from './signin.js';
import { mountUploads } from './uploads.js';
import './staff.css';

const EXPIRED = 'kashimap.expired';
const $ = (id) => document.getElementById(id);

function applyLanguage() {
  const l = lang();
  document.documentElement.lang = l;
  document.title = t('app.title');
  $('app-title').textContent = t('app.title');
  $('skip').textContent = t('app.skip');
  const sw = $('lang-switch');
  sw.textContent = t('lang.switch');
  sw.lang = l === 'ja' ? 'en' : 'ja';
  sw.addEventListener('click', () => {
    setLang(l === 'ja' ? 'en' : 'ja');
    location.reload();
  });
}

/** Reload the page so the map, tiles and panels all follow the new identity. */
function reloadAs() {
  location.reload();
}

function sessionExpired() {
  try {
    sessionStorage.setItem(EXPIRED, '1');
  } catch {
    // no storage: the form simply shows without the message
  }
  location.reload();
}

function takeNotice() {
  try {
    const flag = sessionStorage.getItem(EXPIRED);
    sessionStorage.removeItem(EXPIRED);
    return flag ? t('signin.expired') : '';
  } catch {
    return '';
  }
}

function watchSession(me) {
  if (!me) return;
  onSessionExpired(sessionExpired);
  const check = async () => {
    try {
      if (!(await whoAmI())) sessionExpired();
    } catch {
      // offline for a moment: the next request says so
    }
  };
  // No polling: a timer would keep an idle session alive past its 30-minute idle limit.
  // Coming back to the tab is the user's own action, so that is when to check.
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && check());
}

/**
 * Draw a layer again after a publish or rollback. The TileJSON's tile URLs carry the layer
 * version (`?v=`), so fresh TileJSON gives URLs no cache has seen; it is fetched past the
 * browser cache (`?t=`) because public TileJSON may be cached for minutes.
 */
async function refreshLayer(map, layer) {
  const src = map.getSource(layer);
  if (!src?.setTiles) return;
  try {
    const tj = await api(`/tiles/${encodeURIComponent(layer)}.json?t=${Date.now()}`);
    src.setTiles(tj.tiles);
  } catch {
    // the map keeps the old picture until the next reload
  }
}

async function start() {
  applyLanguage();
  const map = createMap($('map'), { style: 'staff' });
  let me = null;
  let notice = takeNotice();
  try {
    me = await whoAmI();
  } catch (e) {
    notice = e.text;
  }
  mountSignIn($('panel-signin'), { me, notice, onChange: reloadAs });
  const titles = await layerTitles();
  mountLayerList($('panel-layers'), { map, me, titles });
  mountFeatureInfo($('panel-feature'), { map, titles });
  document.body.classList.toggle('signed-in', Boolean(me));
  watchSession(me);
  if (!me) return;
  $('panel-print').hidden = false;
  window.kashimapPrint = mountPrint($('panel-print'), { map, me, sheet: $('print-sheet') });
  $('panel-requests').hidden = false;
  mountAccessRequests($('panel-requests'), { me, titles });
  mountUploads($('panel-uploads'), {
    me,
    titles,
    onPublished: (layer) => refreshLayer(map, layer),
  });
}

start();
